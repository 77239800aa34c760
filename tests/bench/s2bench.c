// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench: the timing helper of the in-guest benchmarks (tests/bench/, docs/performance.md).
 * busybox has no high-resolution clock for a shell, so this small static program times what
 * the benchmark scripts need with CLOCK_MONOTONIC and prints one `key=value` line:
 *
 *   s2bench read N FILE       N times: open FILE, read it to the end (64 KiB reads), close.
 *                             A debugfs file's work (seq_file show, or a walk at open) is done
 *                             inside these calls, so this is the cost of one reader's read.
 *   s2bench exec N CMD [ARG]  N times: fork, exec CMD with stdout and stderr on /dev/null, wait.
 *   s2bench loop FILE         read FILE as above in a loop until SIGTERM/SIGINT, then print
 *                             how many reads completed (a background load, e.g. verify).
 *   s2bench now               CLOCK_MONOTONIC in ns.
 *
 * read/exec print: ok n=N bytes=B min_ns=.. med_ns=.. mean_ns=.. max_ns=.. rc=R
 * (bytes: of the last read; rc: the last non-zero exit status of CMD, else 0).  Exit status
 * 0 when every iteration worked, 1 otherwise (with a message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_N 100000

static char buf[65536];
static volatile sig_atomic_t stop;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Read @path to the end; returns the byte count, or -1 (errno set). */
static long long read_all(const char *path)
{
	long long total = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += r;
	if (r < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return total;
}

/* Run @argv with stdout/stderr on /dev/null; returns its exit status, or -1. */
static int run(char **argv)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(uint64_t *t, unsigned long n, long long bytes, int rc)
{
	uint64_t sum = 0, med;
	unsigned long i;

	for (i = 0; i < n; i++)
		sum += t[i];
	qsort(t, n, sizeof(*t), cmp_u64);
	med = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	printf("ok n=%lu bytes=%lld min_ns=%" PRIu64 " med_ns=%" PRIu64 " mean_ns=%" PRIu64
	       " max_ns=%" PRIu64 " rc=%d\n", n, bytes, t[0], med, sum / n, t[n - 1], rc);
}

static unsigned long count(const char *s)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);

	if (*end || !n || n > MAX_N) {
		fprintf(stderr, "s2bench: N must be 1..%d, not '%s'\n", MAX_N, s);
		exit(2);
	}
	return n;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fputs("usage: s2bench read N FILE | exec N CMD [ARG...] | loop FILE | now\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static uint64_t t[MAX_N];
	long long bytes = 0;
	unsigned long i, n;
	int rc = 0;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "now") && argc == 2) {
		printf("%" PRIu64 "\n", now_ns());
		return 0;
	}
	if (!strcmp(argv[1], "loop") && argc == 3) {
		struct sigaction sa = { .sa_handler = on_signal };
		unsigned long long loops = 0;

		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		while (!stop) {
			if (read_all(argv[2]) < 0 && errno != EINTR) {
				fprintf(stderr, "s2bench: %s: %s\n", argv[2], strerror(errno));
				return 1;
			}
			loops++;
		}
		printf("ok loops=%llu\n", loops);
		return 0;
	}
	if (!strcmp(argv[1], "read") && argc == 4) {
		n = count(argv[2]);
		for (i = 0; i < n; i++) {
			uint64_t t0 = now_ns();

			bytes = read_all(argv[3]);
			t[i] = now_ns() - t0;
			if (bytes < 0) {
				fprintf(stderr, "s2bench: %s: %s\n", argv[3], strerror(errno));
				return 1;
			}
		}
		report(t, n, bytes, 0);
		return 0;
	}
	if (!strcmp(argv[1], "exec") && argc >= 4) {
		n = count(argv[2]);
		for (i = 0; i < n; i++) {
			uint64_t t0 = now_ns();
			int r = run(argv + 3);

			t[i] = now_ns() - t0;
			if (r < 0) {
				fprintf(stderr, "s2bench: %s: %s\n", argv[3], strerror(errno));
				return 1;
			}
			if (r)
				rc = r;
		}
		report(t, n, 0, rc);
		return rc ? 1 : 0;
	}
	return usage();
}

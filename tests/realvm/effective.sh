# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC2154 # vmA, vmB: 50-qemu.sh
# tests/realvm/effective.sh: the effective memory types of the real guests (sourced by
# 50-qemu.sh in its live phase; functions only).  Guest A's kernel ioremap()s and
# ioremap_wc()s its ivshmem BAR2 (s2wc.ko: "s2wc: map=NAME ipa= va= size= touched=" lines), a
# user process keeps resource2_wc mapped (wcmap); guest B's e1000e driver ioremap()s BAR0.
# Expected: stage 1 Device-nGnRE for ioremap, Normal-NC for ioremap_wc and resource2_wc;
# effective Device-nGnRE for ioremap everywhere, and for the write-combining mappings
# Normal-NC on 6.9+ (stage 2 Normal-NC) but Device-nGnRE before (stage 2 Device).

# eff_read VM FILE: read the VM's effective file into FILE.
eff_read() { cat "$S2_DFS/$1/effective" >"$2" 2>&1; }
# eff_key FILE KEY: a key's value.
eff_key() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
# eff_row FILE HALF VA: the record whose [va_start, va_end) holds VA (0x + 16 hex digits:
# compared as strings, which is their unsigned order).
eff_row() {
	awk -v h="$2" -v va="$3" '$1 == h && $3 ~ /^0x/ && ("x" $3) <= ("x" va) && ("x" va) < ("x" $4) { print; exit }' "$1"
}

# eff_check NAME FILE HALF VA S1 EFFECTIVE [STAGE2]: the record of VA has these columns.
eff_check() {
	_r=$(eff_row "$2" "$3" "$4")
	if [ -z "$_r" ]; then
		sed 's/^/# /' "$2" | head -n 40
		t_fail "$1" "no $3 record holds $4"
		return 1
	fi
	# shellcheck disable=SC2086 # the record's columns
	set -- "$1" "$5" "$6" "${7:-}" $_r
	_got="${11} ${16}${4:+ ${15}}"
	t_eq "$1" "$_got" "$2 $3${4:+ $4}"
}

# eff_sane NAME FILE ALLOWED: every record of VFIO memory in FILE lies inside one of the
# ALLOWED "half:ipa_start:ipa_end" ranges (decimal) and has the effective type its stage 1
# must give (Normal-NC -> $WC, Device -> Device): a stale root's garbage would show up as
# records elsewhere (a freed table reused for something else maps other addresses).
eff_sane() {
	_bad=$(awk -v wc="$WC" -v allowed="$3" '
		BEGIN { n = split(allowed, a, " ") }
		function num(h,   i, v, c) { v = 0; h = tolower(substr(h, 3))
			for (i = 1; i <= length(h); i++) { c = index("0123456789abcdef", substr(h, i, 1)) - 1; v = v * 16 + c }
			return v }
		$13 == "vfio" {
			lo = num($5); hi = num($6); ok = 0
			for (i = 1; i <= n; i++) { split(a[i], r, ":"); if ($1 == r[1] && lo >= r[2] + 0 && hi <= r[3] + 0) ok = 1 }
			if (!ok) { print "outside: " $0; next }
			if ($7 == "NORMAL_NC" && $12 != wc) print "type: " $0
			if ($7 ~ /^DEVICE/ && $12 !~ /^DEVICE/) print "type: " $0
		}' "$2")
	if [ -z "$_bad" ]; then t_ok "$1"; else echo "$_bad" | head -n 10 | sed 's/^/# /'; t_fail "$1" "records a current root cannot have"; fi
}

# check_stale_roots: guest A runs short-lived processes that map resource2_wc and exit, back
# to back, while the host reads the effective file again and again: user roots come and go
# (captured, then gone by the time they are checked after the walk), and whatever is
# reported must still be right.
check_stale_roots() {
	bar=$(($(rv_field "$(rv_line A 's2wc: map=ioremap ')" ipa)))
	sz=$(($(rv_field "$(rv_line A 's2wc: map=ioremap ')" size)))
	allowed="kernel:$bar:$((bar + sz)) kernel:$((bar + 0x200000)):$((bar + 0x200000 + sz))"
	allowed="$allowed kernel:$((bar + 0x6000000)):$((bar + 0x6000000 + sz))"
	allowed="$allowed user:$((bar + 0x400000)):$((bar + 0x400000 + 16 * PS))"
	allowed="$allowed user:$((bar + 0x800000)):$((bar + 0x800000 + 4 * PS))"
	rv_send A "churn 8"
	i=0 stale=0 roots=0 churn_rows=0 fails=0
	while [ $i -lt 6 ]; do
		i=$((i + 1))
		f=$S2_TMP/effective.churn.$i
		eff_read "$vmA" "$f"
		n=$(eff_key "$f" user_roots_stale)
		stale=$((stale + ${n:-0}))
		n=$(eff_key "$f" user_roots)
		roots=$((roots + ${n:-0}))
		churn_rows=$((churn_rows + $(awk -v lo="$(printf '0x%016x' $((bar + 0x800000)))" '$1 == "user" && $5 == lo' "$f" | wc -l)))
		if [ "$(eff_key "$f" kernel_half)" != ok ]; then
			fails=$((fails + 1))
			grep -E '^(result|reason|kernel_half|root k) ' "$f" | sed "s/^/# read $i: /"
		fi
		eff_sane "stale-read-$i" "$f" "$allowed"
	done
	t_eq stale-kernel-always "$fails" 0
	# Not vacuous: user roots were captured and walked (stale ones among them).
	t_eq stale-user-roots-walked "$([ "$roots" -gt 0 ] && echo yes)" yes
	t_diag "stale roots: $roots user roots in 6 reads, $stale of them dropped as not current after the walk, $churn_rows records of short-lived processes reported"
	if ! why=$(rv_wait A 's2vm: churn done' 60); then t_fail stale-churn "$why"; else
		t_diag "guest: $(rv_line A 's2vm: churn done')"; t_ok stale-churn; fi
}

check_effective() {
	if [ "$S2_KVM_MODE" = protected ]; then
		t_skip effective "effective memory types need the host to own the guests' state (not pKVM)"
		return 0
	fi
	if kver_ge 6.9; then WC=NORMAL_NC; else WC=DEVICE_nGnRE; fi
	f=$S2_TMP/effective.A
	eff_read "$vmA" "$f"
	t_diag "effective of A: $(grep -E '^(result|kernel_half|user_half|user_roots|descriptors|table_pages|capture_ms|walk_us|rows) ' "$f" | tr '\n' ' ')"
	grep '^root ' "$f" | sed 's/^/# /'
	t_eq eff-a-result "$(eff_key "$f" result)" ok
	t_eq eff-a-kernel "$(eff_key "$f" kernel_half)" ok
	for m in ioremap ioremap_wc idle_wc; do
		l=$(rv_line A "s2wc: map=$m ")
		va=$(rv_field "$l" va)
		case $m in
		ioremap) eff_check "eff-a-$m" "$f" kernel "$va" DEVICE_nGnRE DEVICE_nGnRE mapped ;;
		ioremap_wc) eff_check "eff-a-$m" "$f" kernel "$va" NORMAL_NC "$WC" mapped ;;
		idle_wc) eff_check "eff-a-$m" "$f" kernel "$va" NORMAL_NC "$WC" pending ;;
		esac
	done
	l=$(rv_line A '^wcmap: file=resource2_wc ')
	va=$(rv_field "$l" va)
	eff_check eff-a-resource2_wc "$f" user "$va" NORMAL_NC "$WC" mapped
	# Every write-combining mapping of the BAR gets the same effective type.
	t_eq eff-a-wc-all "$(awk -v wc="$WC" '$7 == "NORMAL_NC" && $13 == "vfio" && $12 != wc' "$f" | wc -l)" 0
	t_eq eff-a-dev-all "$(awk '$7 ~ /^DEVICE/ && $13 == "vfio" && $12 !~ /^DEVICE/' "$f" | wc -l)" 0

	# The CLI: an EFFECTIVE column, -m lists the guest mappings, JSON, Prometheus, --expect wc.
	if kver_ge 6.9; then types=NC+DEVICE; else types=DEVICE; fi
	cli -E -g "$DB"
	t_eq cli-eff-rc "$(rc)" 0
	t_eq cli-eff-column "$(awk -v vm="$vmA" '$1 == vm { print $(NF) }' "$S2_TMP/out")" "$types"
	sed 's/^/# /' "$S2_TMP/out"
	cli -E -D -g "$DB"
	t_eq cli-eff-devices "$(awk -v b="$S2_IVSHMEM" '$1 == b && $2 == 2 { print $NF }' "$S2_TMP/out")" "$types"
	cli -E -m -g "$DB"
	t_eq cli-eff-title "$(grep -c "^VM $vmA .*: effective ok; kernel half ok" "$S2_TMP/out")" 1
	sed 's/^/# /' "$S2_TMP/out"
	cli -E -j -g "$DB"
	t_out cli-eff-json '"effective":{"result":"ok","reason":null,"kernel_half":"ok"'
	if kver_ge 6.9; then t_out cli-eff-json-types '"vfio_types":["DEVICE_nGnRE","NORMAL_NC"]'
	else t_out cli-eff-json-types '"vfio_types":["DEVICE_nGnRE"]'; fi
	cli -E --prometheus -g "$DB"
	t_out cli-eff-prom-user "half=\"user\",bdf=\"$S2_IVSHMEM\",bar=\"2\",class=\"vfio\",s1=\"NORMAL_NC\",stage2=\"mapped\",s2=\"$WC\",effective=\"$WC\"} $((16 * PS))"
	cli --expect wc -g "$DB"
	if kver_ge 6.9; then
		t_eq cli-expect-wc-rc "$(rc)" 0
	else
		t_eq cli-expect-wc-rc "$(rc)" 10
		t_out cli-expect-wc-offender "$vmA"
	fi
	head -n 12 "$S2_TMP/out" | sed 's/^/# /'

	# A walk cut by the budget says so, and what it did find agrees with the whole walk.
	bp=/sys/module/kvm_s2stat/parameters/effective_budget
	b0=$(cat $bp)
	echo $(($(eff_key "$f" descriptors) / 4)) >$bp
	eff_read "$vmA" "$S2_TMP/effective.cut"
	echo "$b0" >$bp
	c=$S2_TMP/effective.cut
	t_diag "budget $(eff_key "$c" budget): $(grep -E '^(result|kernel_half|descriptors|rows) ' "$c" | tr '\n' ' ')"
	t_eq eff-cut-partial "$(eff_key "$c" result)/$(eff_key "$c" kernel_half)" partial/partial
	t_eq eff-cut-within "$(awk '$1 == "budget" { b = $2 } $1 == "descriptors" { d = $2 }
		END { print (d <= b) }' "$c")" 1
	t_eq eff-cut-rows-agree "$(awk 'FNR == 1 { n++ } ($1 == "kernel" || $1 == "user") && $3 ~ /^0x/ {
		va0 = $3 + 0; va1 = $4 + 0	# busybox awk reads hex (strtod)
		if (n == 1) { k++; lo[k] = va0; hi[k] = va1; h[k] = $1; t[k] = $7 " " $12; next }
		ok = 0
		for (i = 1; i <= k; i++)
			if (h[i] == $1 && lo[i] <= va0 && va1 <= hi[i] && t[i] == $7 " " $12) ok = 1
		if (!ok) bad++
	} END { print bad + 0 }' "$f" "$c")" 0

	f=$S2_TMP/effective.B
	eff_read "$vmB" "$f"
	t_diag "effective of B: $(grep -E '^(result|kernel_half|user_half|rows) ' "$f" | tr '\n' ' ')"
	t_eq eff-b-result "$(eff_key "$f" result)" ok
	t_eq eff-b-e1000e "$(awk -v b="$S2_E1000E" '$1 == "kernel" && $14 == b && $7 == "DEVICE_nGnRE" && $12 == "DEVICE_nGnRE"' "$f" | wc -l | awk '{ print ($1 > 0) }')" 1
	awk -v b="$S2_E1000E" '$14 == b' "$f" | sed 's/^/# /' | head -n 8

	check_stale_roots
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host shim of <linux/rbtree.h> for tests/unit/test_rtree.c: the same interface over an
 * unbalanced binary search tree with parent pointers.  Balance does not change what the
 * range tree computes, only how fast; the kernel build uses the real rbtree.
 */
#ifndef S2_KSHIM_RBTREE_H
#define S2_KSHIM_RBTREE_H

#include <linux/kernel.h>

struct rb_node {
	struct rb_node *rb_parent;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
};

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT ((struct rb_root){ NULL })
#define rb_entry(ptr, type, member) container_of(ptr, type, member)
#define rb_entry_safe(ptr, type, member) \
	({ __typeof__(ptr) ____ptr = (ptr); ____ptr ? rb_entry(____ptr, type, member) : NULL; })

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **link)
{
	node->rb_parent = parent;
	node->rb_left = node->rb_right = NULL;
	*link = node;
}

static inline void rb_insert_color(struct rb_node *node, struct rb_root *root)
{
	(void)node;
	(void)root;
}

static inline struct rb_node *rb_leftmost_of(struct rb_node *n)
{
	while (n && n->rb_left)
		n = n->rb_left;
	return n;
}

static inline struct rb_node *rb_rightmost_of(struct rb_node *n)
{
	while (n && n->rb_right)
		n = n->rb_right;
	return n;
}

static inline struct rb_node *rb_first(const struct rb_root *root)
{
	return rb_leftmost_of(root->rb_node);
}

static inline struct rb_node *rb_last(const struct rb_root *root)
{
	return rb_rightmost_of(root->rb_node);
}

static inline struct rb_node *rb_next(const struct rb_node *n)
{
	struct rb_node *p;

	if (n->rb_right)
		return rb_leftmost_of(n->rb_right);
	while ((p = n->rb_parent) && n == p->rb_right)
		n = p;
	return p;
}

static inline struct rb_node *rb_prev(const struct rb_node *n)
{
	struct rb_node *p;

	if (n->rb_left)
		return rb_rightmost_of(n->rb_left);
	while ((p = n->rb_parent) && n == p->rb_left)
		n = p;
	return p;
}

static inline void rb_replace_child(struct rb_node *old, struct rb_node *new,
				    struct rb_node *parent, struct rb_root *root)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
	if (new)
		new->rb_parent = parent;
}

static inline void rb_erase(struct rb_node *n, struct rb_root *root)
{
	if (!n->rb_left) {
		rb_replace_child(n, n->rb_right, n->rb_parent, root);
	} else if (!n->rb_right) {
		rb_replace_child(n, n->rb_left, n->rb_parent, root);
	} else {
		struct rb_node *s = rb_leftmost_of(n->rb_right);

		if (s->rb_parent != n) {
			rb_replace_child(s, s->rb_right, s->rb_parent, root);
			s->rb_right = n->rb_right;
			s->rb_right->rb_parent = s;
		}
		rb_replace_child(n, s, n->rb_parent, root);
		s->rb_left = n->rb_left;
		s->rb_left->rb_parent = s;
	}
}

/* Post-order: children before their parent, so that each node may be freed when visited. */
static inline struct rb_node *rb_first_postorder(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	while (n && (n->rb_left || n->rb_right))
		n = n->rb_left ? n->rb_left : n->rb_right;
	return n;
}

static inline struct rb_node *rb_next_postorder(const struct rb_node *n)
{
	struct rb_node *p, *c;

	if (!n)
		return NULL;
	p = n->rb_parent;
	if (p && n == p->rb_left && p->rb_right) {
		c = p->rb_right;
		while (c->rb_left || c->rb_right)
			c = c->rb_left ? c->rb_left : c->rb_right;
		return c;
	}
	return p;
}

#define rbtree_postorder_for_each_entry_safe(pos, n, root, field)			\
	for (pos = rb_entry_safe(rb_first_postorder(root), __typeof__(*pos), field);	\
	     pos && ({ n = rb_entry_safe(rb_next_postorder(&pos->field),			\
					 __typeof__(*pos), field); 1; });		\
	     pos = n)

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * vigia_continfo - /proc/continfo_so1_<id>: the processes that belong to a
 * container, with the container's full id, plus per-container totals, as one
 * JSON document per open (see vigia_common.c for the contract and
 * schema/vigia-proc.v1.schema.json for the format).
 *
 * A process belongs to a container when a component of its cgroup path names
 * one; names, namespaces and command lines are never looked at. The unified
 * (v2) path is tried first, then the path in each v1 hierarchy; within a path
 * the innermost matching component wins:
 *
 *   docker-<64 hex>.scope                          docker (systemd driver)
 *   <64 hex> whose parent component is "docker"    docker (cgroupfs driver)
 *   cri-containerd-<64 hex>.scope                  kubernetes
 *   <64 hex> below a component "kubepods*"         kubernetes
 *   libpod-<64 hex>.scope                          podman
 *   libpod-<64 hex> below "machine.slice"          podman
 *
 * Not containers: docker.service, containerd.service, libpod-conmon-*.scope,
 * kernel threads, and any other name that merely contains "docker".
 * TODO: plain containerd (ctr: /<namespace>/<64 hex>) is not detected; a
 * namespace name is indistinguishable from any other directory without
 * asking containerd, so it would misreport host cgroups named like an id.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vigia.h"

#include <linux/cgroup.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>

#define CONTINFO_ID_LEN	64

struct continfo_total {
	char		id[CONTINFO_ID_LEN + 1];
	const char	*runtime;
	u32		processes;
	u64		vsz_kb;
	u64		rss_kb;
	u64		cpu_ns;
	u64		cpu_pct100;
	u64		io_read_bytes;
	u64		io_write_bytes;
};

struct continfo_totals {
	struct continfo_total	*v;
	unsigned int		n;
	unsigned int		cap;
};

/* ---- cgroup path matching ---- */

static bool continfo_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != CONTINFO_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

/* Is c[0..n) exactly pre + <64 hex> + suf? Then *hex points at the id. */
static bool continfo_wrapped(const char *c, size_t n, const char *pre,
			     const char *suf, const char **hex)
{
	size_t lp = strlen(pre), ls = strlen(suf);

	if (n != lp + CONTINFO_ID_LEN + ls || strncmp(c, pre, lp) ||
	    strncmp(c + n - ls, suf, ls) || !continfo_hex64(c + lp, CONTINFO_ID_LEN))
		return false;
	*hex = c + lp;
	return true;
}

/* Does a component of path[0..end) equal name (or start with it)? */
static bool continfo_ancestor(const char *path, size_t end, const char *name,
			      bool prefix)
{
	size_t start = 0, stop, ln = strlen(name);

	while (start < end) {
		stop = start;
		while (stop < end && path[stop] != '/')
			stop++;
		if (stop - start >= ln && !strncmp(path + start, name, ln) &&
		    (prefix || stop - start == ln))
			return true;
		start = stop + 1;
	}
	return false;
}

static bool continfo_parent_is(const char *path, size_t start, const char *name)
{
	size_t pend, pstart, ln = strlen(name);

	if (start < 2)
		return false;
	pend = start - 1;
	pstart = pend;
	while (pstart > 0 && path[pstart - 1] != '/')
		pstart--;
	return pend - pstart == ln && !strncmp(path + pstart, name, ln);
}

/* The runtime named by component path[start..end), or NULL. */
static const char *continfo_component(const char *path, size_t start,
				      size_t end, const char **hex)
{
	const char *c = path + start;
	size_t n = end - start;

	if (continfo_wrapped(c, n, "docker-", ".scope", hex))
		return "docker";
	if (continfo_wrapped(c, n, "cri-containerd-", ".scope", hex))
		return "kubernetes";
	if (continfo_wrapped(c, n, "libpod-", ".scope", hex))
		return "podman";
	if (continfo_wrapped(c, n, "libpod-", "", hex) &&
	    continfo_ancestor(path, start, "machine.slice", false))
		return "podman";
	if (!continfo_hex64(c, n))
		return NULL;
	*hex = c;
	if (continfo_parent_is(path, start, "docker"))
		return "docker";
	if (continfo_ancestor(path, start, "kubepods", true))
		return "kubernetes";
	return NULL;
}

/* Innermost component of path[0..len) that names a container. */
static const char *continfo_match(const char *path, size_t len, char *id)
{
	size_t end = len, start;
	const char *runtime, *hex;

	while (end > 0) {
		start = end;
		while (start > 0 && path[start - 1] != '/')
			start--;
		runtime = continfo_component(path, start, end, &hex);
		if (runtime) {
			memcpy(id, hex, CONTINFO_ID_LEN);
			id[CONTINFO_ID_LEN] = '\0';
			return runtime;
		}
		if (!start)
			break;
		end = start - 1;
	}
	return NULL;
}

/* Caller holds rcu_read_lock(), which keeps cgrp and its kernfs node alive. */
static const char *continfo_try(struct vigia_ctx *ctx, struct cgroup *cgrp,
				char *id)
{
	int ret;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "vigia: cgroup path outside RCU");
	/* kernfs_path() takes only a spinlock: fine under RCU. */
	ret = cgroup_path(cgrp, ctx->path, PATH_MAX);
	if (ret < 0 || ret >= PATH_MAX)
		return NULL;
	return continfo_match(ctx->path, strnlen(ctx->path, PATH_MAX), id);
}

static bool continfo_seen(struct cgroup_root **seen, unsigned int *n,
			  struct cgroup_root *root)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (seen[i] == root)
			return true;
	seen[(*n)++] = root;
	return false;
}

/*
 * The container of @task, from its unified cgroup, else from its cgroup in
 * each v1 hierarchy. On a match, ctx->path holds the matching path.
 */
static const char *continfo_detect(struct vigia_ctx *ctx,
				   struct task_struct *task, char *id)
{
	struct cgroup_root *seen[CGROUP_SUBSYS_COUNT + 1];
	struct cgroup_subsys_state *css;
	const char *runtime;
	struct css_set *cset;
	unsigned int n = 0;
	int i;

	/* RCU protects task->cgroups and the cgroups it points to. */
	rcu_read_lock();
	cset = task_css_set(task);
	continfo_seen(seen, &n, cset->dfl_cgrp->root);
	runtime = continfo_try(ctx, cset->dfl_cgrp, id);
	for (i = 0; !runtime && i < CGROUP_SUBSYS_COUNT; i++) {
		css = cset->subsys[i];
		if (!css || continfo_seen(seen, &n, css->cgroup->root))
			continue;
		runtime = continfo_try(ctx, css->cgroup, id);
	}
	rcu_read_unlock();
	return runtime;
}

/* ---- per-container totals ---- */

static struct continfo_total *continfo_total_get(struct vigia_ctx *ctx,
						 const char *id)
{
	struct continfo_totals *ts = ctx->priv;
	struct continfo_total *v;
	unsigned int i, cap;

	for (i = 0; i < ts->n; i++)
		if (!memcmp(ts->v[i].id, id, CONTINFO_ID_LEN))
			return &ts->v[i];
	if (ts->n == ts->cap) {
		cap = max(2 * ts->cap, 16U);
		v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
		if (!v)
			return NULL;
		if (ts->n)
			memcpy(v, ts->v, ts->n * sizeof(*v));
		kvfree(ts->v);
		ts->v = v;
		ts->cap = cap;
	}
	v = &ts->v[ts->n++];
	memset(v, 0, sizeof(*v));
	memcpy(v->id, id, CONTINFO_ID_LEN + 1);
	return v;
}

static void continfo_total_add(struct vigia_ctx *ctx, const char *id,
			       const char *runtime, const struct vigia_task *rec)
{
	struct continfo_totals *ts = ctx->priv;
	struct continfo_total *t;

	if (!ts) {
		ts = kzalloc(sizeof(*ts), GFP_KERNEL);
		ctx->priv = ts;
	}
	t = ts ? continfo_total_get(ctx, id) : NULL;
	if (!t) {
		ctx->out.err = -ENOMEM;
		return;
	}
	t->runtime = runtime;
	t->processes++;
	t->vsz_kb += rec->vsz_kb;
	t->rss_kb += rec->rss_kb;
	t->cpu_ns += rec->cpu_ns;
	t->cpu_pct100 += rec->cpu_pct100;
	t->io_read_bytes += rec->io_read_bytes;
	t->io_write_bytes += rec->io_write_bytes;
}

/* ---- the kind ---- */

static void continfo_process(struct vigia_ctx *ctx, struct task_struct *task,
			     const struct vigia_task *rec)
{
	char id[CONTINFO_ID_LEN + 1];
	const char *runtime;

	if (rec->kthread)
		return;
	runtime = continfo_detect(ctx, task, id);
	if (!runtime)
		return;
	vigia_process_begin(ctx, task, rec);
	vigia_buf_printf(&ctx->out, ",\"container_id\":\"%s\",\"cgroup\":", id);
	vigia_json_string(&ctx->out, ctx->path, strnlen(ctx->path, PATH_MAX));
	vigia_process_end(ctx);
	continfo_total_add(ctx, id, runtime, rec);
}

static int continfo_total_cmp(const void *a, const void *b)
{
	const struct continfo_total *x = a, *y = b;

	return memcmp(x->id, y->id, CONTINFO_ID_LEN);
}

static void continfo_total_write(struct vigia_ctx *ctx,
				 const struct continfo_total *t, bool first)
{
	struct vigia_buf *b = &ctx->out;

	vigia_buf_printf(b, "%s{\"id\":\"%s\",\"runtime\":\"%s\",\"processes\":%u",
			 first ? "" : ",", t->id, t->runtime, t->processes);
	vigia_buf_printf(b, ",\"vsz_kb\":%llu,\"rss_kb\":%llu",
			 t->vsz_kb, t->rss_kb);
	vigia_json_pct(b, "mem_pct", vigia_pct100(t->rss_kb,
						  ctx->sample.total_kb));
	vigia_json_pct(b, "cpu_pct", t->cpu_pct100);
	vigia_buf_printf(b, ",\"cpu_time_ns\":%llu,\"io_read_bytes\":%llu,\"io_write_bytes\":%llu}",
			 t->cpu_ns, t->io_read_bytes, t->io_write_bytes);
}

static void continfo_finish(struct vigia_ctx *ctx)
{
	struct continfo_totals *ts = ctx->priv;
	unsigned int i;

	vigia_buf_put(&ctx->out, ",\"containers\":[", 15);
	if (ts) {
		sort(ts->v, ts->n, sizeof(*ts->v), continfo_total_cmp, NULL);
		for (i = 0; i < ts->n; i++)
			continfo_total_write(ctx, &ts->v[i], i == 0);
	}
	vigia_buf_put(&ctx->out, "]", 1);
}

static void continfo_cleanup(struct vigia_ctx *ctx)
{
	struct continfo_totals *ts = ctx->priv;

	if (ts)
		kvfree(ts->v);
	kfree(ts);
	ctx->priv = NULL;
}

static const struct vigia_kind continfo_kind = {
	.name		= "continfo",
	.process	= continfo_process,
	.finish		= continfo_finish,
	.cleanup	= continfo_cleanup,
};

static int __init continfo_init(void)
{
	return vigia_proc_create(&continfo_kind);
}

static void __exit continfo_exit(void)
{
	vigia_proc_remove();
}

module_init(continfo_init);
module_exit(continfo_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("vigia");
MODULE_DESCRIPTION("JSON snapshot of container processes in /proc/continfo_so1_<id>");
MODULE_VERSION(VIGIA_VERSION);

// SPDX-License-Identifier: GPL-2.0
/*
 * The part of vigia_continfo and vigia_sysinfo they share:
 * JSON writing with escaping, memory figures, the per-task record, and the
 * /proc file that serves a snapshot.
 *
 * Contract: each open() of the /proc file takes one snapshot and builds the
 * whole JSON document (schema/vigia-proc.v1.schema.json) into a buffer private
 * to that open file; read() and lseek() serve that buffer through seq_file;
 * release() frees it. The document is a best-effort snapshot: tasks may appear
 * or vanish while it is taken, and the figures of one task are read at
 * slightly different instants. Readers never share state, so any number of
 * them may read at once, and a reader that restarts (seq_file calls ->show
 * again after growing its page) gets the same bytes again.
 *
 * Locking: the task list is walked under rcu_read_lock() only to take a
 * reference on every thread-group leader; everything that may sleep (mm
 * references, mmap_lock inside access_process_vm(), allocations) happens
 * after leaving that section, on the referenced tasks.
 */

#include "vigia.h"

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/sched/cputime.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/utsname.h>

static char *id;
module_param(id, charp, 0444);
MODULE_PARM_DESC(id, "suffix of the /proc file name: 1 to 32 letters, digits or '_' (required)");

static ushort mode = 0400;
module_param(mode, ushort, 0444);
MODULE_PARM_DESC(mode, "permission bits of the /proc file, read bits only (default 0400: root only, command lines can carry secrets)");

/* seq_file serves the snapshot in pieces of this size. */
#define VIGIA_CHUNK		2048
#define VIGIA_ID_MAX		32

/* ---- output buffer and JSON ---- */

static bool vigia_buf_reserve(struct vigia_buf *b, size_t extra)
{
	size_t want, cap;
	char *data;

	if (b->err)
		return false;
	if (check_add_overflow(b->len, extra + 1, &want) || want > VIGIA_OUT_MAX) {
		b->err = -EFBIG;
		return false;
	}
	if (want <= b->cap)
		return true;
	cap = max3(want, 2 * b->cap, (size_t)PAGE_SIZE);
	cap = min_t(size_t, cap, VIGIA_OUT_MAX);
	data = kvmalloc(cap, GFP_KERNEL);
	if (!data) {
		b->err = -ENOMEM;
		return false;
	}
	if (b->len)
		memcpy(data, b->data, b->len);
	kvfree(b->data);
	b->data = data;
	b->cap = cap;
	return true;
}

void vigia_buf_put(struct vigia_buf *b, const char *s, size_t n)
{
	if (!vigia_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void vigia_buf_printf(struct vigia_buf *b, const char *fmt, ...)
{
	va_list args;
	int n;

	if (!vigia_buf_reserve(b, 64))
		return;
	va_start(args, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, args);
	va_end(args);
	if (n < b->cap - b->len) {
		b->len += n;
		return;
	}
	if (!vigia_buf_reserve(b, n))
		return;
	va_start(args, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, args);
	va_end(args);
	b->len += n;
}

/* Length of the well-formed UTF-8 sequence at s, or 0 if there is none. */
static size_t vigia_utf8_len(const u8 *s, size_t n)
{
	size_t len, i;
	u32 c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

/*
 * vigia_json_string - write s[0..n) as a quoted JSON string.
 *
 * Well-formed UTF-8 is copied; '"', '\\', control bytes and DEL are escaped;
 * every byte that is not part of a well-formed sequence is written as
 * \u00XX, so the output is valid JSON whatever a task put in its name.
 */
void vigia_json_string(struct vigia_buf *b, const char *s, size_t n)
{
	const u8 *p = (const u8 *)s, *end = p + n;
	size_t len;

	vigia_buf_put(b, "\"", 1);
	while (p < end && !b->err) {
		len = vigia_utf8_len(p, end - p);
		if (len > 1) {
			vigia_buf_put(b, (const char *)p, len);
			p += len;
			continue;
		}
		switch (*p) {
		case '"':
			vigia_buf_put(b, "\\\"", 2);
			break;
		case '\\':
			vigia_buf_put(b, "\\\\", 2);
			break;
		case '\n':
			vigia_buf_put(b, "\\n", 2);
			break;
		case '\t':
			vigia_buf_put(b, "\\t", 2);
			break;
		case '\r':
			vigia_buf_put(b, "\\r", 2);
			break;
		default:
			if (len == 1 && *p >= 0x20 && *p != 0x7f)
				vigia_buf_put(b, (const char *)p, 1);
			else
				vigia_buf_printf(b, "\\u%04x", *p);
		}
		p++;
	}
	vigia_buf_put(b, "\"", 1);
}

/* part / whole as a percentage times 100, without floating point. */
u64 vigia_pct100(u64 part, u64 whole)
{
	if (!whole)
		return 0;
	/* Scale down first so part * 10000 cannot overflow 64 bits. */
	while (part > U64_MAX / 10000) {
		part >>= 1;
		whole >>= 1;
	}
	return div64_u64(part * 10000, whole ?: 1);
}

void vigia_json_pct(struct vigia_buf *b, const char *key, u64 pct100)
{
	u64 rem;
	u64 whole = div64_u64_rem(pct100, 100, &rem);

	vigia_buf_printf(b, ",\"%s\":%llu.%02llu", key, whole, rem);
}

/* ---- the sample: time and memory ---- */

static void vigia_sample_take(struct vigia_sample *s)
{
	struct sysinfo si;
	unsigned int shift = PAGE_SHIFT - 10;

	s->timestamp_ns = ktime_get_real_ns();
	s->uptime_ns = ktime_get_boottime_ns();
	s->cpus = num_online_cpus();
	si_meminfo(&si);
	s->total_kb = (u64)si.totalram << shift;
	s->free_kb = (u64)si.freeram << shift;
	s->available_kb = (u64)si_mem_available() << shift;
	/* MemAvailable is an estimate and can exceed MemTotal briefly. */
	s->available_kb = min(s->available_kb, s->total_kb);
}

static void vigia_header_write(struct vigia_ctx *ctx, const char *kind)
{
	const struct vigia_sample *s = &ctx->sample;
	struct vigia_buf *b = &ctx->out;
	u64 used = s->total_kb - s->available_kb;

	vigia_buf_printf(b, "{\"schema_version\":%d,\"kind\":\"%s\",\"kernel\":",
			 VIGIA_SCHEMA_VERSION, kind);
	vigia_json_string(b, init_utsname()->release,
			  strnlen(init_utsname()->release, __NEW_UTS_LEN));
	vigia_buf_printf(b, ",\"timestamp_ns\":%llu,\"uptime_ns\":%llu,\"cpus\":%u",
			 s->timestamp_ns, s->uptime_ns, s->cpus);
	vigia_buf_printf(b, ",\"memory\":{\"total_kb\":%llu,\"free_kb\":%llu",
			 s->total_kb, s->free_kb);
	vigia_buf_printf(b, ",\"available_kb\":%llu,\"used_kb\":%llu",
			 s->available_kb, used);
	vigia_json_pct(b, "used_pct", vigia_pct100(used, s->total_kb));
	vigia_buf_put(b, "},\"processes\":[", 15);
}

/* ---- task collection ---- */

/* Capacity that fitted last time, so most reads allocate once. */
static unsigned int vigia_tasks_hint = 512;

struct vigia_tasks {
	struct task_struct	**v;
	unsigned int		n;
};

static void vigia_tasks_release(struct vigia_tasks *ts)
{
	unsigned int i;

	for (i = 0; i < ts->n; i++)
		put_task_struct(ts->v[i]);
	kvfree(ts->v);
	ts->v = NULL;
	ts->n = 0;
}

static int vigia_task_cmp(const void *a, const void *b)
{
	const struct task_struct *x = *(struct task_struct * const *)a;
	const struct task_struct *y = *(struct task_struct * const *)b;

	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/*
 * Takes a reference on every thread-group leader, in at most @cap slots.
 * Returns false when the slots ran out (the caller retries with more).
 */
static bool vigia_tasks_grab(struct vigia_tasks *ts, unsigned int cap)
{
	struct task_struct *p;
	bool fits = true;

	/* RCU keeps the task list walkable and each task_struct alive until
	 * get_task_struct() pins it; nothing in this section may sleep.
	 */
	rcu_read_lock();
	for_each_process(p) {
		if (ts->n == cap) {
			fits = false;
			break;
		}
		get_task_struct(p);
		ts->v[ts->n++] = p;
#ifdef VIGIA_BROKEN_SLEEP_IN_RCU
		/* Negative control for the VM lane: a blocking call, standing
		 * for get_cmdline() or mmput(), inside the RCU section.
		 */
		if (ts->n == 1)
			usleep_range(1000, 2000);
#endif
	}
	rcu_read_unlock();
	return fits;
}

static int vigia_tasks_collect(struct vigia_tasks *ts)
{
	unsigned int cap = max(READ_ONCE(vigia_tasks_hint), 64U);

	for (;;) {
		ts->n = 0;
		ts->v = kvmalloc_array(cap, sizeof(*ts->v), GFP_KERNEL);
		if (!ts->v)
			return -ENOMEM;
		if (vigia_tasks_grab(ts, cap))
			break;
		vigia_tasks_release(ts);
		if (cap > PID_MAX_LIMIT)
			return -EOVERFLOW;
		cap *= 2;
	}
	/* Leave room for growth so the next read does not retry. */
	WRITE_ONCE(vigia_tasks_hint, ts->n + ts->n / 4 + 64);
	sort(ts->v, ts->n, sizeof(*ts->v), vigia_task_cmp, NULL);
	return 0;
}

/* ---- the per-task record ---- */

static const char vigia_state_letters[] = "RSDTtXZPI";

/* CPU time and I/O of the whole thread group, dead threads included. */
static void vigia_task_totals(struct task_struct *task, struct vigia_task *rec)
{
	struct signal_struct *sig = task->signal;
	struct task_struct *t;
	unsigned int seq;

	/* Caller holds rcu_read_lock(): it keeps the thread list walkable.
	 * stats_lock orders us against __exit_signal() folding a dying
	 * thread's counters into sig; retry if that happened meanwhile.
	 */
	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "vigia: thread walk outside RCU");
	do {
		seq = read_seqbegin(&sig->stats_lock);
		rec->cpu_ns = sig->sum_sched_runtime;
#ifdef CONFIG_TASK_IO_ACCOUNTING
		rec->io_read_bytes = sig->ioac.read_bytes;
		rec->io_write_bytes = sig->ioac.write_bytes;
#endif
		__for_each_thread(sig, t) {
			rec->cpu_ns += READ_ONCE(t->se.sum_exec_runtime);
#ifdef CONFIG_TASK_IO_ACCOUNTING
			rec->io_read_bytes += t->ioac.read_bytes;
			rec->io_write_bytes += t->ioac.write_bytes;
#endif
		}
	} while (read_seqretry(&sig->stats_lock, seq));
}

/* Identity and counters; -ESRCH if the task was reaped after collection. */
static int vigia_task_ids(struct task_struct *task, struct vigia_task *rec)
{
	BUILD_BUG_ON(1 + ilog2(TASK_REPORT_MAX) !=
		     sizeof(vigia_state_letters) - 1);

	/* RCU protects real_parent, the credentials and the thread list. */
	rcu_read_lock();
	if (!pid_alive(task)) {
		rcu_read_unlock();
		return -ESRCH;
	}
	rec->pid = task_tgid_nr(task);
	rec->ppid = task_tgid_nr(rcu_dereference(task->real_parent));
	rec->uid = from_kuid_munged(&init_user_ns, task_uid(task));
	rec->threads = get_nr_threads(task);
	rec->state = vigia_state_letters[task_state_index(task)];
	vigia_task_totals(task, rec);
	rcu_read_unlock();
	return 0;
}

static unsigned long vigia_rss_pages(struct mm_struct *mm)
{
#ifdef VIGIA_RSS_PERCPU
	/* Per-CPU counters (6.2 on): get_mm_rss() reads only the shared part,
	 * which lags by up to a batch per CPU. Sum them, as VmRSS does.
	 */
	return percpu_counter_sum_positive(&mm->rss_stat[MM_FILEPAGES]) +
	       percpu_counter_sum_positive(&mm->rss_stat[MM_ANONPAGES]) +
	       percpu_counter_sum_positive(&mm->rss_stat[MM_SHMEMPAGES]);
#else
	return get_mm_rss(mm);
#endif
}

static void vigia_task_mm(struct task_struct *task, struct vigia_task *rec)
{
	unsigned int shift = PAGE_SHIFT - 10;
	struct mm_struct *mm;

	/* NULL for kernel threads and for tasks past exit_mm(). */
	mm = get_task_mm(task);
	if (!mm)
		return;
	/* Counters, read without mmap_lock as /proc/<pid>/status does. */
	rec->vsz_kb = (u64)READ_ONCE(mm->total_vm) << shift;
	rec->rss_kb = (u64)vigia_rss_pages(mm) << shift;
	mmput(mm);
}

static int vigia_task_read(struct vigia_ctx *ctx, struct task_struct *task,
			   struct vigia_task *rec)
{
	const struct vigia_sample *s = &ctx->sample;
	u64 alive;
	int err;

	memset(rec, 0, sizeof(*rec));
	err = vigia_task_ids(task, rec);
	if (err)
		return err;
	rec->kthread = task->flags & PF_KTHREAD;
	get_task_comm(rec->comm, task);
	rec->start_ns = task->start_boottime;
	vigia_task_mm(task, rec);
	rec->mem_pct100 = vigia_pct100(rec->rss_kb, s->total_kb);
	alive = s->uptime_ns > rec->start_ns ? s->uptime_ns - rec->start_ns : 0;
	rec->cpu_pct100 = vigia_pct100(rec->cpu_ns, alive);
	return 0;
}

/* ---- process objects ---- */

/*
 * Reads the argument area into ctx->cmdline, at most VIGIA_CMDLINE_MAX bytes,
 * with the NULs between arguments turned into spaces. Sleeps (mmap_lock):
 * never call it under RCU or a spinlock.
 */
static size_t vigia_cmdline_read(struct vigia_ctx *ctx,
				 struct task_struct *task, bool *truncated)
{
	unsigned long start, end, len;
	struct mm_struct *mm;
	int got, i;

	might_sleep();
	*truncated = false;
	mm = get_task_mm(task);
	if (!mm)
		return 0;
	/* arg_lock keeps the two bounds consistent with each other. */
	spin_lock(&mm->arg_lock);
	start = mm->arg_start;
	end = mm->arg_end;
	spin_unlock(&mm->arg_lock);
	mmput(mm);
	if (end <= start)
		return 0;
	len = end - start;
	if (len > VIGIA_CMDLINE_MAX) {
		len = VIGIA_CMDLINE_MAX;
		*truncated = true;
	}
	got = access_process_vm(task, start, ctx->cmdline, len, FOLL_FORCE);
	if (got <= 0)
		return 0;
	/* The last argument's NUL is not a separator. */
	if (!*truncated && ctx->cmdline[got - 1] == '\0')
		got--;
	for (i = 0; i < got; i++)
		if (ctx->cmdline[i] == '\0')
			ctx->cmdline[i] = ' ';
	return got;
}

/**
 * vigia_process_begin - write a process object, all but its closing brace.
 * @ctx: the snapshot being built
 * @task: the task @rec was read from, referenced by the caller
 * @rec: the record
 *
 * The caller adds the fields of its kind, then vigia_process_end().
 * Sleeps: reads the command line.
 */
void vigia_process_begin(struct vigia_ctx *ctx, struct task_struct *task,
			 const struct vigia_task *rec)
{
	struct vigia_buf *b = &ctx->out;
	bool truncated;
	size_t len;

	len = vigia_cmdline_read(ctx, task, &truncated);
	vigia_buf_printf(b, "%s{\"pid\":%d,\"ppid\":%d,\"name\":",
			 ctx->written++ ? "," : "", rec->pid, rec->ppid);
	vigia_json_string(b, rec->comm, strnlen(rec->comm, TASK_COMM_LEN));
	vigia_buf_put(b, ",\"cmdline\":", 11);
	vigia_json_string(b, ctx->cmdline, len);
	vigia_buf_printf(b, ",\"cmdline_truncated\":%s,\"uid\":%u,\"threads\":%u",
			 truncated ? "true" : "false", rec->uid, rec->threads);
	vigia_buf_printf(b, ",\"vsz_kb\":%llu,\"rss_kb\":%llu",
			 rec->vsz_kb, rec->rss_kb);
	vigia_json_pct(b, "mem_pct", rec->mem_pct100);
	vigia_json_pct(b, "cpu_pct", rec->cpu_pct100);
	vigia_buf_printf(b, ",\"cpu_time_ns\":%llu,\"start_time_ns\":%llu",
			 rec->cpu_ns, rec->start_ns);
	vigia_buf_printf(b, ",\"io_read_bytes\":%llu,\"io_write_bytes\":%llu",
			 rec->io_read_bytes, rec->io_write_bytes);
}

/* ---- one snapshot ---- */

static void vigia_ctx_free(struct vigia_ctx *ctx, const struct vigia_kind *kind)
{
	if (kind->cleanup)
		kind->cleanup(ctx);
	kvfree(ctx->out.data);
	kfree(ctx->cmdline);
	kfree(ctx->path);
	kfree(ctx);
}

static int vigia_snapshot_fill(struct vigia_ctx *ctx,
			       const struct vigia_kind *kind)
{
	struct vigia_tasks ts = {};
	struct vigia_task rec;
	unsigned int i;
	int err;

	vigia_sample_take(&ctx->sample);
	vigia_header_write(ctx, kind->name);
	err = vigia_tasks_collect(&ts);
	if (err)
		return err;
	for (i = 0; i < ts.n && !ctx->out.err; i++) {
		if (vigia_task_read(ctx, ts.v[i], &rec) == 0)
			kind->process(ctx, ts.v[i], &rec);
		if (fatal_signal_pending(current)) {
			ctx->out.err = -EINTR;
			break;
		}
		cond_resched();
	}
	vigia_tasks_release(&ts);
	vigia_buf_put(&ctx->out, "]", 1);
	if (kind->finish)
		kind->finish(ctx);
	vigia_buf_put(&ctx->out, "}\n", 2);
	return ctx->out.err;
}

/* Builds one snapshot; on success the caller owns ctx and frees it. */
static struct vigia_ctx *vigia_snapshot(const struct vigia_kind *kind)
{
	struct vigia_ctx *ctx;
	int err;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ctx->cmdline = kmalloc(VIGIA_CMDLINE_MAX, GFP_KERNEL);
	ctx->path = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!ctx->cmdline || !ctx->path) {
		err = -ENOMEM;
		goto err_free;
	}
	err = vigia_snapshot_fill(ctx, kind);
	if (err)
		goto err_free;
	/* Only the output is needed from here on. */
	if (kind->cleanup)
		kind->cleanup(ctx);
	kfree(ctx->cmdline);
	kfree(ctx->path);
	ctx->cmdline = NULL;
	ctx->path = NULL;
	return ctx;

err_free:
	vigia_ctx_free(ctx, kind);
	return ERR_PTR(err);
}

/* ---- seq_file over the snapshot: position n is chunk n ---- */

static void *vigia_seq_at(struct seq_file *m, loff_t *pos)
{
	struct vigia_ctx *ctx = m->private;

	if (*pos < 0 || *pos >= DIV_ROUND_UP(ctx->out.len, VIGIA_CHUNK))
		return NULL;
	return pos;
}

static void *vigia_seq_start(struct seq_file *m, loff_t *pos)
{
	return vigia_seq_at(m, pos);
}

static void *vigia_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return vigia_seq_at(m, pos);
}

static void vigia_seq_stop(struct seq_file *m, void *v)
{
}

/* The snapshot never changes, so showing a chunk twice is harmless. */
static int vigia_seq_show(struct seq_file *m, void *v)
{
	struct vigia_ctx *ctx = m->private;
	size_t off = (size_t)*(loff_t *)v * VIGIA_CHUNK;

	seq_write(m, ctx->out.data + off, min_t(size_t, VIGIA_CHUNK,
						ctx->out.len - off));
	return 0;
}

static const struct seq_operations vigia_seq_ops = {
	.start	= vigia_seq_start,
	.next	= vigia_seq_next,
	.stop	= vigia_seq_stop,
	.show	= vigia_seq_show,
};

static int vigia_proc_open(struct inode *inode, struct file *file)
{
	const struct vigia_kind *kind = pde_data(inode);
	struct vigia_ctx *ctx;
	int err;

	ctx = vigia_snapshot(kind);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	err = seq_open(file, &vigia_seq_ops);
	if (err) {
		vigia_ctx_free(ctx, kind);
		return err;
	}
	((struct seq_file *)file->private_data)->private = ctx;
	return 0;
}

static int vigia_proc_release(struct inode *inode, struct file *file)
{
	const struct vigia_kind *kind = pde_data(inode);
	struct seq_file *m = file->private_data;

	vigia_ctx_free(m->private, kind);
	return seq_release(inode, file);
}

static const struct proc_ops vigia_proc_ops = {
	.proc_open	= vigia_proc_open,
	.proc_read_iter	= seq_read_iter,
	.proc_lseek	= seq_lseek,
	.proc_release	= vigia_proc_release,
};

/* ---- the /proc entry ---- */

static struct proc_dir_entry *vigia_entry;
static char vigia_name[64];

static int vigia_params_check(void)
{
	size_t i, len = id ? strlen(id) : 0;

	if (!len || len > VIGIA_ID_MAX) {
		pr_err("id= is required: 1 to %d letters, digits or '_'\n",
		       VIGIA_ID_MAX);
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (!isalnum(id[i]) && id[i] != '_') {
			pr_err("id=%s: only letters, digits and '_' are allowed\n",
			       id);
			return -EINVAL;
		}
	}
	if (mode & ~0444 || !(mode & 0400)) {
		pr_err("mode=%#o: want read bits only, owner included (such as 0400 or 0444)\n",
		       mode);
		return -EINVAL;
	}
	return 0;
}

/**
 * vigia_proc_create - check the parameters and create /proc/<kind>_so1_<id>.
 * @kind: what the file serves; must outlive the entry
 *
 * Return: 0, or a negative errno after logging why.
 */
int vigia_proc_create(const struct vigia_kind *kind)
{
	int err;

	err = vigia_params_check();
	if (err)
		return err;
	snprintf(vigia_name, sizeof(vigia_name), "%s_so1_%s", kind->name, id);
	vigia_entry = proc_create_data(vigia_name, mode, NULL, &vigia_proc_ops,
				       (void *)kind);
	if (!vigia_entry) {
		pr_err("cannot create /proc/%s (does it exist already?)\n",
		       vigia_name);
		return -EEXIST;
	}
	pr_info("version %s: /proc/%s ready, mode %#o\n", VIGIA_VERSION,
		vigia_name, mode);
	return 0;
}

/**
 * vigia_proc_remove - remove the /proc entry.
 *
 * proc_remove() waits for readers inside our callbacks and releases files
 * still open, so no callback runs once it returns.
 */
void vigia_proc_remove(void)
{
	proc_remove(vigia_entry);
	pr_info("/proc/%s removed\n", vigia_name);
}

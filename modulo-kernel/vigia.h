/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the common source (vigia_common.c) gives both modules:
 * a growable JSON output buffer, the per-task record, the /proc plumbing.
 *
 * vigia_common.c is compiled into each module separately (continfo_common.c
 * and sysinfo_common.c include it), so nothing here is exported between
 * modules and each module is self-contained.
 */
#ifndef VIGIA_H
#define VIGIA_H

#include <linux/sched.h>
#include <linux/types.h>

#define VIGIA_VERSION		"1.0.0"
#define VIGIA_SCHEMA_VERSION	1

/* Raw bytes of a command line kept before escaping; past it: truncated. */
#define VIGIA_CMDLINE_MAX	4096
/* A snapshot larger than this fails the open with -EFBIG. */
#define VIGIA_OUT_MAX		(128UL << 20)

/* An output buffer whose first failure sticks: later writes do nothing. */
struct vigia_buf {
	char	*data;
	size_t	len;
	size_t	cap;
	int	err;
};

/* Values read once at the start of a snapshot. */
struct vigia_sample {
	u64	timestamp_ns;	/* CLOCK_REALTIME */
	u64	uptime_ns;	/* CLOCK_BOOTTIME, base of start_ns */
	u64	total_kb;
	u64	free_kb;
	u64	available_kb;
	unsigned int cpus;
};

/* One process (thread group), read from its leader. */
struct vigia_task {
	pid_t	pid;
	pid_t	ppid;
	uid_t	uid;
	u32	threads;
	char	state;		/* letter of /proc/<pid>/stat */
	bool	kthread;
	char	comm[TASK_COMM_LEN];
	u64	vsz_kb;
	u64	rss_kb;
	u64	cpu_ns;		/* all threads, dead ones included */
	u64	start_ns;	/* since boot, CLOCK_BOOTTIME */
	u64	io_read_bytes;
	u64	io_write_bytes;
	u64	mem_pct100;	/* percent * 100 */
	u64	cpu_pct100;	/* percent * 100, over the whole life */
};

struct vigia_ctx;

/*
 * What makes continfo and sysinfo differ. ->process decides whether a task
 * goes in and writes it; ->finish appends what follows "processes";
 * ->cleanup frees what ->process kept, on success and on error alike.
 */
struct vigia_kind {
	const char *name;
	void (*process)(struct vigia_ctx *ctx, struct task_struct *task,
			const struct vigia_task *rec);
	void (*finish)(struct vigia_ctx *ctx);
	void (*cleanup)(struct vigia_ctx *ctx);
};

/* State of one snapshot being built; private to the open file. */
struct vigia_ctx {
	struct vigia_buf	out;
	struct vigia_sample	sample;
	unsigned int		written;	/* process objects so far */
	char			*cmdline;	/* VIGIA_CMDLINE_MAX scratch */
	char			*path;		/* PATH_MAX scratch */
	void			*priv;		/* owned by the kind */
};

void vigia_buf_put(struct vigia_buf *b, const char *s, size_t n);
__printf(2, 3) void vigia_buf_printf(struct vigia_buf *b, const char *fmt, ...);
void vigia_json_string(struct vigia_buf *b, const char *s, size_t n);
void vigia_json_pct(struct vigia_buf *b, const char *key, u64 pct100);
u64 vigia_pct100(u64 part, u64 whole);

void vigia_process_begin(struct vigia_ctx *ctx, struct task_struct *task,
			 const struct vigia_task *rec);
static inline void vigia_process_end(struct vigia_ctx *ctx)
{
	vigia_buf_put(&ctx->out, "}", 1);
}

int vigia_proc_create(const struct vigia_kind *kind);
void vigia_proc_remove(void);

#endif /* VIGIA_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * vigia_sysinfo - /proc/sysinfo_so1_<id>: every process of the system, kernel
 * threads included, with its state, as one JSON document per open (see
 * vigia_common.c for the contract and schema/vigia-proc.v1.schema.json for the
 * format).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vigia.h"

#include <linux/module.h>

static void sysinfo_process(struct vigia_ctx *ctx, struct task_struct *task,
			    const struct vigia_task *rec)
{
	vigia_process_begin(ctx, task, rec);
	vigia_buf_printf(&ctx->out, ",\"state\":\"%c\"", rec->state);
	vigia_process_end(ctx);
}

static const struct vigia_kind sysinfo_kind = {
	.name		= "sysinfo",
	.process	= sysinfo_process,
};

static int __init sysinfo_init(void)
{
	return vigia_proc_create(&sysinfo_kind);
}

static void __exit sysinfo_exit(void)
{
	vigia_proc_remove();
}

module_init(sysinfo_init);
module_exit(sysinfo_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("vigia");
MODULE_DESCRIPTION("JSON snapshot of every process in /proc/sysinfo_so1_<id>");
MODULE_VERSION(VIGIA_VERSION);

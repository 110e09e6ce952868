// SPDX-License-Identifier: GPL-2.0
/*
 * The common source, compiled into vigia_sysinfo. Kbuild warns when one
 * object file is linked into two modules, so each module compiles its own.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "vigia_common.c"

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by vigia's workload programs. Each program runs as PID 1 of
 * a container built FROM scratch: there is no init to forward signals and the
 * kernel drops default-action signals sent to a namespace's init, so every
 * program blocks SIGTERM and SIGINT (with a handler installed as well) and
 * waits for them with sigtimedwait(). Output is one line at start and one at
 * exit, never more.
 */
#ifndef VIGIA_STRESS_H
#define VIGIA_STRESS_H

#include <signal.h>

/* Exit status for a bad flag or environment value (as in sysexits' EX_USAGE). */
#define STRESS_EX_USAGE 64

struct stress_opt {
	const char *flag;	/* long option name without "--" */
	const char *env;	/* environment variable read when no flag */
	unsigned long min;
	unsigned long max;
	unsigned long value;	/* in: default; out: result */
	const char *help;
};

void stress_log(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void stress_parse(const char *prog, const char *summary, int argc,
		  char **argv, struct stress_opt *opts, int nopts);
void stress_block_signals(sigset_t *set);
int stress_wait(const sigset_t *set, long timeout_ms);

#endif

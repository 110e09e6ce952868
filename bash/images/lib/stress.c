// SPDX-License-Identifier: GPL-2.0
/*
 * Flags, environment, logging and signal waiting for the workload programs.
 * See stress.h for the contract.
 */
#include "stress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void stress_log(const char *prog, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", prog);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write(2): lines from several programs never interleave. */
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

static void usage(FILE *out, const char *prog, const char *summary,
		  const struct stress_opt *opts, int nopts)
{
	int i;

	fprintf(out, "Usage: %s [--help]", prog);
	for (i = 0; i < nopts; i++)
		fprintf(out, " [--%s N]", opts[i].flag);
	fprintf(out, "\n\n%s\n\n", summary);
	for (i = 0; i < nopts; i++)
		fprintf(out, "  --%-12s %s (env %s, %lu to %lu, default %lu)\n",
			opts[i].flag, opts[i].help, opts[i].env, opts[i].min,
			opts[i].max, opts[i].value);
}

static void parse_value(const char *prog, const char *what, const char *text,
			struct stress_opt *opt)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' ||
	    v < opt->min || v > opt->max) {
		fprintf(stderr, "%s: %s=%s: want a whole number from %lu to %lu\n",
			prog, what, text, opt->min, opt->max);
		exit(STRESS_EX_USAGE);
	}
	opt->value = v;
}

static struct stress_opt *find_flag(const char *arg, struct stress_opt *opts,
				    int nopts, const char **inline_value)
{
	size_t len;
	int i;

	if (strncmp(arg, "--", 2))
		return NULL;
	arg += 2;
	for (i = 0; i < nopts; i++) {
		len = strlen(opts[i].flag);
		if (strncmp(arg, opts[i].flag, len))
			continue;
		if (arg[len] == '=') {
			*inline_value = arg + len + 1;
			return &opts[i];
		}
		if (!arg[len]) {
			*inline_value = NULL;
			return &opts[i];
		}
	}
	return NULL;
}

/**
 * stress_parse - fill @opts from the environment, then from the flags
 *
 * A flag wins over its environment variable, which wins over the default.
 * Anything unknown or out of range ends the program with STRESS_EX_USAGE.
 */
void stress_parse(const char *prog, const char *summary, int argc,
		  char **argv, struct stress_opt *opts, int nopts)
{
	struct stress_opt *opt;
	const char *value, *env;
	char what[64];
	int i;

	for (i = 0; i < nopts; i++) {
		env = getenv(opts[i].env);
		if (env && *env)
			parse_value(prog, opts[i].env, env, &opts[i]);
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout, prog, summary, opts, nopts);
			exit(0);
		}
		opt = find_flag(argv[i], opts, nopts, &value);
		if (!opt) {
			fprintf(stderr, "%s: unknown argument: %s\n", prog, argv[i]);
			usage(stderr, prog, summary, opts, nopts);
			exit(STRESS_EX_USAGE);
		}
		if (!value) {
			if (++i == argc) {
				fprintf(stderr, "%s: --%s needs a value\n",
					prog, opt->flag);
				exit(STRESS_EX_USAGE);
			}
			value = argv[i];
		}
		snprintf(what, sizeof(what), "--%s", opt->flag);
		parse_value(prog, what, value, opt);
	}
}

static void stress_noop(int sig)
{
	(void)sig;
}

/**
 * stress_block_signals - block SIGTERM and SIGINT in this and later threads
 *
 * Blocked signals are queued even for a namespace's init, which would
 * otherwise drop them; the handler covers a window where they are unblocked.
 * Call before creating threads so that all of them inherit the mask.
 */
void stress_block_signals(sigset_t *set)
{
	struct sigaction sa = { .sa_handler = stress_noop };

	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigprocmask(SIG_BLOCK, set, NULL);
}

/**
 * stress_wait - wait for a signal of @set, at most @timeout_ms (< 0: forever)
 *
 * Returns the signal number, or 0 when the timeout passed first.
 */
int stress_wait(const sigset_t *set, long timeout_ms)
{
	struct timespec ts;
	int sig;

	for (;;) {
		if (timeout_ms < 0) {
			sig = sigwaitinfo(set, NULL);
		} else {
			ts.tv_sec = timeout_ms / 1000;
			ts.tv_nsec = (timeout_ms % 1000) * 1000000L;
			sig = sigtimedwait(set, NULL, &ts);
		}
		if (sig > 0)
			return sig;
		if (errno == EAGAIN)
			return 0;
		/*
		 * EINTR: stopped and continued (SIGSTOP/SIGCONT). The timeout
		 * starts again; for slow growth that only delays a step.
		 */
	}
}

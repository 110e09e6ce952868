// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-low: the "low" workload. Sleeps in sigwaitinfo() until SIGTERM or
 * SIGINT: no timers, no wake-ups, nothing allocated after start.
 */
#include "../lib/stress.h"

#include <stddef.h>

#define PROG "vigia-low"

int main(int argc, char **argv)
{
	sigset_t set;
	int sig;

	stress_parse(PROG, "Stays idle until SIGTERM or SIGINT.", argc, argv,
		     NULL, 0);
	stress_block_signals(&set);
	stress_log(PROG, "idle");
	sig = stress_wait(&set, -1);
	stress_log(PROG, "signal %d, exiting", sig);
	return 0;
}

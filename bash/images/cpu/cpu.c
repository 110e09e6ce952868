// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-cpu: the "high" CPU workload. Keeps --threads threads busy on integer
 * arithmetic (no system calls, no allocation) until SIGTERM or SIGINT.
 * The main thread only waits for the signal.
 */
#include "../lib/stress.h"

#include <pthread.h>
#include <string.h>

#define PROG "vigia-cpu"

static struct stress_opt opts[] = {
	{ "threads", "VIGIA_CPU_THREADS", 1, 256, 1,
	  "busy threads, each using one core" },
};

static void *spin(void *arg)
{
	volatile unsigned long x = (unsigned long)arg;

	for (;;)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long i, n;
	pthread_t tid;
	sigset_t set;
	int err, sig;

	stress_parse(PROG, "Keeps N threads busy.", argc, argv, opts, 1);
	stress_block_signals(&set);
	n = opts[0].value;
	for (i = 0; i < n; i++) {
		err = pthread_create(&tid, NULL, spin, (void *)(i + 1));
		if (err) {
			stress_log(PROG, "cannot start thread %lu: %s", i + 1,
				   strerror(err));
			return 1;
		}
	}
	stress_log(PROG, "%lu busy thread(s)", n);
	sig = stress_wait(&set, -1);
	stress_log(PROG, "signal %d, exiting", sig);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-churn TOTAL PARALLEL: forks TOTAL short-lived children, at most
 * PARALLEL alive at once; each lives 1 to 8 ms. Exits 0 when all were reaped.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long total, parallel, started = 0, alive = 0;
	struct timespec ts = { 0, 0 };

	if (argc != 3)
		return 2;
	total = atol(argv[1]);
	parallel = atol(argv[2]);
	while (started < total || alive > 0) {
		if (started < total && alive < parallel) {
			pid_t pid = fork();

			if (pid == 0) {
				ts.tv_nsec = (1 + started % 8) * 1000000L;
				nanosleep(&ts, NULL);
				_exit(0);
			}
			if (pid < 0)
				return 1;
			started++;
			alive++;
			continue;
		}
		if (wait(NULL) > 0)
			alive--;
	}
	return 0;
}

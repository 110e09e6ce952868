// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-hold NAME [ARG...]: a process that stays put for the VM lane. It sets
 * its comm to NAME (any bytes, truncated by the kernel to 15), keeps its argv
 * as given (the lane passes hostile command lines), and sleeps until killed.
 *
 * Environment: HOLD_KB=N touches N KiB of anonymous memory first (a known
 * RSS); HOLD_CHILDREN=N forks N children that do the same (a multi-process
 * container, or the benchmark's extra processes).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

static void touch(long kb)
{
	char *p;

	if (kb <= 0)
		return;
	p = mmap(NULL, kb * 1024, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED)
		memset(p, 1, kb * 1024);
}

int main(int argc, char **argv)
{
	const char *kb = getenv("HOLD_KB"), *kids = getenv("HOLD_CHILDREN");
	long i, n = kids ? atol(kids) : 0;

	if (argc < 2)
		return 2;
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	for (i = 0; i < n; i++)
		if (fork() == 0)
			break;
	touch(kb ? atol(kb) : 0);
	for (;;)
		pause();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-ram: the "high" memory workload. Allocates --mib MiB, writes to every
 * page so that all of it is resident and charged to the container's memory
 * cgroup, and holds it until SIGTERM or SIGINT. With --grow-mib it adds that
 * much every --grow-every seconds until --max-mib is reached.
 */
#include "../lib/stress.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROG "vigia-ram"
#define MIB (1024UL * 1024UL)

enum { OPT_MIB, OPT_GROW, OPT_EVERY, OPT_MAX, OPT_COUNT };

static struct stress_opt opts[OPT_COUNT] = {
	[OPT_MIB] = { "mib", "VIGIA_RAM_MIB", 1, 65536, 256,
		      "MiB to allocate, touch and hold at start" },
	[OPT_GROW] = { "grow-mib", "VIGIA_RAM_GROW_MIB", 0, 65536, 0,
		       "MiB added at each growth step (0: no growth)" },
	[OPT_EVERY] = { "grow-every", "VIGIA_RAM_GROW_EVERY", 1, 86400, 10,
			"seconds between two growth steps" },
	[OPT_MAX] = { "max-mib", "VIGIA_RAM_MAX_MIB", 1, 65536, 1024,
		      "growth stops at this many MiB" },
};

/* A stop request while touching: checked every CHECK_EVERY bytes. */
#define CHECK_EVERY (64 * MIB)

static int stop_pending(const sigset_t *set)
{
	sigset_t pending;
	int sig;

	sigpending(&pending);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(set, sig) && sigismember(&pending, sig))
			return 1;
	return 0;
}

/*
 * Maps @mib MiB and dirties each page. Returns 0 when done, -1 when out of
 * memory, 1 when a signal of @set arrived first (a large size must not delay
 * docker stop).
 */
static int grab(unsigned long mib, const sigset_t *set)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = mib * MIB, off;
	volatile char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	/* Non-zero writes: a read or a zero write could map the zero page. */
	for (off = 0; off < len; off += page) {
		p[off] = 1;
		if (off % CHECK_EVERY == 0 && off && stop_pending(set))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long held, step;
	sigset_t set;
	int sig = 0, err;

	stress_parse(PROG, "Allocates memory, touches every page and holds it.",
		     argc, argv, opts, OPT_COUNT);
	stress_block_signals(&set);
	held = opts[OPT_MIB].value;
	err = grab(held, &set);
	if (err < 0) {
		stress_log(PROG, "cannot allocate %lu MiB", held);
		return 1;
	}
	if (err > 0) {
		stress_log(PROG, "stopped while allocating %lu MiB", held);
		return 0;
	}
	stress_log(PROG, "holding %lu MiB (grow %lu MiB every %lus up to %lu MiB)",
		   held, opts[OPT_GROW].value, opts[OPT_EVERY].value,
		   opts[OPT_MAX].value);
	while (!sig) {
		step = opts[OPT_GROW].value;
		if (held + step > opts[OPT_MAX].value)
			step = opts[OPT_MAX].value > held ?
			       opts[OPT_MAX].value - held : 0;
		if (!step) {
			sig = stress_wait(&set, -1);
			break;
		}
		sig = stress_wait(&set, opts[OPT_EVERY].value * 1000L);
		if (sig)
			break;
		err = grab(step, &set);
		if (err < 0)
			opts[OPT_GROW].value = 0;	/* out of memory: hold */
		else if (!err)
			held += step;
		/* err > 0: the signal is still pending; the next wait takes it. */
	}
	stress_log(PROG, "signal %d, exiting (held %lu MiB)", sig, held);
	return 0;
}

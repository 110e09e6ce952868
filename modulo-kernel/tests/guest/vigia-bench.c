// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-bench FILE ROUNDS: times ROUNDS whole reads of FILE (the sysinfo
 * module's /proc file) against ROUNDS userspace scans of /proc that gather the
 * same fields per process (stat, status, cmdline, io, cgroup), and prints
 * one line: processes, median ms of the module read, median ms of the scan.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Reads a whole file, returns its size. */
static long slurp(const char *path, char *out, size_t cap)
{
	long total = 0, n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	/* Small files arrive whole in the first read; the rest is counted. */
	while ((n = read(fd, out, cap)) > 0)
		total += n;
	close(fd);
	return total;
}

static long module_read(const char *file)
{
	return slurp(file, buf, sizeof(buf));
}

/* The fields the module reports, parsed the way a userspace sensor would. */
static long scan_one(const char *pid)
{
	char path[300], tmp[8192], *p;
	unsigned long long v[52] = { 0 };
	long sum = 0, n, i;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (slurp(path, tmp, sizeof(tmp) - 1) <= 0)
		return 0;
	p = strrchr(tmp, ')');
	for (i = 0; p && i < 50; i++) {
		p = strchr(p + 1, ' ');
		if (p)
			v[i] = strtoull(p + 1, NULL, 10);
	}
	sum += v[11] + v[12] + v[19] + v[20] + v[21];
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	n = slurp(path, tmp, sizeof(tmp) - 1);
	if (n > 0) {
		tmp[n] = '\0';
		p = strstr(tmp, "Uid:");
		sum += p ? strtol(p + 4, NULL, 10) : 0;
		p = strstr(tmp, "Threads:");
		sum += p ? strtol(p + 8, NULL, 10) : 0;
	}
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	sum += slurp(path, tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "/proc/%s/io", pid);
	sum += slurp(path, tmp, sizeof(tmp));
	snprintf(path, sizeof(path), "/proc/%s/cgroup", pid);
	sum += slurp(path, tmp, sizeof(tmp));
	return sum;
}

static long scan(long *procs)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");
	long sum = 0;

	*procs = 0;
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		sum += scan_one(d->d_name);
		(*procs)++;
	}
	closedir(dir);
	return sum;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double mod[64], user[64], t;
	long rounds, i, procs = 0;

	if (argc != 3)
		return 2;
	rounds = atol(argv[2]);
	if (rounds < 1 || rounds > 64)
		return 2;
	for (i = 0; i < rounds; i++) {
		t = now_ms();
		if (module_read(argv[1]) <= 0)
			return 1;
		mod[i] = now_ms() - t;
		t = now_ms();
		scan(&procs);
		user[i] = now_ms() - t;
	}
	qsort(mod, rounds, sizeof(double), cmp);
	qsort(user, rounds, sizeof(double), cmp);
	printf("%ld %.2f %.2f\n", procs, mod[rounds / 2], user[rounds / 2]);
	return 0;
}

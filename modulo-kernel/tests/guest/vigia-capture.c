// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-capture DIR: copies stat, status, cgroup, comm, cmdline and io of
 * every /proc/<pid> to DIR/<pid>.<file>, in one process (cat per file costs
 * an exec each under TCG). A pid that exits meanwhile leaves files missing.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static void copy(const char *from, const char *to)
{
	char buf[1 << 16];
	ssize_t n;
	int in = open(from, O_RDONLY), out;

	if (in < 0)
		return;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		close(out);
	}
	close(in);
}

int main(int argc, char **argv)
{
	static const char *const files[] = {
		"stat", "status", "cgroup", "comm", "cmdline", "io",
	};
	char from[300], to[4400];
	struct dirent *d;
	unsigned int i;
	DIR *dir;

	if (argc != 2 || !(dir = opendir("/proc")))
		return 2;
	while ((d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(from, sizeof(from), "/proc/%s/%s", d->d_name, files[i]);
			snprintf(to, sizeof(to), "%s/%s.%s", argv[1], d->d_name, files[i]);
			copy(from, to);
		}
	}
	closedir(dir);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * vigia-read FILE ROUNDS [SAVE]: reads FILE whole ROUNDS times and checks each
 * read is one strict JSON document (RFC 8259 grammar, well-formed UTF-8, no
 * raw control bytes in strings, nothing after it but a newline). Prints
 * "OK/ROUNDS"; saves the last read to SAVE and the first bad one to SAVE.bad.
 * Exits 0 only if every read was good. One process for hundreds of reads
 * keeps the lane fast under TCG, where each exec costs tens of ms.
 * VIGIA_READ_CHUNK=N reads N bytes per read(2) call (default 64 KiB), to
 * drive seq_file through many partial copies. VIGIA_READ_UNTIL_GONE=1 stops
 * at the first open that finds no FILE (the module was unloaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const unsigned char *value(const unsigned char *p, int depth);

static const unsigned char *ws(const unsigned char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int utf8_len(const unsigned char *s)
{
	int len, i;
	unsigned int c;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return len;
}

static const unsigned char *string(const unsigned char *p)
{
	int i, n;

	for (p++; *p != '"'; p++) {
		if (*p < 0x20)
			return NULL;
		if (*p >= 0x80) {
			n = utf8_len(p);
			if (!n)
				return NULL;
			p += n - 1;
		} else if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const unsigned char *digits(const unsigned char *p)
{
	if (*p < '0' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

static const unsigned char *number(const unsigned char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (!(p = digits(p)))
		return NULL;
	if (*p == '.' && !(p = digits(p + 1)))
		return NULL;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		p = digits(p);
	}
	return p;
}

static const unsigned char *members(const unsigned char *p, int depth, char end)
{
	p = ws(p + 1);
	if (*p == end)
		return p + 1;
	for (;;) {
		if (end == '}') {
			if (*p != '"' || !(p = string(p)))
				return NULL;
			p = ws(p);
			if (*p++ != ':')
				return NULL;
		}
		if (!(p = value(p, depth + 1)))
			return NULL;
		p = ws(p);
		if (*p == end)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const unsigned char *value(const unsigned char *p, int depth)
{
	p = ws(p);
	if (depth > 64)
		return NULL;
	switch (*p) {
	case '{':
		return members(p, depth, '}');
	case '[':
		return members(p, depth, ']');
	case '"':
		return string(p);
	case 't':
		return strncmp((const char *)p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp((const char *)p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp((const char *)p, "null", 4) ? NULL : p + 4;
	default:
		return number(p);
	}
}

static size_t chunk = 1 << 16;

static char *slurp(const char *path, size_t *len)
{
	size_t cap = 1 << 20, want;
	char *buf = malloc(cap + 1);
	ssize_t n;
	int fd = open(path, O_RDONLY);

	*len = 0;
	if (fd < 0 || !buf) {
		n = errno;
		free(buf);
		errno = n;
		return NULL;
	}
	for (;;) {
		want = cap - *len < chunk ? cap - *len : chunk;
		n = read(fd, buf + *len, want);
		if (n <= 0)
			break;
		*len += n;
		if (*len == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			if (!buf)
				break;
		}
	}
	close(fd);
	if (n < 0 || !buf) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

static void save(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	char bad[4096];
	const unsigned char *end;
	long rounds, i, ok = 0;
	size_t len;
	char *buf;
	int saved_bad = 0;

	if (argc < 3)
		return 2;
	if (getenv("VIGIA_READ_CHUNK"))
		chunk = strtoul(getenv("VIGIA_READ_CHUNK"), NULL, 10);
	if (chunk < 1)
		return 2;
	rounds = atol(argv[2]);
	for (i = 0; i < rounds; i++) {
		buf = slurp(argv[1], &len);
		if (!buf && errno == ENOENT && getenv("VIGIA_READ_UNTIL_GONE"))
			break;
		end = buf ? value((const unsigned char *)buf, 0) : NULL;
		if (end && strlen(buf) == len && !strcmp((const char *)end, "\n"))
			ok++;
		else if (buf && argc > 3 && !saved_bad++) {
			snprintf(bad, sizeof(bad), "%s.bad", argv[3]);
			save(bad, buf, len);
		}
		if (buf && argc > 3 && i == rounds - 1)
			save(argv[3], buf, len);
		free(buf);
	}
	printf("%ld/%ld\n", ok, rounds);
	return ok == rounds ? 0 : 1;
}

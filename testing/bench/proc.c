// SPDX-License-Identifier: GPL-2.0
/* remotevm-bench: what it reads from /proc. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	return ok;
}

bool write_line(const char *path, const char *value)
{
	FILE *f = fopen(path, "we");
	bool ok = f && fputs(value, f) >= 0;

	if (f && fclose(f))
		ok = false;
	return ok;
}

long proc_status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return value;
}

int64_t proc_run_delay(pid_t pid)
{
	char path[64];
	unsigned long long run, delay = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &delay) != 2)
		delay = 0;
	fclose(f);
	return (int64_t)delay;
}

/* The rows RES, CAL and TLB of /proc/interrupts, column cpu. */
long proc_cpu_ipis(int cpu)
{
	char line[4096];
	long total = 0;
	FILE *f = fopen("/proc/interrupts", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long v = 0;
		int i;

		while (*p == ' ')
			p++;
		if (strncmp(p, "RES:", 4) && strncmp(p, "CAL:", 4) && strncmp(p, "TLB:", 4))
			continue;
		p += 4;
		for (i = 0; i <= cpu; i++) {
			v = strtol(p, &end, 10);
			p = end;
		}
		total += v;
	}
	fclose(f);
	return total;
}

bool proc_has_mapping(pid_t pid, unsigned long addr, uint64_t size)
{
	char path[64], line[512];
	bool found = false;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	if (!maps)
		die("%s", path);
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 &&
		    start <= addr && addr + size <= end && !strcmp(perms, "rw-p"))
			found = true;
	}
	fclose(maps);
	return found;
}

unsigned long proc_first_mapping(pid_t pid)
{
	char path[64], line[256];
	unsigned long start;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!read_line(path, line, sizeof(line)) || sscanf(line, "%lx", &start) != 1)
		die("%s", path);
	return start;
}

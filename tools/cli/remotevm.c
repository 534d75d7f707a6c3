// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm: the command-line tool over libremotevm, to allocate, free,
 * query, list, protect, read and write memory inside a running process
 * without stopping it or tracing it.
 *
 * Exit status: 0 done; 1 the operation failed (its errno is printed);
 * 2 usage error; 3 cannot attach to the process (no such process, access
 * to its /proc/PID/mem denied, or the remotevm module not loaded).
 * With --json every command that gets past its arguments prints exactly
 * one JSON object on stdout, which has "error" and "errno" fields exactly
 * when the status is 1 or 3; a usage error is only a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <remotevm/remotevm.h>

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_ATTACH = 3,
};

/*
 * rel32 reach from an instruction at the --near address: a page less than
 * 2 GiB either way, so that the instruction's own length never matters.
 */
#define NEAR_REACH	0x7ffff000ULL

/* Transfers go through a bounded buffer: a read of any size streams. */
#define CHUNK		65536

struct cli;

struct command {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*run)(struct cli *cli, int argc, char **argv);
};

struct cli {
	const struct command *command;
	bool json;
	pid_t pid;
	struct remotevm *vm;
};

/* ------------------------------------------------------------------ */
/* Output                                                             */
/* ------------------------------------------------------------------ */

static const char *or_dash(const char *text)
{
	return text ? text : "-";
}

/* The JSON writer: only keys and values this tool makes, nothing to escape. */
static bool json_need_comma;

static void json_key(const char *key)
{
	if (json_need_comma)
		putchar(',');
	if (key)
		printf("\"%s\":", key);
	json_need_comma = true;
}

static void json_enter(const char *key, char bracket)
{
	json_key(key);
	putchar(bracket);
	json_need_comma = false;
}

static void json_leave(char bracket)
{
	putchar(bracket);
	json_need_comma = true;
}

static void json_str(const char *key, const char *value)
{
	json_key(key);
	if (value)
		printf("\"%s\"", value);
	else
		fputs("null", stdout);
}

static void json_u64(const char *key, uint64_t value)
{
	json_key(key);
	printf("%" PRIu64, value);
}

/* As strings: a JSON number loses precision above 2^53 in most parsers. */
static void json_address(const char *key, uint64_t value)
{
	json_key(key);
	printf("\"0x%" PRIx64 "\"", value);
}

static void json_begin(const struct cli *cli)
{
	json_need_comma = false;
	json_enter(NULL, '{');
	json_str("command", cli->command->name);
	json_u64("pid", (uint64_t)cli->pid);
}

static void json_end(void)
{
	json_leave('}');
	putchar('\n');
}

static void json_error(const char *message, int err)
{
	json_str("error", message);
	json_str("errno", strerrorname_np(err));
}

/*
 * An operation failed with -ret: says so and returns EXIT_FAILED. In JSON
 * mode the object is still open (a read may have printed data already).
 */
static int failed(const struct cli *cli, const char *what, int ret)
{
	int err = -ret;

	if (cli->json) {
		json_error(strerror(err), err);
		json_end();
	} else {
		fprintf(stderr, "remotevm %s: %s: %s (%s)\n", cli->command->name,
			what, strerror(err), or_dash(strerrorname_np(err)));
	}
	return EXIT_FAILED;
}

/* ------------------------------------------------------------------ */
/* Arguments                                                          */
/* ------------------------------------------------------------------ */

static void usage(const struct command *command, FILE *out)
{
	fprintf(out, "usage: remotevm [--json] %s %s\n", command->name,
		command->synopsis);
}

static __attribute__((noreturn, format(printf, 2, 3)))
void usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "remotevm %s: ", cli->command->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(cli->command, stderr);
	fprintf(stderr, "Try 'remotevm %s --help'.\n", cli->command->name);
	exit(EXIT_USAGE);
}

/* Decimal or 0x hexadecimal, with an optional K, M, G or T (binary). */
static uint64_t parse_size(const struct cli *cli, const char *what,
			   const char *text)
{
	static const char units[] = "KMGT";
	unsigned long long value;
	const char *unit;
	char *end;
	int shift;

	errno = 0;
	/* Not base 0: a leading 0 is no octal here, 010 is ten. */
	value = strtoull(text, &end, text[0] == '0' && (text[1] | 0x20) == 'x' ? 16 : 10);
	if (errno || end == text || *text == '-')
		usage_error(cli, "%s '%s' is not a size", what, text);
	if (!*end)
		return value;
	unit = end[1] ? NULL : strchr(units, end[0] & ~0x20);
	if (!unit || !*unit)
		usage_error(cli, "%s '%s': the units are K, M, G and T", what, text);
	shift = 10 * (int)(unit - units + 1);
	if (value > UINT64_MAX >> shift)
		usage_error(cli, "%s '%s' is too large", what, text);
	return value << shift;
}

/* Hexadecimal, 0x optional: as this tool and /proc/PID/maps print them. */
static uint64_t parse_address(const struct cli *cli, const char *what,
			      const char *text)
{
	unsigned long long value;
	char *end;

	errno = 0;
	value = strtoull(text, &end, 16);
	if (errno || end == text || *end || *text == '-')
		usage_error(cli, "%s '%s' is not a hexadecimal address", what, text);
	return value;
}

static pid_t parse_pid(const struct cli *cli, const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || end == text || *end || value <= 0 || value > INT32_MAX)
		usage_error(cli, "'%s' is not a process id", text);
	return (pid_t)value;
}

/* The PAGE_* protections, written as /proc/PID/maps writes permissions. */
static const struct protection {
	uint32_t page;
	const char *text;
} protections[] = {
	{ REMOTEVM_PAGE_NOACCESS, "---" },
	{ REMOTEVM_PAGE_READONLY, "r--" },
	{ REMOTEVM_PAGE_READWRITE, "rw-" },
	{ REMOTEVM_PAGE_WRITECOPY, "rw-c" },
	{ REMOTEVM_PAGE_EXECUTE, "--x" },
	{ REMOTEVM_PAGE_EXECUTE_READ, "r-x" },
	{ REMOTEVM_PAGE_EXECUTE_READWRITE, "rwx" },
	{ REMOTEVM_PAGE_EXECUTE_WRITECOPY, "rwxc" },
};

#define N_PROTECTIONS	(sizeof(protections) / sizeof(protections[0]))

/* NULL for 0, which is what a reserved region has. */
static const char *protection_text(uint32_t page)
{
	size_t i;

	if (!page)
		return NULL;
	for (i = 0; i < N_PROTECTIONS; i++)
		if (protections[i].page == page)
			return protections[i].text;
	return "?";
}

/* "rwx", "rx", "r-x", ... in any order, or "none". */
static uint32_t parse_protection(const struct cli *cli, const char *text)
{
	static const char letters[] = "rwx";
	char access[] = "---";
	const char *c;
	size_t i;

	if (!*text)
		usage_error(cli, "empty protection: use r, w, x or none");
	if (strcmp(text, "none")) {
		for (c = text; *c; c++) {
			const char *letter = strchr(letters, *c);

			if (*c != '-' && !letter)
				usage_error(cli, "protection '%s': use r, w, x or none",
					    text);
			if (letter)
				access[letter - letters] = *c;
		}
	}
	for (i = 0; i < N_PROTECTIONS; i++)
		if (!strcmp(protections[i].text, access))
			return protections[i].page;
	usage_error(cli, "protection '%s': x86 has no write-only memory, use rw",
		    text);
}

#define COMMON_OPTIONS \
	{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }

/*
 * getopt_long over a command's options, handling --json, --help and
 * mistakes the same way for all: returns the next option of the
 * command's own, or -1 when they are done.
 */
static int next_option(struct cli *cli, int argc, char **argv,
		       const struct option *options)
{
	int opt = getopt_long(argc, argv, ":", options, NULL);

	switch (opt) {
	case 'j':
		cli->json = true;
		return next_option(cli, argc, argv, options);
	case 'h':
		usage(cli->command, stdout);
		fputs(cli->command->help, stdout);
		exit(EXIT_OK);
	case ':':
		usage_error(cli, "option '%s' needs a value", argv[optind - 1]);
	case '?':
		usage_error(cli, "unknown option '%s'", argv[optind - 1]);
	}
	return opt;
}

/* The positional arguments after the options: between min and max. */
static char **operands(const struct cli *cli, int argc, char **argv,
		       int min, int max)
{
	int n = argc - optind;

	if (n < min)
		usage_error(cli, "missing arguments");
	if (n > max)
		usage_error(cli, "too many arguments, from '%s'", argv[optind + max]);
	return argv + optind;
}

/*
 * Attaches to cli->pid and opens the JSON object: returns 0, or prints why
 * it cannot attach and returns EXIT_ATTACH.
 */
static int attach(struct cli *cli)
{
	int err = -remotevm__open(cli->pid, NULL, &cli->vm);
	const char *why;

	if (cli->json)
		json_begin(cli);
	if (!err)
		return 0;
	if (access("/dev/remotevm", F_OK)) {
		why = "the remotevm module is not loaded (no /dev/remotevm)";
	} else {
		/* With the device there, what was missing is /proc/PID/mem. */
		if (err == ENOENT)
			err = ESRCH;
		why = strerror(err);
	}
	if (cli->json) {
		json_error(why, err);
		json_end();
	} else {
		fprintf(stderr, "remotevm %s: cannot attach to process %d: %s\n",
			cli->command->name, (int)cli->pid, why);
	}
	return EXIT_ATTACH;
}

/* ------------------------------------------------------------------ */
/* Regions                                                            */
/* ------------------------------------------------------------------ */

static const char *state_text(uint32_t state)
{
	switch (state) {
	case REMOTEVM_MEM_COMMIT:
		return "commit";
	case REMOTEVM_MEM_RESERVE:
		return "reserve";
	}
	return "free";
}

static const char *type_text(uint32_t type)
{
	switch (type) {
	case REMOTEVM_MEM_PRIVATE:
		return "private";
	case REMOTEVM_MEM_MAPPED:
		return "mapped";
	case REMOTEVM_MEM_IMAGE:
		return "image";
	}
	return NULL;
}

static void print_region_header(void)
{
	printf("%-33s %-7s %-4s %-7s %-16s %s\n", "range", "state", "prot",
	       "type", "allocation", "alloc-prot");
}

static void print_region(const struct remotevm_region *r)
{
	char base[24] = "-";

	if (r->allocation_base)
		snprintf(base, sizeof(base), "%" PRIx64,
			 (uint64_t)r->allocation_base);
	printf("%016" PRIx64 "-%016" PRIx64 " %-7s %-4s %-7s %-16s %s\n",
	       (uint64_t)r->base_address,
	       (uint64_t)(r->base_address + r->region_size),
	       state_text(r->state), or_dash(protection_text(r->protect)),
	       or_dash(type_text(r->type)), base,
	       or_dash(protection_text(r->allocation_protect)));
}

/* MEMORY_BASIC_INFORMATION's field names; "allocation_base" null if free. */
static void json_region(const char *key, const struct remotevm_region *r)
{
	json_enter(key, '{');
	json_address("base_address", r->base_address);
	json_u64("region_size", r->region_size);
	json_str("state", state_text(r->state));
	json_str("protect", protection_text(r->protect));
	json_str("type", type_text(r->type));
	if (r->allocation_base)
		json_address("allocation_base", r->allocation_base);
	else
		json_str("allocation_base", NULL);
	json_str("allocation_protect", protection_text(r->allocation_protect));
	json_leave('}');
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */
/* ------------------------------------------------------------------ */

static int cmd_alloc(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "prot", required_argument, NULL, 'p' },
		{ "reserve-only", no_argument, NULL, 'r' },
		{ "commit-only", no_argument, NULL, 'c' },
		{ "address", required_argument, NULL, 'a' },
		{ "top-down", no_argument, NULL, 't' },
		{ "near", required_argument, NULL, 'n' },
		{ "align", required_argument, NULL, 'A' },
		COMMON_OPTIONS,
		{ 0 },
	};
	REMOTEVM_OPTS(remotevm_alloc_opts, placement);
	uint32_t type = REMOTEVM_MEM_RESERVE | REMOTEVM_MEM_COMMIT;
	uint32_t protection = REMOTEVM_PAGE_READWRITE;
	uint64_t address = 0, size, near, allocated_address, allocated_size;
	bool placed = false, committed;
	char **arg;
	int opt, ret;

	while ((opt = next_option(cli, argc, argv, options)) != -1) {
		switch (opt) {
		case 'p':
			protection = parse_protection(cli, optarg);
			break;
		case 'r':
			type &= ~REMOTEVM_MEM_COMMIT;
			break;
		case 'c':
			type &= ~REMOTEVM_MEM_RESERVE;
			break;
		case 'a':
			address = parse_address(cli, "--address", optarg);
			if (!address)
				usage_error(cli, "--address 0 means none: leave it out");
			break;
		case 't':
			type |= REMOTEVM_MEM_TOP_DOWN;
			placed = true;
			break;
		case 'n':
			near = parse_address(cli, "--near", optarg);
			placement.lowest = near > NEAR_REACH ? near - NEAR_REACH : 0;
			placement.highest = near < UINT64_MAX - NEAR_REACH ?
					    near + NEAR_REACH : UINT64_MAX;
			placed = true;
			break;
		case 'A':
			placement.alignment = parse_size(cli, "--align", optarg);
			placed = true;
			break;
		}
	}
	arg = operands(cli, argc, argv, 2, 2);
	cli->pid = parse_pid(cli, arg[0]);
	size = parse_size(cli, "SIZE", arg[1]);
	if (!(type & (REMOTEVM_MEM_RESERVE | REMOTEVM_MEM_COMMIT)))
		usage_error(cli, "--reserve-only and --commit-only exclude each other");
	if (placed && address)
		usage_error(cli, "--address excludes --near, --top-down and --align");

	ret = attach(cli);
	if (ret)
		return ret;
	ret = remotevm__alloc(cli->vm, address, size, type, protection,
			      &placement, &allocated_address, &allocated_size);
	if (ret)
		return failed(cli, "alloc", ret);

	committed = type & REMOTEVM_MEM_COMMIT;
	if (cli->json) {
		json_address("address", allocated_address);
		json_u64("size", allocated_size);
		json_str("state", committed ? "commit" : "reserve");
		json_str("protection", protection_text(protection));
		json_end();
	} else {
		printf("0x%" PRIx64 " %" PRIu64 " bytes, %s%s\n",
		       allocated_address, allocated_size,
		       committed ? "committed " : "reserved",
		       committed ? protection_text(protection) : "");
	}
	return EXIT_OK;
}

static int cmd_free(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "decommit", required_argument, NULL, 'd' },
		COMMON_OPTIONS,
		{ 0 },
	};
	uint32_t free_type = REMOTEVM_MEM_RELEASE;
	uint64_t address, size = 0;
	char **arg;
	int ret;

	while (next_option(cli, argc, argv, options) != -1) {
		free_type = REMOTEVM_MEM_DECOMMIT;
		size = parse_size(cli, "--decommit", optarg);
	}
	arg = operands(cli, argc, argv, 2, 2);
	cli->pid = parse_pid(cli, arg[0]);
	address = parse_address(cli, "ADDR", arg[1]);

	ret = attach(cli);
	if (ret)
		return ret;
	ret = remotevm__free(cli->vm, address, size, free_type);
	if (ret)
		return failed(cli, "free", ret);
	if (cli->json) {
		json_address("address", address);
		json_str("free_type", free_type == REMOTEVM_MEM_RELEASE ?
			 "release" : "decommit");
		json_u64("size", size);
		json_end();
	} else if (free_type == REMOTEVM_MEM_RELEASE) {
		printf("released 0x%" PRIx64 "\n", address);
	} else if (size) {
		printf("decommitted 0x%" PRIx64 ", %" PRIu64 " bytes\n", address, size);
	} else {
		printf("decommitted the allocation at 0x%" PRIx64 "\n", address);
	}
	return EXIT_OK;
}

static int cmd_query(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = { COMMON_OPTIONS, { 0 } };
	struct remotevm_region region;
	uint64_t address;
	char **arg;
	int ret;

	next_option(cli, argc, argv, options);	/* none of its own */
	arg = operands(cli, argc, argv, 2, 2);
	cli->pid = parse_pid(cli, arg[0]);
	address = parse_address(cli, "ADDR", arg[1]);

	ret = attach(cli);
	if (ret)
		return ret;
	ret = remotevm__query(cli->vm, address, &region, sizeof(region));
	if (ret)
		return failed(cli, "query", ret);
	if (cli->json) {
		json_address("address", address);
		json_region("region", &region);
		json_end();
	} else {
		print_region_header();
		print_region(&region);
	}
	return EXIT_OK;
}

static int cmd_maps(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "free", no_argument, NULL, 'f' },
		COMMON_OPTIONS,
		{ 0 },
	};
	static struct remotevm_region regions[256];
	uint64_t start = 0, end = UINT64_MAX, next;
	bool show_free = false;
	char **arg;
	int ret;

	while (next_option(cli, argc, argv, options) != -1)
		show_free = true;
	arg = operands(cli, argc, argv, 1, 3);
	cli->pid = parse_pid(cli, arg[0]);
	if (argc - optind > 1)
		start = parse_address(cli, "START", arg[1]);
	if (argc - optind > 2)
		end = parse_address(cli, "END", arg[2]);
	if (start >= end)
		usage_error(cli, "START must be below END");

	ret = attach(cli);
	if (ret)
		return ret;
	if (cli->json) {
		json_address("start", start);
		json_address("end", end);
		json_enter("regions", '[');
	} else {
		print_region_header();
	}
	/* The module clamps END to the target's address space. */
	for (next = start; next < end; ) {
		uint32_t count = sizeof(regions) / sizeof(regions[0]), i;

		ret = remotevm__regions(cli->vm, next, end, regions,
					sizeof(regions[0]), &count, &next);
		if (ret) {
			if (cli->json)
				json_leave(']');
			return failed(cli, "regions", ret);
		}
		for (i = 0; i < count; i++) {
			if (regions[i].state == REMOTEVM_MEM_FREE && !show_free)
				continue;
			if (cli->json)
				json_region(NULL, &regions[i]);
			else
				print_region(&regions[i]);
		}
	}
	if (cli->json) {
		json_leave(']');
		json_end();
	}
	return EXIT_OK;
}

static int cmd_protect(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "copy", no_argument, NULL, 'c' },
		COMMON_OPTIONS,
		{ 0 },
	};
	uint32_t flags = 0, protection, old;
	uint64_t address, size;
	char **arg;
	int ret;

	while (next_option(cli, argc, argv, options) != -1)
		flags |= REMOTEVM_PROTECT_COPY;
	arg = operands(cli, argc, argv, 4, 4);
	cli->pid = parse_pid(cli, arg[0]);
	address = parse_address(cli, "ADDR", arg[1]);
	size = parse_size(cli, "SIZE", arg[2]);
	protection = parse_protection(cli, arg[3]);

	ret = attach(cli);
	if (ret)
		return ret;
	ret = remotevm__protect(cli->vm, address, size, protection, flags, &old);
	if (ret)
		return failed(cli, "protect", ret);
	if (cli->json) {
		json_address("address", address);
		json_u64("size", size);
		json_str("protection", protection_text(protection));
		json_str("old_protection", protection_text(old));
		json_end();
	} else {
		printf("0x%" PRIx64 " %" PRIu64 " bytes: %s, was %s\n", address,
		       size, protection_text(protection), protection_text(old));
	}
	return EXIT_OK;
}

/* Like hexdump -C, with the target's addresses. */
static void hexdump(uint64_t address, const uint8_t *data, size_t len)
{
	size_t line, i;

	for (line = 0; line < len; line += 16) {
		size_t n = len - line < 16 ? len - line : 16;

		printf("%016" PRIx64 " ", address + line);
		for (i = 0; i < 16; i++) {
			if (i < n)
				printf("%s%02x", i == 8 ? "  " : " ", data[line + i]);
			else
				printf("%s  ", i == 8 ? "  " : " ");
		}
		printf("  |");
		for (i = 0; i < n; i++)
			putchar(data[line + i] >= 0x20 && data[line + i] < 0x7f ?
				data[line + i] : '.');
		printf("|\n");
	}
}

static int cmd_read(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "raw", no_argument, NULL, 'r' },
		COMMON_OPTIONS,
		{ 0 },
	};
	static uint8_t buf[CHUNK];
	uint64_t address, size, done;
	bool raw = false;
	char **arg;
	int ret = 0;

	while (next_option(cli, argc, argv, options) != -1)
		raw = true;
	arg = operands(cli, argc, argv, 3, 3);
	cli->pid = parse_pid(cli, arg[0]);
	address = parse_address(cli, "ADDR", arg[1]);
	size = parse_size(cli, "SIZE", arg[2]);
	if (raw && cli->json)
		usage_error(cli, "--raw and --json exclude each other");

	ret = attach(cli);
	if (ret)
		return ret;
	if (cli->json) {
		json_address("address", address);
		json_key("data");
		putchar('"');
	}
	/* Short at the first page that cannot be read: the next call says why. */
	for (done = 0; done < size; ) {
		size_t want = size - done < CHUNK ? size - done : CHUNK, i;
		ssize_t n = remotevm__read(cli->vm, address + done, buf, want);

		if (n < 0) {
			ret = (int)n;
			break;
		}
		if (cli->json)
			for (i = 0; i < (size_t)n; i++)
				printf("%02x", buf[i]);
		else if (raw)
			fwrite(buf, 1, (size_t)n, stdout);
		else
			hexdump(address + done, buf, (size_t)n);
		done += (uint64_t)n;
	}
	if (cli->json) {
		putchar('"');
		json_u64("size", done);
	}
	if (ret)
		return failed(cli, done ? "read stopped short" : "read", ret);
	if (cli->json)
		json_end();
	return EXIT_OK;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Pairs of hex digits, blanks and colons allowed between them, decoded in
 * place: the bytes never overtake the digits still to read.
 */
static size_t decode_hex_bytes(const struct cli *cli, char *text)
{
	uint8_t *bytes = (uint8_t *)text;
	const char *c = text;
	size_t n = 0;

	while (*c) {
		int high, low;

		if (*c == ' ' || *c == ':') {
			c++;
			continue;
		}
		high = hex_digit(c[0]);
		low = high < 0 ? -1 : hex_digit(c[1]);
		if (low < 0)
			usage_error(cli, "HEXBYTES: '%s' is not pairs of hex digits", c);
		bytes[n++] = (uint8_t)(high << 4 | low);
		c += 2;
	}
	if (!n)
		usage_error(cli, "no bytes to write");
	return n;
}

/*
 * Writes len bytes at address, adding what was written to *done; returns
 * 0 or the -errno of the first page that could not be written.
 */
static int write_all(struct cli *cli, uint64_t address, const uint8_t *data,
		     size_t len, uint64_t *done)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = remotevm__write(cli->vm, address + off, data + off,
					    len - off);

		if (n < 0)
			return (int)n;
		off += (size_t)n;
		*done += (uint64_t)n;
	}
	return 0;
}

static int write_file(struct cli *cli, uint64_t address, int fd, uint64_t *done)
{
	static uint8_t chunk[CHUNK];
	ssize_t n;
	int ret = 0;

	while (!ret && (n = read(fd, chunk, sizeof(chunk))) > 0)
		ret = write_all(cli, address + *done, chunk, (size_t)n, done);
	return ret ? ret : n < 0 ? -errno : 0;
}

static int cmd_write(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "file", required_argument, NULL, 'f' },
		COMMON_OPTIONS,
		{ 0 },
	};
	const char *file = NULL;
	uint64_t address, done = 0;
	size_t len = 0;
	char **arg;
	int fd = -1, status, ret;

	while (next_option(cli, argc, argv, options) != -1)
		file = optarg;
	arg = operands(cli, argc, argv, file ? 2 : 3, file ? 2 : 3);
	cli->pid = parse_pid(cli, arg[0]);
	address = parse_address(cli, "ADDR", arg[1]);
	if (!file)
		len = decode_hex_bytes(cli, arg[2]);
	else if (!strcmp(file, "-"))
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		usage_error(cli, "cannot open '%s': %s", file, strerror(errno));

	status = attach(cli);
	if (status)
		goto out;
	ret = file ? write_file(cli, address, fd, &done) :
		     write_all(cli, address, (uint8_t *)arg[2], len, &done);
	if (cli->json) {
		json_address("address", address);
		json_u64("size", done);
	}
	if (ret)
		status = failed(cli, done ? "write stopped short" : "write", ret);
	else if (cli->json)
		json_end();
	else
		printf("wrote %" PRIu64 " bytes at 0x%" PRIx64 "\n", done, address);
out:
	if (fd > STDIN_FILENO)
		close(fd);
	return status;
}

/* ------------------------------------------------------------------ */
/* Help                                                               */
/* ------------------------------------------------------------------ */

static const struct command commands[] = {
	{
		"alloc", "PID SIZE [--prot PROT] [OPTIONS]",
		"\nReserves and commits SIZE bytes in process PID (VirtualAllocEx) and\n"
		"prints the address and size of the new range.\n\n"
		"  --prot PROT       protection of committed pages (default rw)\n"
		"  --reserve-only    reserve address space only (MEM_RESERVE)\n"
		"  --commit-only     MEM_COMMIT alone: with --address, commit pages of\n"
		"                    a reservation made before\n"
		"  --address ADDR    exactly there (a reservation starts at ADDR rounded\n"
		"                    down to 64 KiB) or fail; else the module chooses\n"
		"  --near ADDR       within +-2 GiB of ADDR (rel32 reach), bottom-up\n"
		"  --top-down        the highest free range (MEM_TOP_DOWN)\n"
		"  --align SIZE      base a multiple of SIZE, a power of two\n\n"
		"JSON: address, size, state (commit or reserve), protection.\n",
		cmd_alloc,
	},
	{
		"free", "PID ADDR [--decommit SIZE]",
		"\nReleases the whole allocation based at ADDR (VirtualFreeEx with\n"
		"MEM_RELEASE), or with --decommit turns SIZE bytes from ADDR back into\n"
		"reserved pages, their contents discarded (SIZE 0: all of the\n"
		"allocation based at ADDR).\n\n"
		"JSON: address, free_type (release or decommit), size.\n",
		cmd_free,
	},
	{
		"query", "PID ADDR",
		"\nDescribes the region of process PID's address space holding ADDR\n"
		"(VirtualQueryEx): its range, state (commit, reserve or free),\n"
		"protection, type (private, mapped or image), and the base and first\n"
		"protection of the allocation it is part of.\n\n"
		"JSON: address, region {base_address, region_size, state, protect,\n"
		"allocation_base, allocation_protect, type}; protect is null for\n"
		"reserved pages, type and allocation_base null for free ones.\n",
		cmd_query,
	},
	{
		"maps", "PID [START [END]] [--free]",
		"\nLists the regions of process PID from START to END (default: all of\n"
		"its address space), as query describes them, one per line like\n"
		"/proc/PID/maps. Free regions only with --free.\n\n"
		"JSON: start, end, regions [{...as query's region...}].\n",
		cmd_maps,
	},
	{
		"protect", "PID ADDR SIZE PROT [--copy]",
		"\nChanges the protection of committed pages of a remotevm allocation\n"
		"(VirtualProtectEx) and prints the protection the first had. Pages that\n"
		"hold data are mapped afresh only with --copy, which copies the data\n"
		"over: the target must leave them alone meanwhile.\n\n"
		"JSON: address, size, protection, old_protection.\n",
		cmd_protect,
	},
	{
		"read", "PID ADDR SIZE [--raw]",
		"\nReads SIZE bytes at ADDR of process PID (REMOTEVM_IOC_READ; its\n"
		"/proc/PID/mem with a module that lacks it) and prints them as a\n"
		"hexdump, or as they are with --raw. Stops at the first page that\n"
		"cannot be read (status 1, after what was read).\n\n"
		"JSON: address, data (hex digits), size (bytes read).\n",
		cmd_read,
	},
	{
		"write", "PID ADDR (HEXBYTES | --file FILE)",
		"\nWrites bytes at ADDR of process PID through its /proc/PID/mem: HEXBYTES\n"
		"as pairs of hex digits (\"90 90 c3\" or 9090c3), or the contents of\n"
		"FILE (- for stdin). Memory writable by the target or not.\n\n"
		"JSON: address, size (bytes written).\n",
		cmd_write,
	},
};

#define N_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void help(FILE *out)
{
	size_t i;

	fputs("usage: remotevm [--json] COMMAND ARGS...   (COMMAND --help for more)\n\n"
	      "Allocates, frees, queries, protects, reads and writes memory inside a\n"
	      "running process through /dev/remotevm, without stopping it or ptrace.\n\n",
	      out);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  remotevm %s %s\n", commands[i].name,
			commands[i].synopsis);
	fputs("\n  --json   one JSON object on stdout per command; it has \"command\"\n"
	      "           and \"pid\", and \"error\" and \"errno\" if it failed\n"
	      "           (usage errors: only a message on stderr)\n"
	      "  --help   this, or a command's own\n\n"
	      "Addresses are hexadecimal, 0x optional. Sizes are decimal or 0x\n"
	      "hexadecimal, with an optional K, M, G or T (KiB...): 4096, 0x1000, 64K.\n"
	      "PROT is r, w and x in any order (r-x as well), or none; w needs r.\n\n"
	      "Exit status: 0 done, 1 the operation failed, 2 usage error, 3 cannot\n"
	      "attach (no such process, access denied, module not loaded).\n",
	      out);
}

int main(int argc, char **argv)
{
	static const struct option options[] = { COMMON_OPTIONS, { 0 } };
	struct cli cli = { 0 };
	size_t i;
	int opt, status;

	opterr = 0;
	/* "+": stop at the command, whose own options follow it. */
	while ((opt = getopt_long(argc, argv, "+", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			cli.json = true;
			break;
		case 'h':
			help(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "remotevm: unknown option '%s'\n",
				argv[optind - 1]);
			help(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		help(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < N_COMMANDS && !cli.command; i++)
		if (!strcmp(argv[optind], commands[i].name))
			cli.command = &commands[i];
	if (!cli.command) {
		fprintf(stderr, "remotevm: unknown command '%s'\n", argv[optind]);
		help(stderr);
		return EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: start afresh on the command's arguments */
	status = cli.command->run(&cli, argc, argv);
	remotevm__close(cli.vm);
	return status;
}

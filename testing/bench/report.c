// SPDX-License-Identifier: GPL-2.0
/*
 * remotevm-bench: the CSV a guest run writes, and (--readme, on the host)
 * the README's Performance section made from the CSVs of each kernel, so
 * that every label is written once, in the experiment that measures it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

const char *kernel_name;
char kernel_release[65];

static FILE *csv;
static const char *csv_path;

static const char csv_header[] = "kernel,release,experiment,method,size,batch,metric,"
	"median,p10,p90,mad,rounds,n,target,verdict";

void csv_open(const char *path)
{
	csv_path = path;
	csv = fopen(path, "we");
	if (!csv)
		die("%s", path);
	fprintf(csv, "%s\n", csv_header);
}

void csv_close(void)
{
	if (csv && fclose(csv))
		die("%s", csv_path);
	csv = NULL;
}

void csv_row(const char *experiment, const char *method, uint64_t size,
	     uint32_t batch, const char *metric, struct stats st, uint64_t n,
	     const char *target, const char *verdict)
{
	if (!csv)
		return;
	fprintf(csv, "%s,%s,%s,%s,%" PRIu64 ",%u,%s,%.4f,%.4f,%.4f,%.4f,%d,%" PRIu64
		",%s,%s\n", kernel_name, kernel_release, experiment, method, size,
		batch, metric, st.median, st.p10, st.p90, st.mad, st.n, n,
		target ? target : "", verdict ? verdict : "");
}

/* ---- reading them back ---- */

#define MAX_KERNELS 4
#define MAX_CSV_ROWS 4096

struct csv_line {
	unsigned int kernel;
	char *text;		/* the line, cut into the strings below */
	char *experiment, *method, *metric;
	uint64_t size;
	struct csv_value value;
};

static struct csv_line lines[MAX_CSV_ROWS];
static unsigned int nlines;
unsigned int readme_nkernels;
const char *readme_kernels[MAX_KERNELS];

enum csv_column {
	COL_KERNEL, COL_RELEASE, COL_EXPERIMENT, COL_METHOD, COL_SIZE, COL_BATCH,
	COL_METRIC, COL_MEDIAN, COL_P10, COL_P90, COL_MAD, COL_ROUNDS, COL_N,
	COL_TARGET, COL_VERDICT, NCOLUMNS
};

static void csv_load(const char *path)
{
	unsigned int k = readme_nkernels++;
	char buf[1024];
	FILE *f = fopen(path, "re");

	if (!f)
		die("%s", path);
	if (!fgets(buf, sizeof(buf), f) || strncmp(buf, csv_header, strlen(csv_header)))
		fail("%s: not a remotevm-bench CSV", path);
	while (fgets(buf, sizeof(buf), f)) {
		char *text = strdup(buf), *rest = text, *col[NCOLUMNS];
		struct csv_line *l = &lines[nlines];
		int i;

		if (nlines == MAX_CSV_ROWS || !text)
			fail("%s: too many rows", path);
		text[strcspn(text, "\n")] = 0;
		for (i = 0; i < NCOLUMNS; i++)
			col[i] = strsep(&rest, ",");
		if (!col[COL_VERDICT])
			fail("%s: a row with fewer than %d columns", path, NCOLUMNS);
		if (!readme_kernels[k])
			readme_kernels[k] = col[COL_KERNEL];
		l->kernel = k;
		l->text = text;
		l->experiment = col[COL_EXPERIMENT];
		l->method = col[COL_METHOD];
		l->metric = col[COL_METRIC];
		l->size = strtoull(col[COL_SIZE], NULL, 10);
		l->value.median = strtod(col[COL_MEDIAN], NULL);
		l->value.n = strtoull(col[COL_N], NULL, 10);
		l->value.verdict = col[COL_VERDICT];
		nlines++;
	}
	fclose(f);
	if (!readme_kernels[k])
		fail("%s: no rows", path);
}

const struct csv_value *csv_find(unsigned int k, const char *experiment,
				 const char *method, uint64_t size,
				 const char *metric)
{
	unsigned int i;

	for (i = 0; i < nlines; i++) {
		const struct csv_line *l = &lines[i];

		if (l->kernel == k && (!size || l->size == size) &&
		    !strcmp(l->experiment, experiment) && !strcmp(l->method, method) &&
		    !strcmp(l->metric, metric))
			return &l->value;
	}
	return NULL;
}

void readme_header(const char *first_column, const char *const *columns,
		   unsigned int ncolumns)
{
	unsigned int k, c;

	printf("| %s |", first_column);
	for (k = 0; k < readme_nkernels; k++) {
		if (!ncolumns)
			printf(" %s |", readme_kernels[k]);
		for (c = 0; c < ncolumns; c++)
			printf(" %s %s |", readme_kernels[k], columns[c]);
	}
	printf("\n| --- |");
	for (k = 0; k < readme_nkernels * (ncolumns ? ncolumns : 1); k++)
		printf(" ---: |");
	printf("\n");
}

static void csv_load_all(int ncsv, char **csv_paths)
{
	int i;

	if (ncsv < 1 || ncsv > MAX_KERNELS)
		fail("1 to %d CSVs, one per kernel", MAX_KERNELS);
	for (i = 0; i < ncsv; i++)
		csv_load(csv_paths[i]);
}

int readme_main(int ncsv, char **csv_paths, const char *png_link)
{
	csv_load_all(ncsv, csv_paths);
	latency_readme();
	calls_readme();
	checks_readme();
	throughput_readme();
	printf("\n![remotevm: cost per op against the batch size](%s)\n", png_link);
	return 0;
}

int plot_main(const char *png, int ncsv, char **csv_paths)
{
	csv_load_all(ncsv, csv_paths);
	latency_plot(png);
	return 0;
}

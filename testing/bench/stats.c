// SPDX-License-Identifier: GPL-2.0
/* remotevm-bench: medians and spreads of per-round samples. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between order statistics. */
static double percentile(const double *sorted, int n, double p)
{
	double pos = p * (n - 1);
	int i = (int)pos;

	if (i >= n - 1)
		return sorted[n - 1];
	return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

struct stats summarise(const double *v, int n)
{
	double s[MAX_ROUNDS], dev[MAX_ROUNDS];
	struct stats st = { .n = n };
	int i;

	if (n <= 0)
		return st;
	memcpy(s, v, sizeof(*v) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	st.median = percentile(s, n, 0.5);
	st.p10 = percentile(s, n, 0.1);
	st.p90 = percentile(s, n, 0.9);
	for (i = 0; i < n; i++)
		dev[i] = s[i] > st.median ? s[i] - st.median : st.median - s[i];
	qsort(dev, (size_t)n, sizeof(*dev), cmp_double);
	st.mad = percentile(dev, n, 0.5);
	return st;
}

/*
 * The ratio of the medians is robust to the independent spikes an
 * emulated, shared machine gives each series; the per-round ratios (each
 * round compared with itself) give the spread.
 */
struct stats ratio_stats(const double *a, const double *b, int n)
{
	double v[MAX_ROUNDS];
	struct stats st;
	int i;

	for (i = 0; i < n; i++)
		v[i] = a[i] / b[i];
	st = summarise(v, n);
	st.median = summarise(a, n).median / summarise(b, n).median;
	return st;
}

// SPDX-License-Identifier: GPL-2.0
/* remotevm-bench: interleaved rounds of calibrated series. */
#include <string.h>

#include "bench.h"

/*
 * A bound on the ops of a round: a series whose probe measured (nearly)
 * nothing, e.g. one skipped on this machine, must not run forever.
 */
#define MAX_OPS_PER_ROUND 200000

/* Enough ops for a round of about round_ns, a multiple of the batch. */
static uint64_t calibrate(int64_t round_ns, int64_t probe_ns, uint64_t probe_ops,
			  uint32_t batch)
{
	double per_op = (double)(probe_ns > 0 ? probe_ns : 1) / (double)probe_ops;
	uint64_t n = (uint64_t)((double)round_ns / per_op);

	if (n < 4)
		n = 4;
	if (n > MAX_OPS_PER_ROUND)
		n = MAX_OPS_PER_ROUND;
	return (n + batch - 1) / batch * batch;
}

void rounds_run(struct series *s, unsigned int n, int rounds, int64_t round_ns,
		series_fn *run, void *ctx, const char *what)
{
	struct timing t;
	unsigned int i;
	int r;

	/* The first probe warms up, the second calibrates. */
	for (i = 0; i < n; i++) {
		uint64_t probe = s[i].batch > 1 ? s[i].batch : 16;

		memset(&t, 0, sizeof(t));
		run(ctx, i, probe, &t);
		memset(&t, 0, sizeof(t));
		run(ctx, i, probe, &t);
		s[i].ops = calibrate(round_ns, t.total, probe, s[i].batch);
	}
	for (r = 0; r < rounds; r++) {
		fprintf(stderr, "\r%s round %d/%d", what, r + 1, rounds);
		for (i = 0; i < n; i++) {
			double ops = (double)s[i].ops;

			memset(&t, 0, sizeof(t));
			run(ctx, i, s[i].ops, &t);
			s[i].us[r] = (double)t.total / ops / 1000;
			s[i].alloc_us[r] = (double)t.alloc / ops / 1000;
			s[i].release_us[r] = (double)t.release / ops / 1000;
		}
	}
	fprintf(stderr, "\n");
}

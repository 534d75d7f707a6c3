/* SPDX-License-Identifier: GPL-2.0 */
/*
 * remotevm-fuzz: what the tool side (fuzz.c, ops.c) and the hostile target
 * (target.c) share.
 */
#ifndef REMOTEVM_FUZZ_H
#define REMOTEVM_FUZZ_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PAGE		4096ULL
/* Where the target churns its own mappings and the tool aims most ops. */
#define WINDOW_PAGES	1024
/* The target's own pages it never gives up, whose every word it checks. */
#define PATTERN_PAGES	16

/* The tool asks the target to hold its own mappings still, and to go on. */
#define SIGNAL_PAUSE	(SIGRTMIN + 1)
#define SIGNAL_RESUME	(SIGRTMIN + 2)

/* Exit statuses of the target that mean remotevm broke its memory. */
#define TARGET_DATA_LOST	99
#define TARGET_FAULTED		98

/* splitmix64: small, fast, and the same sequence for the same seed. */
struct rng {
	uint64_t state;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static inline bool rng_chance(struct rng *r, unsigned int percent)
{
	return rng_below(r, 100) < percent;
}

/* The word the target keeps at @addr of its own pages. */
static inline uint64_t pattern_at(uint64_t addr, uint64_t salt)
{
	struct rng r = { addr ^ salt };

	return rng_next(&r);
}

/* target.c: runs the hostile target; never returns. */
void target_main(uint64_t seed, bool churn) __attribute__((noreturn));

#endif

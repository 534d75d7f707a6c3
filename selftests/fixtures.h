/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixtures the remotevm test programs share: a target with a handle
 * not yet attached to it, and one attached to it once per worker mode.
 * A header, not a .c file: kselftest_harness.h registers a fixture in the
 * program that defines it, so each program includes this once.
 */
#ifndef REMOTEVM_SELFTESTS_FIXTURES_H
#define REMOTEVM_SELFTESTS_FIXTURES_H

#include <unistd.h>

#include "kselftest_harness.h"
#include "rvm.h"
#include "target.h"

FIXTURE(unattached) {
	struct target t;
	int dev;
};

FIXTURE_SETUP(unattached)
{
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(unattached)
{
	close(self->dev);
	target_stop(&self->t);
}

FIXTURE(attached) {
	struct target t;
	int dev;
};

/*
 * Every test once per worker mode: the polling worker keeps the target
 * entered across requests, which must not change what any of them sees.
 */
FIXTURE_VARIANT(attached) {
	unsigned int poll_us;
};

FIXTURE_VARIANT_ADD(attached, sleeping_worker) {
	.poll_us = 0,
};

FIXTURE_VARIANT_ADD(attached, polling_worker) {
	.poll_us = REMOTEVM_POLL_US_MAX,
};

FIXTURE_SETUP(attached)
{
	ASSERT_EQ(0, target_start(&self->t));
	self->dev = rvm_open();
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, rvm_attach_polling(self->dev, self->t.pid, variant->poll_us));
}

FIXTURE_TEARDOWN(attached)
{
	close(self->dev);
	target_stop(&self->t);
}

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module: WARNs as it loads, so that the harness can prove a
 * kernel warning in a guest fails the run even when the command passed.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init warn_on_load_init(void)
{
	WARN(1, "remotevm harness self-test: deliberate warning\n");
	return 0;
}

static void __exit warn_on_load_exit(void)
{
}

module_init(warn_on_load_init);
module_exit(warn_on_load_exit);

MODULE_DESCRIPTION("remotevm harness self-test: warns on load");
MODULE_LICENSE("GPL");

/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * What both faces of libremotevm share: the export marker and the way
 * options structs are declared.
 */
#ifndef REMOTEVM_COMMON_H
#define REMOTEVM_COMMON_H

#include <string.h>

#ifndef LIBREMOTEVM_API
#define LIBREMOTEVM_API __attribute__((visibility("default")))
#endif

/*
 * Declares an options struct with every byte zero, padding included (the
 * library refuses non-zero bytes past the fields it knows), sz set to the
 * size the caller was built with, and the given fields:
 *
 *	REMOTEVM_OPTS(remotevm_open_opts, opts, .release_on_close = true);
 *
 * A library built with more fields reads an older caller's as its
 * defaults; an older library refuses a newer caller's that it cannot
 * honour (EINVAL) instead of ignoring them.
 */
#define REMOTEVM_OPTS(TYPE, NAME, ...)					\
	struct TYPE NAME = ({						\
		memset(&NAME, 0, sizeof(struct TYPE));			\
		(struct TYPE) {						\
			.sz = sizeof(struct TYPE),			\
			__VA_ARGS__					\
		};							\
	})

#endif /* REMOTEVM_COMMON_H */

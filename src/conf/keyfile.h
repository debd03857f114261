/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardd.conf: "key = value" lines, '#' to the end of a line is a comment. */
#pragma once

#include "util/err.h"

/* Called for each setting; a negative return stops the read, err saying why. */
typedef int (*conf_keyfile_fn)(void *userdata, const char *key, const char *value, struct err *err);

/*
 * Reads path and calls set for each setting in order. Returns 0, or -errno
 * with err set ("cannot read PATH: ..." or "PATH:LINE: ..."); -ENOENT when
 * the file does not exist.
 */
int conf_keyfile_read(const char *path, conf_keyfile_fn set, void *userdata, struct err *err);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON forms of the CLI's offline results, through the same codec library
 * as the control protocol (json-c lives only in ctl/).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct ctl_validation {
	const char *file;
	bool is_valid;
	const char *kind; /* "filter", "filterbinding", or NULL when unknown */
	const char *name; /* filter name or binding port, NULL when unknown */
	const char *const *errors;
	size_t n_errors;
	const char *const *warnings;
	size_t n_warnings;
};

/* One line of JSON, without the newline. Caller frees; NULL on -ENOMEM. */
char *ctl_validation_format(const struct ctl_validation *v);

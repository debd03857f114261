/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Binary search over anything kept sorted by name (strcmp order). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The name of element i of the collection ctx. */
typedef const char *(*sorted_name_fn)(const void *ctx, size_t i);

/*
 * The index of name among the n elements, or the index where it would be
 * inserted to keep the order; *ret_found says which.
 */
size_t sorted_find(const void *ctx, size_t n, sorted_name_fn name_at, const char *name,
		   bool *ret_found);

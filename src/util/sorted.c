/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/sorted.h"

#include <string.h>

size_t sorted_find(const void *ctx, size_t n, sorted_name_fn name_at, const char *name,
		   bool *ret_found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name_at(ctx, mid), name);

		if (c == 0) {
			*ret_found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_found = false;
	return lo;
}

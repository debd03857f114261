/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A map from strings to unsigned values (open addressing, FNV-1a): constant
 * time per lookup, so that a compile is linear in the number of values a
 * variable has. Keys are copied. Zero-initialize; strmap_fini frees.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot {
	char *key; /* owned; NULL: empty */
	unsigned value;
};

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};

/* 1 when key was added, 0 when it was there (its value is left as it was), -ENOMEM. */
int strmap_add(struct strmap *m, const char *key, unsigned value);
/* True and *ret (may be NULL) when key is there. */
bool strmap_get(const struct strmap *m, const char *key, unsigned *ret);
/* Sets key's value (adding it): -ENOMEM. */
int strmap_set(struct strmap *m, const char *key, unsigned value);
void strmap_fini(struct strmap *m);

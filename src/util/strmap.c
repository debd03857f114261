/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/strmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static struct strmap_slot *find(const struct strmap *m, const char *key)
{
	size_t i = (size_t)hash(key) & (m->cap - 1);

	/* at most half full: the probe ends at an empty slot */
	while (m->slots[i].key && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 16;
	struct strmap old = *m;

	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key) = old.slots[i];
	free(old.slots);
	return 0;
}

int strmap_add(struct strmap *m, const char *key, unsigned value)
{
	struct strmap_slot *slot;

	if (2 * (m->n + 1) > m->cap && grow(m) < 0)
		return -ENOMEM;
	slot = find(m, key);
	if (slot->key)
		return 0;
	slot->key = strdup(key);
	if (!slot->key)
		return -ENOMEM;
	slot->value = value;
	m->n++;
	return 1;
}

bool strmap_get(const struct strmap *m, const char *key, unsigned *ret)
{
	const struct strmap_slot *slot = m->cap ? find(m, key) : NULL;

	if (!slot || !slot->key)
		return false;
	if (ret)
		*ret = slot->value;
	return true;
}

int strmap_set(struct strmap *m, const char *key, unsigned value)
{
	int r = strmap_add(m, key, value);

	if (r == 0)
		find(m, key)->value = value;
	return r < 0 ? r : 0;
}

void strmap_fini(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	*m = (struct strmap){ 0 };
}

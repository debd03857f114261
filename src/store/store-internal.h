/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hooks for tests/unit/test-store.c only; the daemon never includes this. */
#pragma once

#include <stdint.h>

struct sqlite3;
struct store;

/* The connection, to provoke errors (max_page_count) and check integrity. Borrowed. */
struct sqlite3 *store_sqlite(struct store *s);
/* Fixes the clock used for created_at, learned_at and learning_since; negative: the real clock. */
void store_set_now(struct store *s, int64_t now);

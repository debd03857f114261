/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The XML front end: bytes -> <filter>/<filterbinding>. Besides "never
 * crash", checks the formatter is a fixed point: whatever parses must format,
 * parse back, and format to the same text again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *format_doc(enum conf_doc_kind kind, const struct filter *f, const struct binding *b)
{
	return kind == CONF_DOC_FILTER ? conf_filter_format(f) : conf_binding_format(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag diag = { 0 };
	enum conf_doc_kind kind, kind2;
	struct filter *f = NULL, *f2 = NULL;
	struct binding *b = NULL, *b2 = NULL;
	char *first, *second;

	if (conf_parse_mem((const char *)data, size, "fuzz.xml", &diag, &kind, &f, &b) < 0) {
		if (diag.n_errors == 0 || f || b)
			abort(); /* a rejection must say why and leave nothing behind */
		return 0;
	}
	first = format_doc(kind, f, b);
	if (!first)
		abort();
	if (conf_parse_mem(first, strlen(first), "formatted.xml", &diag, &kind2, &f2, &b2) < 0 ||
	    kind2 != kind)
		abort();
	second = format_doc(kind2, f2, b2);
	if (!second || strcmp(first, second) != 0)
		abort();
	free(first);
	free(second);
	filter_free(f);
	filter_free(f2);
	binding_free(b);
	binding_free(b2);
	return 0;
}

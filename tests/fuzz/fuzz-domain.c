/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libvirt hook's input: bytes -> <domain>. Besides "never crash": a
 * rejection says why and leaves nothing; every guarded interface with a
 * port yields a binding whose canonical XML the daemon's parser accepts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_binding(const struct conf_domain *d, const struct conf_domain_iface *iface)
{
	struct conf_diag diag = { 0 };
	struct binding *b = NULL, *back = NULL;
	enum conf_doc_kind kind;
	char *text;
	int r = conf_domain_binding(d, iface, &b);
	int expect = iface->guard == CONF_GUARD_NONE ? -EINVAL : !iface->target_dev ? -ENODEV : 0;

	if (r != expect)
		abort();
	if (r < 0)
		return;
	text = conf_binding_format(b);
	if (!text ||
	    conf_parse_mem(text, strlen(text), "binding.xml", &diag, &kind, NULL, &back) < 0 ||
	    kind != CONF_DOC_BINDING)
		abort();
	free(text);
	binding_free(b);
	binding_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag diag = { 0 };
	struct conf_domain *d = NULL;

	if (conf_domain_parse((const char *)data, size, "fuzz.xml", &diag, &d) < 0) {
		if (diag.n_errors == 0 || d)
			abort();
		return 0;
	}
	for (size_t i = 0; i < d->n_ifaces; i++)
		check_binding(d, &d->ifaces[i]);
	conf_domain_free(d);
	return 0;
}

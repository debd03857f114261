/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a libvirt hook needs from a <domain> document (the XML libvirt
 * writes on the hook's standard input): the domain's name and UUID, and per
 * <devices><interface> its type, MAC, host port (<target dev>), a macvtap's
 * lower device (<source dev> of type='direct'), and the guard it asks for.
 *
 * A guard is a filter with parameters, given either as the interface's own
 * <filterref>, or in the domain's <metadata> under vifguard's namespace,
 * matched to interfaces by MAC:
 *
 *   <metadata>
 *     <vifguard:guard xmlns:vifguard="https://vifguard.org/xmlns/libvirt/1">
 *       <interface mac="52:54:00:00:00:21">
 *         <filterref filter="clean-traffic">
 *           <parameter name="IP" value="10.0.0.21"/>
 *         </filterref>
 *       </interface>
 *     </vifguard:guard>
 *   </metadata>
 *
 * The metadata wins over an interface's own <filterref>. Everything else in
 * the domain is ignored, so that a domain libvirt accepts is never refused
 * for a part that does not concern a guard. What concerns one is checked
 * strictly and fails closed: an entry in vifguard's namespace that is not
 * understood, or that names a MAC no interface has, rejects the document
 * (a typo there would otherwise leave an interface unguarded).
 *
 * Parsing is pure (bytes in, model out) with conf.c's libxml2 settings: no
 * network, no DTD or entities, a size cap, bounded counts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "filter/filter.h"

#define CONF_DOMAIN_NS         "https://vifguard.org/xmlns/libvirt/1"
#define CONF_DOMAIN_MAX        (4 * 1024 * 1024) /* bytes of XML */
#define CONF_DOMAIN_IFACES_MAX 256               /* <interface>s, and metadata entries */
#define CONF_DOMAIN_PARAMS_MAX 1024              /* <parameter>s in one <filterref> */

enum conf_guard_origin {
	CONF_GUARD_NONE,      /* the interface asks for no guard */
	CONF_GUARD_FILTERREF, /* its own <filterref> */
	CONF_GUARD_METADATA,  /* an entry of <vifguard:guard> with its MAC */
};

struct conf_domain_iface {
	char *type; /* owned: bridge, network, direct, ethernet, ... */
	uint8_t mac[MAC_LEN];
	bool has_mac;
	char *target_dev; /* owned; NULL when absent (libvirt names the port at start) */
	char *source_dev; /* owned; type='direct': the macvtap's lower device; else NULL */
	enum conf_guard_origin guard;
	struct filter_ref ref; /* the guard, when guard is not CONF_GUARD_NONE */
};

struct conf_domain {
	char *name; /* owned */
	uint8_t uuid[16];
	struct conf_domain_iface *ifaces; /* owned, n_ifaces, in document order */
	size_t n_ifaces;
};

/*
 * Parses a <domain> document from memory; name is the file name used in
 * messages. Returns 0 and *ret (caller frees), -EINVAL for a rejected
 * document (every problem reported through diag, which may be NULL), or
 * -ENOMEM.
 */
int conf_domain_parse(const char *buf, size_t len, const char *name, struct conf_diag *diag,
		      struct conf_domain **ret);

/* NULL-safe; returns NULL. */
struct conf_domain *conf_domain_free(struct conf_domain *d);

/* How many interfaces ask for a guard. */
size_t conf_domain_n_guarded(const struct conf_domain *d);

/*
 * The binding an interface's guard asks for: owner = the domain, portdev =
 * its target dev, linkdev = its source dev (type='direct'), its MAC, the
 * guard's filter and parameters. Returns 0 and *ret (caller frees), -EINVAL
 * when the interface asks for no guard, -ENODEV when it has no target dev,
 * -ENOMEM.
 */
int conf_domain_binding(const struct conf_domain *d, const struct conf_domain_iface *iface,
			struct binding **ret);

static inline void conf_domain_freep(struct conf_domain **d)
{
	*d = conf_domain_free(*d);
}

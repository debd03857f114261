/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <domain> documents as a libvirt hook gets them: libvirt 9.0's own output
 * (tests/data/libvirt, measured), both ways of asking for a guard, every
 * error with its exact text, the limits, and truncated or garbage input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain.h"
#include "filter/value.h"
#include "testlib.h"
#include "util/strbuf.h"

#define UUID   "bef87aec-8fce-4454-b47e-c6d769e27804"
#define HEAD   "<domain type='qemu'>\n<name>vm</name>\n<uuid>" UUID "</uuid>\n"
#define DOM(b) HEAD b "</domain>\n"
#define IFACE(mac, body) \
	"<interface type='bridge'>\n<mac address='" mac "'/>\n" body "</interface>\n"
#define DEVICES(b) "<devices>\n" b "</devices>\n"
#define META(b)                                                                                    \
	"<metadata>\n<vifguard:guard xmlns:vifguard=\"https://vifguard.org/xmlns/libvirt/1\">\n" b \
	"</vifguard:guard>\n</metadata>\n"
#define GUARD(mac, filter) \
	"<interface mac=\"" mac "\">\n<filterref filter=\"" filter "\"/>\n</interface>\n"

struct messages {
	char text[16384];
};

static void collect(void *userdata, const struct conf_message *dm)
{
	struct messages *m = userdata;
	size_t len = strlen(m->text);

	snprintf(m->text + len, sizeof(m->text) - len, "%s%s\n",
		 dm->severity == CONF_WARNING ? "warning: " : "", dm->text);
}

static int parse(const char *doc, size_t len, struct messages *m, struct conf_diag *diag,
		 struct conf_domain **d)
{
	*diag = (struct conf_diag){ .report = collect, .userdata = m };
	*d = NULL;
	return conf_domain_parse(doc, len, "d.xml", diag, d);
}

/* A libvirt sample, which must parse without a warning. */
static struct conf_domain *sample(const char *name)
{
	char rel[256];
	char *path, *doc;
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct conf_domain *d;

	snprintf(rel, sizeof(rel), "tests/data/libvirt/%s", name);
	path = test_source_path(rel);
	doc = test_read_file(path);
	if (!doc)
		fail_msg("cannot read %s", path);
	if (parse(doc, strlen(doc), &m, &diag, &d) != 0 || diag.n_warnings)
		fail_msg("%s: %s", name, m.text);
	free(doc);
	free(path);
	return d;
}

static const char *param(const struct filter_ref *ref, const char *name)
{
	const struct filter_var *v = filter_params_find(&ref->params, name);

	return v && v->n_values == 1 ? v->values[0] : NULL;
}

static void assert_mac(const uint8_t mac[MAC_LEN], const char *text)
{
	char s[MAC_TEXT_MAX];

	mac_format(mac, s);
	assert_string_equal(s, text);
}

static void test_qemu_start_begin(void **state)
{
	struct conf_domain *d = sample("domain-qemu-start-begin.xml");
	const struct conf_domain_iface *i;
	struct binding *b = NULL;
	char uuid[37], *text;

	assert_string_equal(d->name, "lvq1");
	filter_uuid_format(d->uuid, uuid);
	assert_string_equal(uuid, UUID);
	assert_int_equal(d->n_ifaces, 1);
	assert_int_equal(conf_domain_n_guarded(d), 1);
	i = &d->ifaces[0];
	assert_string_equal(i->type, "bridge");
	assert_true(i->has_mac);
	assert_mac(i->mac, "52:54:00:00:00:21");
	assert_string_equal(i->target_dev, "vnet0");
	assert_null(i->source_dev);
	assert_int_equal(i->guard, CONF_GUARD_FILTERREF);
	assert_string_equal(i->ref.filter, "clean-traffic");
	assert_string_equal(param(&i->ref, "IP"), "10.0.0.21");
	assert_int_equal(i->ref.params.n_vars, 1);

	assert_int_equal(conf_domain_binding(d, i, &b), 0);
	text = conf_binding_format(b);
	assert_string_equal(text, "<filterbinding>\n"
				  "  <owner>\n"
				  "    <name>lvq1</name>\n"
				  "    <uuid>" UUID "</uuid>\n"
				  "  </owner>\n"
				  "  <portdev name='vnet0'/>\n"
				  "  <mac address='52:54:00:00:00:21'/>\n"
				  "  <filterref filter='clean-traffic'>\n"
				  "    <parameter name='IP' value='10.0.0.21'/>\n"
				  "  </filterref>\n"
				  "</filterbinding>\n");
	free(text);
	binding_free(b);
	conf_domain_free(d);
}

/* Before start and after stop an auto-named tap is not in the XML: no binding can be made. */
static void test_qemu_no_target(void **state)
{
	static const char *const names[] = { "domain-qemu-prepare-begin.xml",
					     "domain-qemu-stopped-end.xml",
					     "domain-qemu-release-end.xml" };

	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		struct conf_domain *d = sample(names[k]);
		struct binding *b = NULL;

		assert_int_equal(d->n_ifaces, 1);
		assert_null(d->ifaces[0].target_dev);
		assert_int_equal(d->ifaces[0].guard, CONF_GUARD_FILTERREF);
		assert_int_equal(conf_domain_binding(d, &d->ifaces[0], &b), -ENODEV);
		assert_null(b);
		conf_domain_free(d);
	}
}

/* Every op's XML of both drivers: the same domain, interface and guard. */
static void test_every_sample(void **state)
{
	static const char *const ops[] = { "prepare-begin",   "start-begin", "started-begin",
					   "reconnect-begin", "stopped-end", "release-end" };
	static const char *const drivers[] = { "qemu", "lxc" };

	for (size_t k = 0; k < 2; k++) {
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
			char name[128];
			struct conf_domain *d;
			bool is_lxc = k == 1;

			snprintf(name, sizeof(name), "domain-%s-%s.xml", drivers[k], ops[o]);
			d = sample(name);
			assert_string_equal(d->name, is_lxc ? "lvx1" : "lvq1");
			assert_int_equal(d->n_ifaces, 1);
			assert_mac(d->ifaces[0].mac,
				   is_lxc ? "52:54:00:00:00:11" : "52:54:00:00:00:21");
			assert_string_equal(d->ifaces[0].ref.filter, "clean-traffic");
			assert_string_equal(param(&d->ifaces[0].ref, "IP"),
					    is_lxc ? "10.0.0.11" : "10.0.0.21");
			/* an explicit LXC target is in every op's XML */
			if (is_lxc)
				assert_string_equal(d->ifaces[0].target_dev, "vg7");
			conf_domain_free(d);
		}
	}
}

/* Metadata of another namespace is not ours: no guard, nothing refused. */
static void test_foreign_metadata(void **state)
{
	struct conf_domain *d = sample("domain-lxc2-metadata-started-begin.xml");

	assert_string_equal(d->name, "lvx2");
	assert_int_equal(d->n_ifaces, 1);
	assert_string_equal(d->ifaces[0].target_dev, "vg8");
	assert_int_equal(d->ifaces[0].guard, CONF_GUARD_NONE);
	assert_int_equal(conf_domain_n_guarded(d), 0);
	conf_domain_free(d);
}

static void test_metadata_form(void **state)
{
	struct conf_domain *d = sample("domain-qemu-metadata-start-begin.xml");
	struct binding *b = NULL;

	assert_int_equal(d->n_ifaces, 1);
	assert_int_equal(d->ifaces[0].guard, CONF_GUARD_METADATA);
	assert_string_equal(d->ifaces[0].ref.filter, "clean-traffic");
	assert_string_equal(param(&d->ifaces[0].ref, "IP"), "10.0.0.21");
	assert_int_equal(conf_domain_binding(d, &d->ifaces[0], &b), 0);
	assert_string_equal(b->portdev, "vnet0");
	assert_string_equal(b->owner_name, "lvq1");
	binding_free(b);
	conf_domain_free(d);
}

/* Written by libvirt 9.0 for a real LXC start with the hook installed (start begin's stdin). */
static void test_lxc_metadata_real(void **state)
{
	struct conf_domain *d = sample("domain-lxc-metadata-start-begin.xml");

	assert_string_equal(d->name, "lvx4");
	assert_int_equal(d->n_ifaces, 1);
	assert_string_equal(d->ifaces[0].target_dev, "vg10");
	assert_mac(d->ifaces[0].mac, "52:54:00:00:00:14");
	assert_int_equal(d->ifaces[0].guard, CONF_GUARD_METADATA);
	assert_string_equal(d->ifaces[0].ref.filter, "clean-traffic");
	assert_string_equal(param(&d->ifaces[0].ref, "IP"), "10.0.0.14");
	conf_domain_free(d);
}

/* virsh metadata --key vifguard --set: libvirt puts the prefix on every child element too. */
static void test_lxc_metadata_key_real(void **state)
{
	struct conf_domain *d = sample("domain-lxc-metadata-key-start-begin.xml");

	assert_int_equal(d->ifaces[0].guard, CONF_GUARD_METADATA);
	assert_string_equal(d->ifaces[0].ref.filter, "no-such-filter");
	conf_domain_free(d);
}

static struct conf_domain *parse_ok(const char *doc)
{
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct conf_domain *d;

	if (parse(doc, strlen(doc), &m, &diag, &d) != 0 || diag.n_errors)
		fail_msg("%s", m.text);
	return d;
}

static void test_metadata_wins(void **state)
{
	static const char doc[] =
		DOM(META("<interface mac=\"52:54:00:00:00:01\">\n"
			 "<filterref filter=\"clean-traffic\">\n"
			 "<parameter name=\"IP\" value=\"10.0.0.1\"/>\n"
			 "</filterref>\n</interface>\n") //
		    DEVICES(IFACE("52:54:00:00:00:01",
				  "<target dev='vm-a'/>\n"
				  "<filterref filter='no-mac-spoofing'>\n"
				  "<parameter name='X' value='1'/>\n</filterref>\n")));
	struct conf_domain *d = parse_ok(doc);

	assert_int_equal(d->ifaces[0].guard, CONF_GUARD_METADATA);
	assert_string_equal(d->ifaces[0].ref.filter, "clean-traffic");
	assert_string_equal(param(&d->ifaces[0].ref, "IP"), "10.0.0.1");
	assert_null(param(&d->ifaces[0].ref, "X"));
	conf_domain_free(d);
}

/* The namespace counts, not the prefix; quotes either way; MAC case does not matter. */
static void test_metadata_prefix(void **state)
{
	static const char doc[] =
		DOM("<metadata>\n"
		    "<other:guard xmlns:other='urn:other'><interface mac='52:54:00:00:00:02'/>"
		    "</other:guard>\n"
		    "<g:guard xmlns:g='https://vifguard.org/xmlns/libvirt/1'>\n"
		    "<interface mac='52:54:00:AB:CD:EF'><filterref filter='no-ip-spoofing'/>"
		    "</interface>\n"
		    "</g:guard>\n</metadata>\n" //
		    DEVICES(IFACE("52:54:00:ab:cd:ef", "<target dev='vm-b'/>\n")));
	struct conf_domain *d = parse_ok(doc);

	assert_int_equal(d->ifaces[0].guard, CONF_GUARD_METADATA);
	assert_string_equal(d->ifaces[0].ref.filter, "no-ip-spoofing");
	conf_domain_free(d);
}

static void test_mixed_interfaces(void **state)
{
	static const char doc[] = DOM(
		META(GUARD("52:54:00:00:00:02", "clean-traffic")) //
		DEVICES(IFACE("52:54:00:00:00:01",
			      "<target dev='tap1'/>\n<filterref filter='no-mac-spoofing'/>\n") //
			IFACE("52:54:00:00:00:02", "<target dev='tap2'/>\n")                   //
			IFACE("52:54:00:00:00:03", "<target dev='tap3'/>\n")                   //
			"<interface type='direct'>\n<mac address='52:54:00:00:00:04'/>\n"
			"<source dev='eth1' mode='bridge'/>\n<target dev='macvtap0'/>\n"
			"<filterref filter='no-arp-spoofing'/>\n</interface>\n"
			"<interface type='user'>\n<mac address='52:54:00:00:00:05'/>\n"
			"</interface>\n"
			"<hostdev mode='subsystem' type='pci'/>\n"));
	struct conf_domain *d = parse_ok(doc);
	struct binding *b = NULL;

	assert_int_equal(d->n_ifaces, 5);
	assert_int_equal(conf_domain_n_guarded(d), 3);
	assert_int_equal(d->ifaces[0].guard, CONF_GUARD_FILTERREF);
	assert_int_equal(d->ifaces[1].guard, CONF_GUARD_METADATA);
	assert_int_equal(d->ifaces[2].guard, CONF_GUARD_NONE);
	assert_int_equal(d->ifaces[3].guard, CONF_GUARD_FILTERREF);
	assert_string_equal(d->ifaces[3].type, "direct");
	assert_string_equal(d->ifaces[3].source_dev, "eth1");
	assert_int_equal(d->ifaces[4].guard, CONF_GUARD_NONE);
	assert_null(d->ifaces[4].target_dev);
	assert_int_equal(conf_domain_binding(d, &d->ifaces[2], &b), -EINVAL);
	assert_int_equal(conf_domain_binding(d, &d->ifaces[3], &b), 0);
	assert_string_equal(b->linkdev, "eth1");
	assert_string_equal(b->portdev, "macvtap0");
	binding_free(b);
	conf_domain_free(d);
}

/* A domain without devices or interfaces is fine: nothing to guard. */
static void test_nothing_to_guard(void **state)
{
	struct conf_domain *d = parse_ok(DOM(""));

	assert_int_equal(d->n_ifaces, 0);
	assert_int_equal(conf_domain_n_guarded(d), 0);
	conf_domain_free(d);
	d = parse_ok(DOM(DEVICES("<disk type='file'/>\n")));
	assert_int_equal(d->n_ifaces, 0);
	conf_domain_free(d);
}

struct error_case {
	const char *name;
	const char *doc;
	const char *expect; /* the first error, exactly */
};

static struct error_case errors[] = {
	{ "empty", "", "d.xml: empty document" },
	{ "not-xml", "vifguard\n",
	  "d.xml:1: not well-formed XML: Start tag expected, '<' not found" },
	{ "dtd", "<!DOCTYPE domain [<!ENTITY a 'x'>]>\n<domain/>\n",
	  "d.xml:1: <!DOCTYPE>: DTDs and entity declarations are not accepted" },
	{ "wrong-root", "<filter name='clean-traffic'/>\n",
	  "d.xml:1: <filter>: not a libvirt domain (accepted: <domain>)" },
	{ "namespaced-root", "<x:domain xmlns:x='urn:x'/>\n",
	  "d.xml:1: <domain>: not a libvirt domain (accepted: <domain>)" },
	{ "no-name", "<domain>\n<uuid>" UUID "</uuid>\n</domain>\n",
	  "d.xml:1: <domain>: missing <name>" },
	{ "no-uuid", "<domain>\n<name>vm</name>\n</domain>\n",
	  "d.xml:1: <domain>: missing <uuid>" },
	{ "bad-uuid", "<domain>\n<name>vm</name>\n<uuid>1234</uuid>\n</domain>\n",
	  "d.xml:3: <uuid>1234</uuid>: malformed UUID (accepted: 32 hex digits, optionally as "
	  "8-4-4-4-12)" },
	{ "iface-no-type",
	  DOM(DEVICES("<interface>\n<mac address='52:54:00:00:00:01'/>\n"
		      "</interface>\n")),
	  "d.xml:5: <interface>: missing attribute 'type'" },
	{ "iface-bad-mac", DOM(DEVICES(IFACE("52:54:00:00:01", ""))),
	  "d.xml:6: <mac address='52:54:00:00:01'>: not a MAC address (six hex octets, e.g. "
	  "52:54:00:12:34:56)" },
	{ "iface-mac-no-address", DOM(DEVICES("<interface type='bridge'>\n<mac/>\n</interface>\n")),
	  "d.xml:6: <mac>: missing attribute 'address'" },
	{ "filterref-no-mac",
	  DOM(DEVICES("<interface type='bridge'>\n<filterref filter='clean-traffic'/>\n"
		      "</interface>\n")),
	  "d.xml:5: <interface>: has a <filterref> but no <mac address=...>, which a guard needs" },
	{ "filterref-no-filter", DOM(DEVICES(IFACE("52:54:00:00:00:01", "<filterref/>\n"))),
	  "d.xml:7: <filterref>: missing attribute 'filter'" },
	{ "meta-unmatched",
	  DOM(META(GUARD("52:54:00:00:00:99", "clean-traffic"))
		      DEVICES(IFACE("52:54:00:00:00:01", ""))),
	  "d.xml:6: <interface mac='52:54:00:00:00:99'>: no <interface> of the domain has this MAC "
	  "(accepted: the <mac address> of one of its interfaces)" },
	{ "meta-unmatched-no-devices", DOM(META(GUARD("52:54:00:00:00:99", "clean-traffic"))),
	  "d.xml:6: <interface mac='52:54:00:00:00:99'>: no <interface> of the domain has this MAC "
	  "(accepted: the <mac address> of one of its interfaces)" },
	{ "meta-duplicate",
	  DOM(META(GUARD("52:54:00:00:00:01", "clean-traffic") GUARD(
		  "52:54:00:00:00:01", "no-ip-spoofing")) DEVICES(IFACE("52:54:00:00:00:01", ""))),
	  "d.xml:9: <interface mac='52:54:00:00:00:01'>: a second entry for this MAC (line 6 has "
	  "one)" },
	{ "meta-unknown-element",
	  "<domain>\n<name>vm</name>\n<uuid>" UUID "</uuid>\n<metadata>\n"
	  "<vifguard:binding xmlns:vifguard='https://vifguard.org/xmlns/libvirt/1'/>\n"
	  "</metadata>\n</domain>\n",
	  "d.xml:5: <binding>: unknown element in vifguard's namespace "
	  "https://vifguard.org/xmlns/libvirt/1 (accepted: <guard>)" },
	{ "meta-two-guards",
	  "<domain>\n<name>vm</name>\n<uuid>" UUID "</uuid>\n<metadata>\n"
	  "<a:guard xmlns:a='https://vifguard.org/xmlns/libvirt/1'/>\n"
	  "<b:guard xmlns:b='https://vifguard.org/xmlns/libvirt/1'/>\n"
	  "</metadata>\n</domain>\n",
	  "d.xml:6: <guard>: more than one <guard> (line 5 has one)" },
	{ "meta-entry-no-filterref", DOM(META("<interface mac='52:54:00:00:00:01'/>\n")),
	  "d.xml:6: <interface>: missing <filterref filter=...>" },
	{ "meta-entry-no-mac", DOM(META("<interface><filterref filter='x'/></interface>\n")),
	  "d.xml:6: <interface>: missing attribute 'mac'" },
	{ "meta-entry-bad-mac", DOM(META(GUARD("52:54:00:00:00:0g", "x"))),
	  "d.xml:6: <interface mac='52:54:00:00:00:0g'>: not a MAC address (six hex octets, e.g. "
	  "52:54:00:12:34:56)" },
	{ "meta-entry-two-filterrefs",
	  DOM(META("<interface mac='52:54:00:00:00:01'>\n<filterref filter='a'/>\n"
		   "<filterref filter='b'/>\n</interface>\n")),
	  "d.xml:8: <filterref>: more than one <filterref> for this MAC" },
	{ "meta-entry-unknown-child",
	  DOM(META("<interface mac='52:54:00:00:00:01'>\n<filter name='a'/>\n</interface>\n")),
	  "d.xml:7: <filter>: unknown element in a guard's <interface> (accepted: <filterref>)" },
	{ "meta-unknown-in-guard", DOM(META("<port name='vnet0'/>\n")),
	  "d.xml:6: <port>: unknown element in <guard> (accepted: <interface mac=...>)" },
};

static void run_error(void **state)
{
	const struct error_case *c = *state;
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct conf_domain *d;
	int r = parse(c->doc, strlen(c->doc), &m, &diag, &d);

	assert_int_equal(r, -EINVAL);
	assert_null(d);
	assert_true(diag.n_errors > 0);
	if (strcmp(diag.first_error.msg, c->expect) != 0)
		fail_msg("expected:\n%s\ngot:\n%s", c->expect, m.text);
}

/* Every problem is reported, not only the first. */
static void test_every_error(void **state)
{
	static const char doc[] = "<domain>\n<uuid>x</uuid>\n" //
		META(GUARD("52:54:00:00:00:99", "a"))
			DEVICES(IFACE("52:54:00:00:00:1g", "")) "</domain>\n";
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct conf_domain *d;

	assert_int_equal(parse(doc, strlen(doc), &m, &diag, &d), -EINVAL);
	assert_string_equal(
		m.text, "d.xml:1: <domain>: missing <name>\n"
			"d.xml:2: <uuid>x</uuid>: malformed UUID (accepted: 32 hex digits, "
			"optionally as 8-4-4-4-12)\n"
			"d.xml:12: <mac address='52:54:00:00:00:1g'>: not a MAC address (six hex "
			"octets, e.g. 52:54:00:12:34:56)\n");
}

enum item {
	ITEM_IFACE,
	ITEM_ENTRY,
	ITEM_PARAM,
};

/* head, n numbered items, tail */
static char *many(const char *head, enum item item, size_t n, const char *tail)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_add(&sb, head);
	for (size_t i = 0; i < n; i++) {
		unsigned hi = (unsigned)(i >> 8), lo = (unsigned)(i & 0xff);

		switch (item) {
		case ITEM_IFACE:
			strbuf_addf(
				&sb,
				"<interface type='bridge'><mac address='52:54:00:00:%02x:%02x'/>"
				"</interface>\n",
				hi, lo);
			break;
		case ITEM_ENTRY:
			strbuf_addf(&sb,
				    "<interface mac='52:54:00:00:%02x:%02x'><filterref filter='a'/>"
				    "</interface>\n",
				    hi, lo);
			break;
		case ITEM_PARAM:
			strbuf_addf(&sb, "<parameter name='IP' value='10.0.%u.%u'/>\n", hi, lo);
			break;
		}
	}
	strbuf_add(&sb, tail);
	return strbuf_steal(&sb);
}

static void expect_limit(const char *doc, bool is_ok, const char *expect)
{
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct conf_domain *d;
	int r = parse(doc, strlen(doc), &m, &diag, &d);

	if (is_ok) {
		if (r != 0)
			fail_msg("%s", m.text);
		conf_domain_free(d);
		return;
	}
	assert_int_equal(r, -EINVAL);
	assert_string_equal(diag.first_error.msg, expect);
}

static void test_limits(void **state)
{
	char *doc;

	doc = many(HEAD "<devices>\n", ITEM_IFACE, CONF_DOMAIN_IFACES_MAX,
		   "</devices>\n</domain>\n");
	expect_limit(doc, true, NULL);
	free(doc);
	doc = many(HEAD "<devices>\n", ITEM_IFACE, CONF_DOMAIN_IFACES_MAX + 1,
		   "</devices>\n</domain>\n");
	expect_limit(doc, false, "d.xml:4: <devices>: more than 256 <interface> elements");
	free(doc);
	doc = many(HEAD "<metadata><g:guard xmlns:g='" CONF_DOMAIN_NS "'>\n", ITEM_ENTRY,
		   CONF_DOMAIN_IFACES_MAX + 1, "</g:guard></metadata>\n</domain>\n");
	expect_limit(doc, false,
		     "d.xml:261: <interface>: more than 256 <interface> elements in <guard>");
	free(doc);
	doc = many(HEAD "<devices><interface type='bridge'><mac address='52:54:00:00:00:01'/>"
			"<filterref filter='a'>\n",
		   ITEM_PARAM, CONF_DOMAIN_PARAMS_MAX,
		   "</filterref></interface></devices>\n</domain>\n");
	expect_limit(doc, true, NULL);
	free(doc);
	doc = many(HEAD "<devices><interface type='bridge'><mac address='52:54:00:00:00:01'/>"
			"<filterref filter='a'>\n",
		   ITEM_PARAM, CONF_DOMAIN_PARAMS_MAX + 1,
		   "</filterref></interface></devices>\n</domain>\n");
	expect_limit(doc, false, "d.xml:4: <filterref>: more than 1024 <parameter> elements");
	free(doc);
}

static void test_too_large(void **state)
{
	size_t len = CONF_DOMAIN_MAX + 1;
	char *doc = malloc(len);
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct conf_domain *d;

	assert_non_null(doc);
	memset(doc, ' ', len);
	assert_int_equal(parse(doc, len, &m, &diag, &d), -EINVAL);
	assert_string_equal(m.text, "d.xml: document too large (more than 4 MiB)\n");
	free(doc);
}

/* Every proper prefix of libvirt's document is refused, saying why; none crashes. */
static void test_truncations(void **state)
{
	char *path = test_source_path("tests/data/libvirt/domain-qemu-metadata-start-begin.xml");
	char *doc = test_read_file(path);
	size_t len;

	assert_non_null(doc);
	len = strlen(doc);
	for (size_t n = 0; n < len; n++) {
		struct messages m = { { 0 } };
		struct conf_diag diag;
		struct conf_domain *d;

		if (parse(doc, n, &m, &diag, &d) != -EINVAL || d || diag.n_errors == 0)
			fail_msg("prefix of %zu bytes: not refused", n);
	}
	free(doc);
	free(path);
}

/* Bytes flipped at random in a real document: accepted or refused with a reason, nothing else. */
static void test_garbage(void **state)
{
	char *path = test_source_path("tests/data/libvirt/domain-qemu-metadata-start-begin.xml");
	char *doc = test_read_file(path);
	unsigned seed = 12345;
	size_t len;

	assert_non_null(doc);
	len = strlen(doc);
	for (int round = 0; round < 2000; round++) {
		char *copy = malloc(len);
		struct messages m = { { 0 } };
		struct conf_diag diag;
		struct conf_domain *d;
		int r;

		assert_non_null(copy);
		memcpy(copy, doc, len);
		for (int k = 0; k < 1 + round % 8; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] = (char)(seed >> 16);
		}
		r = parse(copy, len, &m, &diag, &d);
		if (r == 0)
			assert_non_null(d);
		else
			assert_true(r == -EINVAL && !d && diag.n_errors > 0);
		conf_domain_free(d);
		free(copy);
	}
	free(doc);
	free(path);
}

int main(void)
{
	struct CMUnitTest tests[64];
	size_t n = 0;

#define ADD(f) tests[n++] = (struct CMUnitTest)cmocka_unit_test(f)
	ADD(test_qemu_start_begin);
	ADD(test_qemu_no_target);
	ADD(test_every_sample);
	ADD(test_foreign_metadata);
	ADD(test_metadata_form);
	ADD(test_lxc_metadata_real);
	ADD(test_lxc_metadata_key_real);
	ADD(test_metadata_wins);
	ADD(test_metadata_prefix);
	ADD(test_mixed_interfaces);
	ADD(test_nothing_to_guard);
	ADD(test_every_error);
	ADD(test_limits);
	ADD(test_too_large);
	ADD(test_truncations);
	ADD(test_garbage);
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		assert_true(n < sizeof(tests) / sizeof(tests[0]));
		tests[n++] = (struct CMUnitTest){ .name = errors[i].name,
						  .test_func = run_error,
						  .initial_state = &errors[i] };
	}
	return _cmocka_run_group_tests("conf-domain", tests, n, NULL, NULL);
}

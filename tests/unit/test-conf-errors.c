/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every kind of diagnostic conf can give, with its exact text: one cmocka
 * test per table row. An error row must reject the document (no object, the
 * message among the diagnostics); a warning row must accept it and warn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

struct diag_case {
	const char *name;
	const char *doc; /* parsed as "t.xml" */
	const char *expect;
	bool is_warning;
};

#define F(body)     "<filter name='f'>\n" body "</filter>\n"
#define RULE(proto) F("<rule action='accept' direction='in'>\n" proto "\n</rule>\n")
#define E(n, d, m)             \
	{                      \
		n, d, m, false \
	}
#define W(n, d, m)            \
	{                     \
		n, d, m, true \
	}
#define NDTARGET_NEEDS_ND(v)                                                                 \
	"t.xml:3: <ipv6 ndtarget='" v "'>: ndtarget needs ICMPv6 type 135 or 136 (neighbor " \
	"solicitation or advertisement): add type='135' or type='136', and no other "        \
	"protocol than icmpv6"
#define BIND(body) "<filterbinding>\n" body "</filterbinding>\n"
#define OWNER      "<owner><name>vm</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>\n"
#define PORTDEV    "<portdev name='vnet0'/>\n"
#define MAC        "<mac address='52:54:00:7b:35:93'/>\n"
#define REF        "<filterref filter='clean-traffic'/>\n"

static struct diag_case cases[] = {
	/* documents */
	E("empty-document", "", "t.xml: empty document"),
	E("dtd", "<!DOCTYPE filter [<!ENTITY a 'x'>]>\n<filter name='&a;'/>\n",
	  "t.xml:1: <!DOCTYPE>: DTDs and entity declarations are not accepted"),
	E("wrong-root", "<domain/>\n",
	  "t.xml:1: <domain>: unknown document (accepted: <filter>, <filterbinding>, "
	  "<filterbindingstatus>)"),
	E("status-without-binding", "<filterbindingstatus>\n<x/>\n</filterbindingstatus>\n",
	  "t.xml:1: <filterbindingstatus>: no <filterbinding> inside"),
	E("status-bad-binding",
	  "<filterbindingstatus>\n" BIND(OWNER PORTDEV "<mac/>\n" REF) "</filterbindingstatus>\n",
	  "t.xml:5: <mac>: missing attribute 'address'"),
	/* <filter> */
	E("filter-missing-name", "<filter/>\n", "t.xml:1: <filter>: missing attribute 'name'"),
	E("filter-bad-name", "<filter name='a/b'/>\n",
	  "t.xml:1: <filter name='a/b'>: not a filter name (not empty, no '/' or control "
	  "characters)"),
	E("filter-bad-chain", "<filter name='f' chain='rooted'/>\n",
	  "t.xml:1: <filter chain='rooted'>: not a chain name (accepted: root, or up to 12 letters, "
	  "digits, _ . : - starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6)"),
	E("filter-bad-priority", "<filter name='f' chain='arp' priority='-1001'/>\n",
	  "t.xml:1: <filter priority='-1001'>: not a chain priority (an integer, -1000 to 1000)"),
	E("filter-bad-uuid", F("<uuid>12345</uuid>\n"),
	  "t.xml:2: <uuid>12345</uuid>: malformed UUID (accepted: 32 hex digits, optionally as "
	  "8-4-4-4-12)"),
	/* <rule> */
	E("rule-missing-action", F("<rule direction='in'/>\n"),
	  "t.xml:2: <rule>: missing attribute 'action' (accepted: drop, reject, accept, return, "
	  "continue)"),
	E("rule-unknown-action", F("<rule action='allow' direction='in'/>\n"),
	  "t.xml:2: <rule action='allow'>: unknown action (accepted: drop, reject, accept, return, "
	  "continue)"),
	E("rule-missing-direction", F("<rule action='drop'/>\n"),
	  "t.xml:2: <rule>: missing attribute 'direction' (accepted: in, out, inout)"),
	E("rule-unknown-direction", F("<rule action='drop' direction='up'/>\n"),
	  "t.xml:2: <rule direction='up'>: unknown direction (accepted: in, out, inout)"),
	E("rule-bad-priority", F("<rule action='drop' direction='in' priority='1.5'/>\n"),
	  "t.xml:2: <rule priority='1.5'>: not an integer (-1000 to 1000)"),
	/* values, one per type */
	E("value-port", RULE("<tcp dstportend='65536'/>"),
	  "t.xml:3: <tcp dstportend='65536'>: not a port number (0-65535)"),
	E("value-uint8", RULE("<icmp type='256'/>"),
	  "t.xml:3: <icmp type='256'>: not a number (0-255, decimal or hex)"),
	E("value-uint16", RULE("<arp hwtype='0x10000'/>"),
	  "t.xml:3: <arp hwtype='0x10000'>: not a number (0-65535, decimal or hex)"),
	E("value-uint32", RULE("<stp root-cost='4294967296'/>"),
	  "t.xml:3: <stp root-cost='4294967296'>: not a number (0-4294967295, decimal or hex)"),
	E("value-connlimit", RULE("<tcp connlimit-above='0x10'/>"),
	  "t.xml:3: <tcp connlimit-above='0x10'>: not a number (0-65535, decimal)"),
	E("value-dscp", RULE("<ip dscp='64'/>"),
	  "t.xml:3: <ip dscp='64'>: not a DSCP value (0-63, decimal or hex)"),
	E("value-vlanid", RULE("<vlan vlanid='0x1000'/>"),
	  "t.xml:3: <vlan vlanid='0x1000'>: not a VLAN id (0-4095, decimal or hex)"),
	E("value-mac", RULE("<mac srcmacaddr='1:2:3:4:5'/>"),
	  "t.xml:3: <mac srcmacaddr='1:2:3:4:5'>: not a MAC address (six hex octets, e.g. "
	  "52:54:00:12:34:56)"),
	E("value-macmask", RULE("<mac srcmacmask='ff'/>"),
	  "t.xml:3: <mac srcmacmask='ff'>: not a MAC mask (six hex octets, e.g. ff:ff:ff:00:00:00)"),
	E("value-macmask-holes", RULE("<mac dstmacmask='ff:0:ff:0:0:0'/>"),
	  "t.xml:3: <mac dstmacmask='ff:0:ff:0:0:0'>: not a contiguous MAC mask (ones then zeros, "
	  "e.g. ff:ff:ff:00:00:00)"),
	E("value-ipv4", RULE("<tcp srcipaddr='10.1.2'/>"),
	  "t.xml:3: <tcp srcipaddr='10.1.2'>: not an IPv4 address (dotted quad, e.g. 192.0.2.1)"),
	E("value-ipv4mask", RULE("<tcp srcipmask='33'/>"),
	  "t.xml:3: <tcp srcipmask='33'>: not an IPv4 mask (prefix length 0-32, or a dotted mask "
	  "like 255.255.255.0)"),
	E("value-ipv4mask-holes", RULE("<ip srcipmask='255.255.255.127'/>"),
	  "t.xml:3: <ip srcipmask='255.255.255.127'>: not a contiguous IPv4 mask (ones then zeros, "
	  "e.g. 255.255.255.0)"),
	E("value-ipv6", RULE("<udp-ipv6 srcipaddr='a:b:c'/>"),
	  "t.xml:3: <udp-ipv6 srcipaddr='a:b:c'>: not an IPv6 address (e.g. 2001:db8::1)"),
	E("value-ipv6mask", RULE("<all-ipv6 srcipmask='129'/>"),
	  "t.xml:3: <all-ipv6 srcipmask='129'>: not an IPv6 mask (prefix length 0-128, or a mask "
	  "like ffff:ffff::)"),
	E("value-ipv6mask-holes", RULE("<ipv6 dstipmask='ffff::ffff'/>"),
	  "t.xml:3: <ipv6 dstipmask='ffff::ffff'>: not a contiguous IPv6 mask (ones then zeros)"),
	E("value-ethertype", RULE("<mac protocolid='15'/>"),
	  "t.xml:3: <mac protocolid='15'>: not an EtherType (0x600-0xffff, decimal or hex, or arp, "
	  "rarp, ipv4, ipv6, vlan)"),
	E("value-encap", RULE("<vlan encap-protocol='0x3b'/>"),
	  "t.xml:3: <vlan encap-protocol='0x3b'>: not an EtherType (0x3c-0xffff, decimal or hex, "
	  "or arp, rarp, ipv4, ipv6, vlan)"),
	E("value-ipproto", RULE("<ip protocol='256'/>"),
	  "t.xml:3: <ip protocol='256'>: not an IP protocol (0-255, or tcp, udp, udplite, esp, ah, "
	  "icmp, igmp, sctp, icmpv6)"),
	E("value-arpopcode", RULE("<arp opcode='Ask'/>"),
	  "t.xml:3: <arp opcode='Ask'>: not an ARP opcode (0-65535, or Request, Reply, "
	  "Request_Reverse, Reply_Reverse, DRARP_Request, DRARP_Reply, DRARP_Error, InARP_Request, "
	  "ARP_NAK)"),
	E("value-state", RULE("<all state='NEW,OLD'/>"),
	  "t.xml:3: <all state='NEW,OLD'>: not a connection state (comma-separated NEW, "
	  "ESTABLISHED, RELATED, INVALID, or NONE)"),
	E("value-tcpflags", RULE("<tcp flags='SYN'/>"),
	  "t.xml:3: <tcp flags='SYN'>: not a TCP flags match (MASK/SET, each ALL, NONE or "
	  "comma-separated SYN, ACK, URG, PSH, FIN, RST)"),
	E("value-ipset", RULE("<all ipset='a/b'/>"),
	  "t.xml:3: <all ipset='a/b'>: not an ipset name (1-31 characters: letters, digits, space "
	  "and _ . : - +)"),
	E("value-ipsetflags", RULE("<all ipset='s' ipsetflags='src,dst,src,dst,src,dst,src'/>"),
	  "t.xml:3: <all ipsetflags='src,dst,src,dst,src,dst,src'>: not ipset flags (1-6 "
	  "comma-separated src or dst)"),
	/* variables */
	E("var-malformed", RULE("<tcp srcipaddr='$A-B'/>"),
	  "t.xml:3: <tcp srcipaddr='$A-B'>: malformed variable reference (accepted: $NAME, "
	  "$NAME[N], $NAME[@K]; names of letters, digits and _)"),
	E("var-iterator", RULE("<tcp srcipaddr='$A[@x]'/>"),
	  "t.xml:3: <tcp srcipaddr='$A[@x]'>: malformed iterator id (accepted: $NAME[@K] with K "
	  "0-1000)"),
	E("var-index", RULE("<tcp srcipaddr='$A[1'/>"),
	  "t.xml:3: <tcp srcipaddr='$A[1'>: malformed array index (accepted: $NAME[N] with N a "
	  "decimal number)"),
	E("var-iterator-max", RULE("<tcp srcipaddr='$A[@1001]'/>"),
	  "t.xml:3: <tcp srcipaddr='$A[@1001]'>: iterator id above the maximum of 1000"),
	/* rule-level checks */
	E("ports-need-protocol", RULE("<ip protocol='icmp' srcportstart='80'/>"),
	  "t.xml:3: <ip srcportstart='80'>: a port match needs protocol tcp, udp, sctp or 33 "
	  "(dccp)"),
	/* vifguard's ndtarget: only where the bytes after the ICMPv6 header are a target */
	E("ndtarget-needs-nd-type", RULE("<ipv6 protocol='icmpv6' type='134' ndtarget='fd00::1'/>"),
	  NDTARGET_NEEDS_ND("fd00::1")),
	E("ndtarget-needs-type", RULE("<ipv6 ndtarget='$IPV6'/>"), NDTARGET_NEEDS_ND("$IPV6")),
	E("ndtarget-not-udp", RULE("<ipv6 protocol='udp' type='136' ndtarget='fd00::1'/>"),
	  NDTARGET_NEEDS_ND("fd00::1")),
	E("ndtarget-not-ipv6", RULE("<ipv6 type='136' ndtarget='10.0.0.1'/>"),
	  "t.xml:3: <ipv6 ndtarget='10.0.0.1'>: not an IPv6 address (e.g. 2001:db8::1)"),
	E("filterref-missing-filter", F("<filterref/>\n"),
	  "t.xml:2: <filterref>: missing attribute 'filter'"),
	/* <filterbinding> */
	E("binding-missing-owner", BIND(PORTDEV MAC REF),
	  "t.xml:1: <filterbinding>: missing <owner>"),
	E("binding-missing-portdev", BIND(OWNER MAC REF),
	  "t.xml:1: <filterbinding>: missing <portdev name=...>"),
	E("binding-missing-mac", BIND(OWNER PORTDEV REF),
	  "t.xml:1: <filterbinding>: missing <mac address=...>"),
	E("binding-missing-filterref", BIND(OWNER PORTDEV MAC),
	  "t.xml:1: <filterbinding>: missing <filterref filter=...>"),
	E("binding-owner-name",
	  BIND("<owner><uuid>d54df46f1ab54a2286184560ef5fac2c</uuid></owner>\n" PORTDEV MAC REF),
	  "t.xml:2: <owner>: missing <name>"),
	E("binding-owner-uuid", BIND("<owner><name>vm</name></owner>\n" PORTDEV MAC REF),
	  "t.xml:2: <owner>: missing <uuid>"),
	E("binding-owner-bad-uuid",
	  BIND("<owner><name>vm</name><uuid>xyz</uuid></owner>\n" PORTDEV MAC REF),
	  "t.xml:2: <uuid>xyz</uuid>: malformed UUID (accepted: 32 hex digits, optionally as "
	  "8-4-4-4-12)"),
	E("binding-attr-missing", BIND(OWNER "<portdev/>\n" MAC REF),
	  "t.xml:3: <portdev>: missing attribute 'name'"),
	E("binding-mac-missing-address", BIND(OWNER PORTDEV "<mac/>\n" REF),
	  "t.xml:4: <mac>: missing attribute 'address'"),
	E("binding-bad-mac", BIND(OWNER PORTDEV "<mac address='52:54:00'/>\n" REF),
	  "t.xml:4: <mac address='52:54:00'>: not a MAC address (six hex octets, e.g. "
	  "52:54:00:12:34:56)"),
	/* warnings: libvirt accepts these silently */
	W("warn-unknown-attribute", RULE("<tcp srcporttend='24'/>"),
	  "t.xml:3: <tcp srcporttend='24'>: unknown attribute, ignored"),
	/* errors though libvirt ignores them: ignored, they leave a rule matching more than was
	 * written (a typo in an accept rule would accept everything) */
	E("unknown-rule-element", RULE("<tpc dstportstart='22'/>"),
	  "t.xml:3: <tpc>: unknown element in <rule> (a protocol such as mac, arp, ip, ipv6, "
	  "tcp, udp, icmp, all)"),
	E("other-protocol", RULE("<tcp/><udp/>"),
	  "t.xml:3: <udp>: the rule already matches tcp: one protocol element per rule"),
	W("warn-unknown-filter-element", F("<bar/>\n"),
	  "t.xml:2: <bar>: unknown element in <filter>, ignored"),
	W("warn-unknown-filter-attribute", "<filter name='f' color='red'/>\n",
	  "t.xml:1: <filter color='red'>: unknown attribute, ignored"),
	W("warn-second-uuid",
	  F("<uuid>d54df46f1ab54a2286184560ef5fac2c</uuid>\n<uuid>d54df46f1ab54a2286184560ef5fac2d</uuid>\n"),
	  "t.xml:3: <uuid>: more than one <uuid>, ignored"),
	W("warn-rule-priority-range", F("<rule action='drop' direction='in' priority='1001'/>\n"),
	  "t.xml:2: <rule priority='1001'>: out of range (-1000 to 1000), using 500"),
	W("warn-chain-priority-without-chain", "<filter name='f' priority='10'/>\n",
	  "t.xml:1: <filter priority='10'>: ignored without a chain attribute"),
	W("warn-statematch", F("<rule action='drop' direction='in' statematch='no'/>\n"),
	  "t.xml:2: <rule statematch='no'>: ignored (accepted: false or 0 to turn off)"),
	W("warn-match", RULE("<tcp match='never'/>"),
	  "t.xml:3: <tcp match='never'>: taken as 'yes' (accepted: yes, no)"),
	W("warn-boolean", RULE("<arp gratuitous='sure'/>"),
	  "t.xml:3: <arp gratuitous='sure'>: not a boolean, taken as false (accepted: true, 1, yes, "
	  "false, 0, no)"),
	W("warn-ipsetflags-alone", RULE("<all ipsetflags='src'/>"),
	  "t.xml:3: <all ipsetflags='src'>: ipsetflags without ipset, ignored"),
	W("warn-var-trailing", RULE("<tcp srcipaddr='$A[1]x'/>"),
	  "t.xml:3: <tcp srcipaddr='$A[1]x'>: text after ']' ignored"),
	W("warn-param-missing", F("<filterref filter='x'>\n<parameter name='A'/>\n</filterref>\n"),
	  "t.xml:3: <parameter>: missing attribute 'value', parameter ignored"),
	W("warn-param-name",
	  F("<filterref filter='x'>\n<parameter name='A-B' value='1'/>\n</filterref>\n"),
	  "t.xml:3: <parameter name='A-B'>: not a variable name, parameter ignored (accepted: "
	  "letters, digits, _)"),
	W("warn-param-value",
	  F("<filterref filter='x'>\n<parameter name='A' value='1.2.3.0/24'/>\n</filterref>\n"),
	  "t.xml:3: <parameter value='1.2.3.0/24'>: not a parameter value, parameter ignored "
	  "(accepted: letters, digits, _ . :)"),
	W("warn-filterref-element", F("<filterref filter='x'>\n<param/>\n</filterref>\n"),
	  "t.xml:3: <param>: unknown element in <filterref>, ignored"),
	W("warn-binding-element", BIND(OWNER PORTDEV MAC REF "<backend name='nft'/>\n"),
	  "t.xml:6: <backend>: unknown element in <filterbinding>, ignored"),
	W("warn-binding-duplicate", BIND(OWNER PORTDEV PORTDEV MAC REF),
	  "t.xml:4: <portdev>: more than one <portdev>, ignored"),
};

struct messages {
	char text[8192];
};

static void collect(void *userdata, const struct conf_message *dm)
{
	struct messages *m = userdata;
	size_t len = strlen(m->text);

	snprintf(m->text + len, sizeof(m->text) - len, "%s\n", dm->text);
}

/* Parses doc; returns the diagnostics, one per line. */
static int parse(const char *doc, size_t len, struct messages *m, struct conf_diag *diag,
		 struct filter **f, struct binding **b)
{
	enum conf_doc_kind kind;

	*diag = (struct conf_diag){ .report = collect, .userdata = m };
	return conf_parse_mem(doc, len, "t.xml", diag, &kind, f, b);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void run_case(void **state)
{
	const struct diag_case *c = *state;
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct filter *f = NULL;
	struct binding *b = NULL;
	int r = parse(c->doc, strlen(c->doc), &m, &diag, &f, &b);

	if (!has_line(m.text, c->expect))
		fail_msg("expected:\n%s\ngot:\n%s", c->expect, m.text);
	if (c->is_warning) {
		assert_int_equal(r, 0);
		assert_int_equal(diag.n_errors, 0);
		assert_true(diag.n_warnings > 0);
		assert_true(f || b);
	} else {
		assert_int_equal(r, -EINVAL);
		assert_null(f);
		assert_null(b);
		assert_true(diag.n_errors > 0);
		assert_string_equal(diag.first_error.msg, strtok(m.text, "\n"));
	}
	filter_free(f);
	binding_free(b);
}

static void test_xml_syntax(void **state)
{
	static const char doc[] = "<filter name='f'>\n<rule>\n</filter>\n";
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct filter *f = NULL;
	struct binding *b = NULL;

	assert_int_equal(parse(doc, strlen(doc), &m, &diag, &f, &b), -EINVAL);
	/* The sentence after the prefix is libxml2's own. */
	assert_non_null(strstr(m.text, "t.xml:3: not well-formed XML: Opening and ending tag "
				       "mismatch: rule line 2 and filter\n"));
	assert_null(f);
}

static void test_too_large(void **state)
{
	size_t len = 1024 * 1024 + 1;
	char *doc = malloc(len);
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct filter *f = NULL;
	struct binding *b = NULL;

	assert_non_null(doc);
	memset(doc, ' ', len);
	assert_int_equal(parse(doc, len, &m, &diag, &f, &b), -EINVAL);
	assert_string_equal(m.text, "t.xml: document too large (more than 1 MiB)\n");
	free(doc);
}

static void test_every_error_reported(void **state)
{
	/* Errors in several rules: all reported, in document order, and nothing returned. */
	static const char doc[] =
		F("<rule action='x' direction='in'/>\n"
		  "<rule action='drop' direction='in'><tcp dscp='99'/></rule>\n"
		  "<rule action='drop' direction='in'><ip srcportstart='1'/></rule>\n");
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct filter *f = NULL;
	struct binding *b = NULL;

	assert_int_equal(parse(doc, strlen(doc), &m, &diag, &f, &b), -EINVAL);
	assert_int_equal(diag.n_errors, 3);
	assert_string_equal(m.text,
			    "t.xml:2: <rule action='x'>: unknown action (accepted: drop, reject, "
			    "accept, return, continue)\n"
			    "t.xml:3: <tcp dscp='99'>: not a DSCP value (0-63, decimal or hex)\n"
			    "t.xml:4: <ip srcportstart='1'>: a port match needs protocol tcp, udp, "
			    "sctp or 33 (dccp)\n");
	assert_null(f);
}

static void test_file_errors(void **state)
{
	struct messages m = { { 0 } };
	struct conf_diag diag = { .report = collect, .userdata = &m };
	struct filter *f = NULL;

	assert_int_equal(conf_filter_parse_file("/nonexistent/f.xml", &diag, &f), -ENOENT);
	assert_string_equal(m.text, "/nonexistent/f.xml: cannot open: No such file or directory\n");
	assert_null(f);
}

static void test_filter_file_wants_filter(void **state)
{
	char path[] = "/tmp/test-conf-errors-XXXXXX";
	int fd = mkstemp(path);
	static const char doc[] = BIND(OWNER PORTDEV MAC REF);
	struct messages m = { { 0 } };
	struct conf_diag diag = { .report = collect, .userdata = &m };
	struct filter *f = NULL;
	char expect[256];

	assert_true(fd >= 0);
	assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
	close(fd);
	assert_int_equal(conf_filter_parse_file(path, &diag, &f), -EINVAL);
	snprintf(expect, sizeof(expect),
		 "%s: expected a <filter> document, found <filterbinding>\n", path);
	assert_string_equal(m.text, expect);
	unlink(path);
}

static void test_long_value_shown_short(void **state)
{
	/* Messages quote at most 64 bytes of a value and escape control characters. */
	static const char doc[] =
		RULE("<tcp srcipaddr='&#9;0123456789012345678901234567890123456789"
		     "01234567890123456789012345678'/>");
	struct messages m = { { 0 } };
	struct conf_diag diag;
	struct filter *f = NULL;
	struct binding *b = NULL;

	assert_int_equal(parse(doc, strlen(doc), &m, &diag, &f, &b), -EINVAL);
	assert_string_equal(m.text, "t.xml:3: <tcp srcipaddr='\\x09012345678901234567890123456789"
				    "012345678901234567890123456789012...'>: not an IPv4 address "
				    "(dotted quad, e.g. 192.0.2.1)\n");
}

static void test_no_diag(void **state)
{
	/* diag may be NULL: the result alone says rejected. */
	enum conf_doc_kind kind;
	struct filter *f = NULL;
	struct binding *b = NULL;

	assert_int_equal(conf_parse_mem("<x/>", 4, "t.xml", NULL, &kind, &f, &b), -EINVAL);
	assert_int_equal(conf_parse_mem("<filter name='f'/>", 18, NULL, NULL, &kind, &f, &b), 0);
	assert_int_equal(kind, CONF_DOC_FILTER);
	assert_non_null(f);
	assert_null(b);
	filter_free(f);
	f = NULL;
	/* libvirt's binding state file: the binding inside its wrapper */
	static const char status[] =
		"<filterbindingstatus>\n" BIND(OWNER PORTDEV MAC REF) "</filterbindingstatus>\n";
	assert_int_equal(conf_parse_mem(status, sizeof(status) - 1, NULL, NULL, &kind, &f, &b), 0);
	assert_int_equal(kind, CONF_DOC_BINDING);
	assert_non_null(b);
	assert_string_equal(b->portdev, "vnet0");
	binding_free(b);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_xml_syntax),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_every_error_reported),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_filter_file_wants_filter),
		cmocka_unit_test(test_long_value_shown_short),
		cmocka_unit_test(test_no_diag),
	};
	size_t n_cases = sizeof(cases) / sizeof(cases[0]),
	       n = n_cases + sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int r;

	for (size_t i = 0; i < n_cases; i++)
		tests[i] = (struct CMUnitTest){ .name = cases[i].name,
						.test_func = run_case,
						.initial_state = &cases[i] };
	memcpy(&tests[n_cases], fixed, sizeof(fixed));
	r = _cmocka_run_group_tests("conf-errors", tests, n, NULL, NULL);
	free(tests);
	return r;
}

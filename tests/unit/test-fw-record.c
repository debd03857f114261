/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fw/record.c: the port record's text form (round trip, records as older
 * versions wrote them, rejects) and the choice of a free port id; and
 * fw/listing.c, which reads the kernel's side of them (presence, owner,
 * ids in use) from nft's JSON listings, on listings captured from nft 1.0.6.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw/listing.h"
#include "fw/record.h"
#include "util/cleanup.h"

static void assert_same_record(const struct fw_record *a, const struct fw_record *b)
{
	assert_string_equal(a->port, b->port);
	assert_int_equal(a->attach, b->attach);
	assert_int_equal(a->port_id, b->port_id);
	assert_string_equal(a->template_id, b->template_id);
	assert_string_equal(a->elements_del, b->elements_del);
	assert_string_equal(a->template_del, b->template_del);
	if (a->prepared_id)
		assert_string_equal(a->prepared_id, b->prepared_id);
	else
		assert_null(b->prepared_id);
}

static void round_trip(const struct fw_record *rec)
{
	_cleanup_(fw_record_freep) struct fw_record *back = NULL;
	_cleanup_free_ char *text = fw_record_format(rec), *again = NULL;
	struct err err = { 0 };

	assert_non_null(text);
	assert_int_equal(fw_record_parse(text, &back, &err), 0);
	assert_same_record(rec, back);
	again = fw_record_format(back);
	assert_string_equal(text, again);
}

static void test_round_trip(void **state)
{
	const struct fw_record bridge = {
		.port = (char *)"vnet0",
		.attach = FW_ATTACH_BRIDGE,
		.port_id = 65535,
		.template_id = (char *)"t0123456789abcdef",
		.elements_del = (char *)"delete element bridge vifguard out-ports { \"vnet0\" }\n"
					"delete element bridge vifguard in-ports { \"vnet0\" }\n",
		.template_del = (char *)"flush chain bridge vifguard t0123456789abcdef-o\n"
					"delete chain bridge vifguard t0123456789abcdef-o\n",
	};
	const struct fw_record netdev = {
		.port = (char *)"macvtap0",
		.attach = FW_ATTACH_NETDEV,
		.template_id = (char *)"learn-any",
		.elements_del = (char *)"delete chain netdev vifguard po-macvtap0\n",
		.template_del = (char *)"",
	};
	/* a blocked or learning port has no template text; empty elements must survive too */
	const struct fw_record empty = {
		.port = (char *)"a",
		.template_id = (char *)"blocked",
		.elements_del = (char *)"",
		.template_del = (char *)"",
	};

	/* a learning port that made the template of its rules once learned ahead */
	const struct fw_record prepared = {
		.port = (char *)"vnet1",
		.template_id = (char *)"learn-any",
		.prepared_id = (char *)"t0123456789abcdef",
		.elements_del = (char *)"delete element bridge vifguard out-ports { \"vnet1\" }\n",
		.template_del = (char *)"delete chain bridge vifguard t0123456789abcdef-o\n",
	};

	round_trip(&bridge);
	round_trip(&netdev);
	round_trip(&empty);
	round_trip(&prepared);
	assert_string_equal(fw_record_template(&prepared), "t0123456789abcdef");
	assert_string_equal(fw_record_template(&bridge), "t0123456789abcdef");
}

/* The text as the daemon stored it before record.c existed: it must still be read. */
static void test_parse_stored(void **state)
{
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;
	struct err err = { 0 };

	assert_int_equal(fw_record_parse("# vifguard port record 1\n"
					 "port vnet7\n"
					 "id 12\n"
					 "template t00000000000000ff\n"
					 "# elements\n"
					 "delete element bridge vifguard out-ports { \"vnet7\" }\n"
					 "# template\n"
					 "delete chain bridge vifguard t00000000000000ff-o\n",
					 &rec, &err),
			 0);
	assert_string_equal(rec->port, "vnet7");
	assert_int_equal(rec->port_id, 12);
	assert_int_equal(rec->attach, FW_ATTACH_BRIDGE);
	assert_string_equal(rec->template_id, "t00000000000000ff");
	assert_string_equal(rec->elements_del,
			    "delete element bridge vifguard out-ports { \"vnet7\" }\n");
	assert_string_equal(rec->template_del,
			    "delete chain bridge vifguard t00000000000000ff-o\n");
}

static void test_parse_rejects(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "not a vifguard port record" },
		{ "# vifguard port record 2\nport a\nid 1\ntemplate t\n# elements\n# template\n",
		  "not a vifguard port record" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\n",
		  "port record without elements or template" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\n# elements\nx\n",
		  "port record without elements or template" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\n# template\n# elements\n",
		  "port record without elements or template" },
		{ "# vifguard port record 1\nport a\ntemplate t\n# elements\n# template\n",
		  "incomplete port record (port, id or template missing)" },
		{ "# vifguard port record 1\nid 1\ntemplate t\n# elements\n# template\n",
		  "incomplete port record (port, id or template missing)" },
		{ "# vifguard port record 1\nport a\nid 1\n# elements\n# template\n",
		  "incomplete port record (port, id or template missing)" },
		{ "# vifguard port record 1\nport a\nid 65536\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '65536'" },
		{ "# vifguard port record 1\nport a\nid -1\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '-1'" },
		{ "# vifguard port record 1\nport a\nid 1x\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '1x'" },
		{ "# vifguard port record 1\nport a\nid 1\nid 2\ntemplate t\n# elements\n# template\n",
		  "port record with a bad id '2'" },
		{ "# vifguard port record 1\nport a\nport b\nid 1\ntemplate t\n# elements\n# "
		  "template\n",
		  "port record with a repeated 'port' line" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\nattach tap\n# elements\n# "
		  "template\n",
		  "port record with an unknown attachment 'tap'" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\nowner x\n# elements\n# "
		  "template\n",
		  "port record with an unknown line 'owner'" },
		{ "# vifguard port record 1\nport\nid 1\ntemplate t\n# elements\n# template\n",
		  "port record with a bad line 'port'" },
		{ "# vifguard port record 1\nport \nid 1\ntemplate t\n# elements\n# template\n",
		  "port record with a bad line 'port '" },
		{ "# vifguard port record 1\nport a\nid 1\ntemplate t\nprepared t1\nprepared t2\n"
		  "# elements\n# template\n",
		  "port record with a repeated 'prepared' line" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fw_record *rec = NULL;
		struct err err = { 0 };

		assert_int_equal(fw_record_parse(bad[i].text, &rec, &err), -EINVAL);
		assert_null(rec);
		assert_string_equal(err.msg, bad[i].why);
	}
}

static void test_record_new(void **state)
{
	struct fw_port p = {
		.port = (char *)"vnet3",
		.attach = FW_ATTACH_BRIDGE,
		.port_id = 9,
		.template_id = (char *)"t1",
		.template_del = (char *)"T",
		.elements_del = (char *)"E",
	};
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;

	/* without stateful rules the id is in no kernel map: the record says 0 */
	assert_int_equal(fw_record_new(&p, &rec), 0);
	assert_int_equal(rec->port_id, 0);
	rec = fw_record_free(rec);
	p.needs_inet = true;
	assert_int_equal(fw_record_new(&p, &rec), 0);
	assert_int_equal(rec->port_id, 9);
	assert_string_equal(rec->elements_del, "E");
	assert_null(rec->prepared_id);
	rec = fw_record_free(rec);
	p.prepared_id = (char *)"t2";
	assert_int_equal(fw_record_new(&p, &rec), 0);
	assert_string_equal(rec->prepared_id, "t2");
	assert_string_equal(fw_record_template(rec), "t2");
}

static void test_ids_pick(void **state)
{
	_cleanup_free_ struct fw_port_ids *used = calloc(1, sizeof(*used));

	assert_non_null(used);
	assert_int_equal(fw_port_ids_pick(used, 0), 1);
	assert_int_equal(fw_port_ids_pick(used, 77), 77);
	assert_int_equal(fw_port_ids_pick(used, FW_PORT_ID_MAX), FW_PORT_ID_MAX);
	assert_int_equal(fw_port_ids_pick(used, FW_PORT_ID_MAX + 1), 1);
	fw_port_ids_add(used, 0);
	fw_port_ids_add(used, FW_PORT_ID_MAX + 1);
	assert_false(fw_port_ids_has(used, 0));
	assert_false(fw_port_ids_has(used, FW_PORT_ID_MAX + 1));
	for (unsigned id = 1; id <= 15; id++)
		fw_port_ids_add(used, id);
	assert_true(fw_port_ids_has(used, 15));
	assert_int_equal(fw_port_ids_pick(used, 0), 16);
	/* a wanted id in use: the smallest free one instead */
	assert_int_equal(fw_port_ids_pick(used, 3), 16);
	fw_port_ids_add(used, 17);
	assert_int_equal(fw_port_ids_pick(used, 17), 16);
	for (unsigned id = 1; id <= FW_PORT_ID_MAX; id++)
		if (id != 40000)
			fw_port_ids_add(used, id);
	assert_int_equal(fw_port_ids_pick(used, 5), 40000);
	fw_port_ids_add(used, 40000);
	assert_int_equal(fw_port_ids_pick(used, 0), 0);
	assert_int_equal(fw_port_ids_pick(used, 40000), 0);
}

#define META                                                                              \
	"{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Lester Gooch #5\", " \
	"\"json_schema_version\": 1}}"

/* nft -j list map bridge vifguard out-ports */
static const char out_ports[] =
	"{\"nftables\": [" META ", {\"map\": {\"family\": \"bridge\", \"name\": \"out-ports\", "
	"\"table\": \"vifguard\", \"type\": \"ifname\", \"handle\": 1, \"map\": \"verdict\", "
	"\"elem\": [[\"vnet1\", {\"jump\": {\"target\": \"t0123456789abcdef-o\"}}], "
	"[\"vnet2\", {\"drop\": null}], [\"vnet3\", {\"goto\": {\"target\": \"learn-any-o\"}}]]}}]}\n";

/* nft -j list chain netdev vifguard po-vnet1: a macvtap's egress hook chain */
static const char hook_chain[] =
	"{\"nftables\": [" META ", {\"chain\": {\"family\": \"netdev\", \"table\": \"vifguard\", "
	"\"name\": \"po-vnet1\", \"handle\": 2, \"type\": \"filter\", \"hook\": \"egress\", "
	"\"prio\": -300, \"policy\": \"accept\"}}, {\"rule\": {\"family\": \"netdev\", \"table\": "
	"\"vifguard\", \"chain\": \"po-vnet1\", \"handle\": 5, \"expr\": [{\"match\": {\"op\": "
	"\"==\", \"left\": {\"meta\": {\"key\": \"oifname\"}}, \"right\": \"@snoop-ports\"}}, "
	"{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"field\": "
	"\"dport\"}}, \"right\": 67}}, {\"jump\": {\"target\": \"log-o\"}}]}}, {\"rule\": "
	"{\"family\": \"netdev\", \"table\": \"vifguard\", \"chain\": \"po-vnet1\", \"handle\": 6, "
	"\"expr\": [{\"jump\": {\"target\": \"t0123456789abcdef-o\"}}]}}]}\n";

/* nft -j list set bridge vifguard ctl-ports, one element with a comment */
static const char ctl_ports[] =
	"{\"nftables\": [" META ", {\"set\": {\"family\": \"bridge\", \"name\": \"ctl-ports\", "
	"\"table\": \"vifguard\", \"type\": \"ifname\", \"handle\": 2, \"elem\": [\"vnet2\", "
	"{\"elem\": {\"val\": \"vnet1\", \"comment\": \"x\"}}]}}]}\n";

/* nft -j list set bridge vifguard rate-o: elements with timeouts */
static const char rate_o[] =
	"{\"nftables\": [" META ", {\"set\": {\"family\": \"bridge\", \"name\": \"rate-o\", "
	"\"table\": \"vifguard\", \"type\": \"ifname\", \"handle\": 1, \"size\": 65535, \"flags\": "
	"[\"timeout\"], \"timeout\": 60, \"elem\": [{\"elem\": {\"val\": \"vnet1\", \"timeout\": 30, "
	"\"expires\": 29}}, {\"elem\": {\"val\": \"vnet2\", \"expires\": 59}}]}}]}\n";

/* an empty set has no "elem" */
static const char empty_set[] =
	"{\"nftables\": [" META ", {\"set\": {\"family\": \"bridge\", \"name\": \"ctl-ports\", "
	"\"table\": \"vifguard\", \"type\": \"ifname\", \"handle\": 2}}]}\n";

/* nft -j list map bridge vifguard l3-in-ids */
static const char l3_in_ids[] =
	"{\"nftables\": [" META ", {\"map\": {\"family\": \"bridge\", \"name\": \"l3-in-ids\", "
	"\"table\": \"vifguard\", \"type\": \"ifname\", \"handle\": 3, \"map\": \"mark\", \"elem\": "
	"[[\"vnet1\", 65536], [\"vnet3\", 4294901760], [\"vnet4\", \"0x00070000\"]]}}]}\n";

/* nft -j list chains bridge: a table of someone else's holds a chain named like a template */
static const char chains[] =
	"{\"nftables\": [" META ", {\"chain\": {\"family\": \"bridge\", \"table\": \"vifguard\", "
	"\"name\": \"t0123456789abcdef-o\", \"handle\": 4}}, {\"chain\": {\"family\": \"bridge\", "
	"\"table\": \"vifguard\", \"name\": \"t0123456789abcdef-i\", \"handle\": 5}}, {\"chain\": "
	"{\"family\": \"bridge\", \"table\": \"vifguard\", \"name\": \"prerouting\", \"handle\": 6, "
	"\"type\": \"filter\", \"hook\": \"prerouting\", \"prio\": -300, \"policy\": \"accept\"}}, "
	"{\"chain\": {\"family\": \"bridge\", \"table\": \"other\", \"name\": "
	"\"tffffffffffffffff-o\", \"handle\": 1}}]}\n";

/* nft -j list chain bridge vifguard log-o */
static const char log_o[] =
	"{\"nftables\": [" META ", {\"chain\": {\"family\": \"bridge\", \"table\": \"vifguard\", "
	"\"name\": \"log-o\", \"handle\": 5}}, {\"rule\": {\"family\": \"bridge\", \"table\": "
	"\"vifguard\", \"chain\": \"log-o\", \"handle\": 6, \"expr\": [{\"log\": {\"prefix\": "
	"\"vg-o\", \"group\": 3710, \"queue-threshold\": 1}}]}}]}\n";

static struct fw_listing *parse(const char *json)
{
	struct fw_listing *l = NULL;

	assert_int_equal(fw_listing_parse(json, &l), 0);
	assert_non_null(l);
	return l;
}

static void test_listing_map_verdict(void **state)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = parse(out_ports);
	char v[64], tiny[8];

	assert_int_equal(fw_listing_map_verdict(l, "out-ports", "vnet1", v, sizeof(v)), 1);
	assert_string_equal(v, "jump t0123456789abcdef-o");
	assert_int_equal(fw_listing_map_verdict(l, "out-ports", "vnet2", v, sizeof(v)), 1);
	assert_string_equal(v, "drop");
	assert_int_equal(fw_listing_map_verdict(l, "out-ports", "vnet3", v, sizeof(v)), 1);
	assert_string_equal(v, "goto learn-any-o");
	/* a prefix of a port is another port */
	assert_int_equal(fw_listing_map_verdict(l, "out-ports", "vnet", v, sizeof(v)), 0);
	assert_int_equal(fw_listing_map_verdict(l, "in-ports", "vnet1", v, sizeof(v)), 0);
	assert_int_equal(fw_listing_map_verdict(l, "out-ports", "vnet1", tiny, sizeof(tiny)),
			 -ENOSPC);
	/* the map's elements are not a set's keys alone */
	assert_int_equal(fw_listing_has_key(l, "out-ports", "vnet2"), 1);
}

/* nft 1.0.6's own listing of the drops set (a counter per element) and of addr6 */
static const char drops_set[] =
	"{\"nftables\": [" META ", {\"set\": {\"family\": \"bridge\", \"name\": \"drops\", "
	"\"table\": \"vifguard\", \"type\": [\"ifname\", \"mark\"], \"handle\": 9, \"size\": "
	"262144, \"flags\": [\"dynamic\"], \"elem\": [{\"elem\": {\"val\": {\"concat\": [\"vnet1\", "
	"3]}, \"counter\": {\"packets\": 7, \"bytes\": 350}}}, {\"elem\": {\"val\": {\"concat\": "
	"[\"vnet2\", 8]}, \"counter\": {\"packets\": 1, \"bytes\": 60}}}], \"stmt\": "
	"[{\"counter\": null}]}}]}\n";
static const char addr6_set[] =
	"{\"nftables\": [" META ", {\"set\": {\"family\": \"bridge\", \"name\": \"addr6\", "
	"\"table\": \"vifguard\", \"type\": [\"ifname\", \"ipv6_addr\"], \"handle\": 1, \"size\": "
	"65535, \"flags\": [\"timeout\"], \"elem\": [{\"elem\": {\"val\": {\"concat\": [\"vnet1\", "
	"\"fe80::1\"]}, \"timeout\": 60, \"expires\": 59}}]}}]}\n";

struct seen_counts {
	char text[256];
	size_t len;
};

static void note_count(const char *name, uint64_t number, uint64_t packets, uint64_t bytes,
		       void *userdata)
{
	struct seen_counts *s = userdata;

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s/%llu/%llu/%llu ",
				   name, (unsigned long long)number, (unsigned long long)packets,
				   (unsigned long long)bytes);
}

static void note_pair(const char *a, const char *b, void *userdata)
{
	note_count(a, 0, 0, 0, userdata);
	note_count(b, 0, 0, 0, userdata);
}

static void test_listing_counters_and_pairs(void **state)
{
	_cleanup_(fw_listing_freep) struct fw_listing *drops = parse(drops_set);
	_cleanup_(fw_listing_freep) struct fw_listing *addr6 = parse(addr6_set);
	struct seen_counts seen = { 0 };

	(void)state;
	assert_int_equal(fw_listing_for_each_counter(drops, "drops", note_count, &seen), 2);
	assert_string_equal(seen.text, "vnet1/3/7/350 vnet2/8/1/60 ");
	seen = (struct seen_counts){ 0 };
	assert_int_equal(fw_listing_for_each_pair(addr6, "addr6", note_pair, &seen), 1);
	assert_string_equal(seen.text, "vnet1/0/0/0 fe80::1/0/0/0 ");
	/* each in the other's form: refused, not misread */
	assert_int_equal(fw_listing_for_each_counter(addr6, "addr6", note_count, &seen), -EINVAL);
	assert_int_equal(fw_listing_for_each_pair(drops, "drops", note_pair, &seen), -EINVAL);
	/* no such set: nothing */
	assert_int_equal(fw_listing_for_each_counter(drops, "other", note_count, &seen), 0);
}

static void test_listing_chain_verdict(void **state)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = parse(hook_chain);
	char v[64];

	/* the last rule is the dispatch; the snoop rule's jump before it is not */
	assert_int_equal(fw_listing_chain_verdict(l, "po-vnet1", v, sizeof(v)), 1);
	assert_string_equal(v, "jump t0123456789abcdef-o");
	assert_int_equal(fw_listing_chain_verdict(l, "pi-vnet1", v, sizeof(v)), 0);
	assert_int_equal(fw_listing_log_group(l, "po-vnet1", &(unsigned){ 0 }), 0);
}

static void test_listing_has_key(void **state)
{
	_cleanup_(fw_listing_freep) struct fw_listing *ctl = parse(ctl_ports);
	_cleanup_(fw_listing_freep) struct fw_listing *rate = parse(rate_o);
	_cleanup_(fw_listing_freep) struct fw_listing *empty = parse(empty_set);

	assert_int_equal(fw_listing_has_key(ctl, "ctl-ports", "vnet1"), 1);
	assert_int_equal(fw_listing_has_key(ctl, "ctl-ports", "vnet2"), 1);
	assert_int_equal(fw_listing_has_key(ctl, "ctl-ports", "vnet3"), 0);
	assert_int_equal(fw_listing_has_key(ctl, "snoop-ports", "vnet1"), 0);
	assert_int_equal(fw_listing_has_key(rate, "rate-o", "vnet1"), 1);
	assert_int_equal(fw_listing_has_key(rate, "rate-o", "vnet2"), 1);
	assert_int_equal(fw_listing_has_key(empty, "ctl-ports", "vnet1"), 0);
}

static void test_listing_mark_ids(void **state)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = parse(l3_in_ids);
	_cleanup_(fw_listing_freep) struct fw_listing *empty = parse(empty_set);
	_cleanup_free_ struct fw_port_ids *ids = calloc(1, sizeof(*ids));
	unsigned own = 99;

	assert_non_null(ids);
	assert_int_equal(fw_listing_mark_ids(l, "l3-in-ids", "vnet1", ids, &own), 2);
	assert_int_equal(own, 1);
	assert_false(fw_port_ids_has(ids, 1));
	assert_true(fw_port_ids_has(ids, 65535));
	assert_true(fw_port_ids_has(ids, 7));
	assert_int_equal(fw_port_ids_pick(ids, 0), 1);
	assert_int_equal(fw_listing_mark_ids(l, "l3-in-ids", "vnet9", ids, &own), 3);
	assert_int_equal(own, 0);
	assert_int_equal(fw_port_ids_pick(ids, 0), 2);
	assert_int_equal(fw_listing_mark_ids(empty, "l3-in-ids", NULL, ids, NULL), 0);
}

static void count_chain(const char *name, void *userdata)
{
	assert_true(strcmp(name, "tffffffffffffffff-o") != 0);
	++*(unsigned *)userdata;
}

static void test_listing_chains_and_log(void **state)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = parse(chains);
	_cleanup_(fw_listing_freep) struct fw_listing *log = parse(log_o);
	unsigned n = 0, group = 0;

	assert_int_equal(fw_listing_for_each_chain(l, count_chain, &n), 3);
	assert_int_equal(n, 3);
	assert_int_equal(fw_listing_log_group(log, "log-o", &group), 1);
	assert_int_equal(group, 3710);
	assert_int_equal(fw_listing_log_group(log, "log-i", &group), 0);
}

static void test_listing_rejects(void **state)
{
	static const char *const bad[] = {
		"",
		"{}",
		"[1]",
		"{\"nftables\": {}}",
		"{\"nftables\": []} x",
		"{\"nftables\": [",
		"table bridge vifguard {\n\tmap out-ports {\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fw_listing *l = NULL;

		assert_int_equal(fw_listing_parse(bad[i], &l), -EINVAL);
		assert_null(l);
	}
	/* a malformed mark is an error, not an id */
	{
		_cleanup_(fw_listing_freep) struct fw_listing *l =
			parse("{\"nftables\": [{\"map\": {\"table\": \"vifguard\", \"name\": "
			      "\"l3-in-ids\", \"elem\": [[\"vnet1\", \"many\"]]}}]}");
		struct fw_port_ids ids = { 0 };

		assert_int_equal(fw_listing_mark_ids(l, "l3-in-ids", NULL, &ids, NULL), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_stored),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_record_new),
		cmocka_unit_test(test_ids_pick),
		cmocka_unit_test(test_listing_map_verdict),
		cmocka_unit_test(test_listing_chain_verdict),
		cmocka_unit_test(test_listing_counters_and_pairs),
		cmocka_unit_test(test_listing_has_key),
		cmocka_unit_test(test_listing_mark_ids),
		cmocka_unit_test(test_listing_chains_and_log),
		cmocka_unit_test(test_listing_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

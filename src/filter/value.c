/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attribute values: text -> struct filter_attr -> text, one parser and one
 * printer per enum filter_value_type, with libvirt's rules (decimal first,
 * then hex; names printed for known numbers; lenient booleans). Parsing and
 * printing live side by side so that what is printed always parses back to
 * the same value (the fuzzer checks format(parse(format(x))) == format(x)).
 */
#include "filter/value.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"

struct name_num {
	const char *name;
	uint32_t num;
};

static const struct name_num ethertype_names[] = {
	{ "arp", 0x0806 },  { "rarp", 0x8035 }, { "ipv4", 0x0800 },
	{ "ipv6", 0x86dd }, { "vlan", 0x8100 },
};

static const struct name_num ipproto_names[] = {
	{ "tcp", 6 },  { "udp", 17 }, { "udplite", 136 }, { "esp", 50 },    { "ah", 51 },
	{ "icmp", 1 }, { "igmp", 2 }, { "sctp", 132 },    { "icmpv6", 58 },
};

static const struct name_num arpop_names[] = {
	{ "Request", 1 },       { "Reply", 2 },         { "Request_Reverse", 3 },
	{ "Reply_Reverse", 4 }, { "DRARP_Request", 5 }, { "DRARP_Reply", 6 },
	{ "DRARP_Error", 7 },   { "InARP_Request", 8 }, { "ARP_NAK", 9 },
};

static const struct name_num state_names[] = {
	{ "NEW", FILTER_STATE_NEW },         { "ESTABLISHED", FILTER_STATE_ESTABLISHED },
	{ "RELATED", FILTER_STATE_RELATED }, { "INVALID", FILTER_STATE_INVALID },
	{ "NONE", FILTER_STATE_NONE },
};

/* Printing order is libvirt's: FIN,SYN,RST,PSH,ACK,URG. */
static const struct name_num tcpflag_names[] = {
	{ "FIN", FILTER_TCP_FIN }, { "SYN", FILTER_TCP_SYN },
	{ "RST", FILTER_TCP_RST }, { "PSH", FILTER_TCP_PSH },
	{ "ACK", FILTER_TCP_ACK }, { "URG", FILTER_TCP_URG },
	{ "ALL", FILTER_TCP_ALL }, { "NONE", 0 },
};

#define NAMES(t) t, ARRAY_SIZE(t)

static const char *name_of(const struct name_num *names, size_t n, uint32_t num)
{
	for (size_t i = 0; i < n; i++)
		if (names[i].num == num)
			return names[i].name;
	return NULL;
}

static int num_of(const struct name_num *names, size_t n, const char *s, size_t len, uint32_t *ret)
{
	for (size_t i = 0; i < n; i++) {
		if (strlen(names[i].name) == len && strncasecmp(names[i].name, s, len) == 0) {
			*ret = names[i].num;
			return 0;
		}
	}
	return -EINVAL;
}

static int digits_value(const char *s, int base, uint32_t max, uint32_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		int d = isdigit((unsigned char)*s)    ? *s - '0'
			: isxdigit((unsigned char)*s) ? tolower((unsigned char)*s) - 'a' + 10
						      : 99;

		if (d >= base)
			return -EINVAL;
		v = v * (unsigned)base + (unsigned)d;
		if (v > max)
			return -ERANGE;
	}
	*ret = (uint32_t)v;
	return 0;
}

/*
 * libvirt's virStrToLong_ui: leading blanks skipped; decimal first, and only
 * text that is not a decimal number is tried as hex (0x optional), so "ff" is
 * 255 but "256" for an 8-bit field is an error rather than 0x256.
 */
static int parse_number(const char *s, uint32_t max, bool allow_hex, uint32_t *ret, bool *ret_hex)
{
	while (isspace((unsigned char)*s))
		s++;
	if (*s && strspn(s, "0123456789") == strlen(s)) {
		*ret_hex = false;
		return digits_value(s, 10, max, ret);
	}
	if (!allow_hex)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	*ret_hex = true;
	return digits_value(s, 16, max, ret);
}

static bool is_port(enum filter_attr_id id)
{
	return id == FILTER_ATTR_SRCPORTSTART || id == FILTER_ATTR_SRCPORTEND ||
	       id == FILTER_ATTR_DSTPORTSTART || id == FILTER_ATTR_DSTPORTEND;
}

static int parse_uint(const struct filter_attr_desc *d, const char *text, struct filter_attr *a,
		      const char **why)
{
	uint32_t max = d->type == FILTER_VALUE_UINT8    ? 0xff
		       : d->type == FILTER_VALUE_UINT32 ? 0xffffffff
		       : d->type == FILTER_VALUE_DSCP   ? 63
		       : d->type == FILTER_VALUE_VLANID ? 4095
							: 0xffff;
	/* libvirt reads connlimit-above as a plain decimal number. */
	bool hex = d->id != FILTER_ATTR_CONNLIMIT_ABOVE;

	if (parse_number(text, max, hex, &a->u.num, &a->is_hex) == 0)
		return 0;
	if (is_port(d->id))
		*why = "not a port number (0-65535)";
	else if (!hex)
		*why = "not a number (0-65535, decimal)";
	else if (d->type == FILTER_VALUE_UINT8)
		*why = "not a number (0-255, decimal or hex)";
	else if (d->type == FILTER_VALUE_UINT32)
		*why = "not a number (0-4294967295, decimal or hex)";
	else if (d->type == FILTER_VALUE_DSCP)
		*why = "not a DSCP value (0-63, decimal or hex)";
	else if (d->type == FILTER_VALUE_VLANID)
		*why = "not a VLAN id (0-4095, decimal or hex)";
	else
		*why = "not a number (0-65535, decimal or hex)";
	return -EINVAL;
}

/* A name from names, or a number min..max (decimal or hex). */
static int parse_named(const struct name_num *names, size_t n, const char *text, uint32_t min,
		       uint32_t max, struct filter_attr *a)
{
	if (num_of(names, n, text, strlen(text), &a->u.num) == 0)
		return 0;
	if (parse_number(text, max, true, &a->u.num, &a->is_hex) < 0 || a->u.num < min)
		return -EINVAL;
	return 0;
}

static int parse_ethertype(const struct filter_attr_desc *d, const char *text,
			   struct filter_attr *a, const char **why)
{
	/* vlan's encap-protocol also takes 802.3 lengths down to 0x3c. */
	if (d->id == FILTER_ATTR_ENCAP_PROTOCOL) {
		*why = "not an EtherType (0x3c-0xffff, decimal or hex, or arp, rarp, ipv4, ipv6, vlan)";
		return parse_named(NAMES(ethertype_names), text, 0x3c, 0xffff, a);
	}
	*why = "not an EtherType (0x600-0xffff, decimal or hex, or arp, rarp, ipv4, ipv6, vlan)";
	return parse_named(NAMES(ethertype_names), text, 0x600, 0xffff, a);
}

static int parse_mac(const char *text, struct filter_attr *a, bool is_mask, const char **why)
{
	*why = is_mask ? "not a MAC mask (six hex octets, e.g. ff:ff:ff:00:00:00)"
		       : "not a MAC address (six hex octets, e.g. 52:54:00:12:34:56)";
	if (mac_parse(text, a->u.mac) < 0)
		return -EINVAL;
	if (is_mask && !mac_is_contiguous_mask(a->u.mac)) {
		*why = "not a contiguous MAC mask (ones then zeros, e.g. ff:ff:ff:00:00:00)";
		return -EINVAL;
	}
	return 0;
}

static int parse_ip(const char *text, struct filter_attr *a, bool v6, const char **why)
{
	*why = v6 ? "not an IPv6 address (e.g. 2001:db8::1)"
		  : "not an IPv4 address (dotted quad, e.g. 192.0.2.1)";
	return v6 ? ipv6_parse(text, a->u.ip) : ipv4_parse(text, a->u.ip);
}

/* A prefix length, or a mask in address syntax that must be contiguous. */
static int parse_ipmask(const char *text, struct filter_attr *a, bool v6, const char **why)
{
	uint8_t mask[16];
	uint32_t max = v6 ? 128 : 32;
	bool hex;
	int r;

	*why = v6 ? "not an IPv6 mask (prefix length 0-128, or a mask like ffff:ffff::)"
		  : "not an IPv4 mask (prefix length 0-32, or a dotted mask like 255.255.255.0)";
	if (*text && strspn(text, "0123456789") == strlen(text))
		return parse_number(text, max, false, &a->u.num, &hex) < 0 ? -EINVAL : 0;
	if ((v6 ? ipv6_parse(text, mask) : ipv4_parse(text, mask)) < 0)
		return -EINVAL;
	r = mask_prefix_len(mask, v6 ? 16 : 4);
	if (r < 0) {
		*why = v6 ? "not a contiguous IPv6 mask (ones then zeros)"
			  : "not a contiguous IPv4 mask (ones then zeros, e.g. 255.255.255.0)";
		return -EINVAL;
	}
	a->u.num = (uint32_t)r;
	return 0;
}

static int parse_bool(const char *text, struct filter_attr *a, const char **warn)
{
	/* libvirt: true, 1 and yes are true; anything else is false, without complaint. */
	a->u.boolean = !strcmp(text, "true") || !strcmp(text, "1") || !strcmp(text, "yes");
	if (!a->u.boolean && strcmp(text, "false") && strcmp(text, "0") && strcmp(text, "no"))
		*warn = "not a boolean, taken as false (accepted: true, 1, yes, false, 0, no)";
	return 0;
}

static int parse_comment(const char *text, struct filter_attr *a, const char **warn)
{
	size_t len = strlen(text);

	if (len > FILTER_COMMENT_MAX) {
		/* Cut on a UTF-8 character boundary so the text stays valid XML. */
		len = FILTER_COMMENT_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
		*warn = "comment longer than 256 bytes, truncated";
	}
	a->str = strndup(text, len);
	return a->str ? 0 : -ENOMEM;
}

/* Calls fn on each blank-trimmed item of a comma-separated list; empty items fail. */
static int for_each_item(const char *text, int (*fn)(const char *s, size_t n, void *ud), void *ud)
{
	const char *p = text;

	for (;;) {
		size_t n = strcspn(p, ","), end = n, start = 0;

		while (start < end && isspace((unsigned char)p[start]))
			start++;
		while (end > start && isspace((unsigned char)p[end - 1]))
			end--;
		if (end == start || fn(p + start, end - start, ud) < 0)
			return -EINVAL;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

static int state_item(const char *s, size_t n, void *ud)
{
	uint32_t bit;

	if (num_of(NAMES(state_names), s, n, &bit) < 0)
		return -EINVAL;
	*(uint32_t *)ud |= bit;
	return 0;
}

static int parse_state(const char *text, struct filter_attr *a, const char **why)
{
	uint32_t bits = 0;

	*why = "not a connection state (comma-separated NEW, ESTABLISHED, RELATED, INVALID, or NONE)";
	if (for_each_item(text, state_item, &bits) < 0)
		return -EINVAL;
	/* NONE wins over everything else (libvirt). */
	a->u.num = (bits & FILTER_STATE_NONE) ? FILTER_STATE_NONE : bits;
	return 0;
}

static int tcpflag_item(const char *s, size_t n, void *ud)
{
	uint32_t bits;

	if (num_of(NAMES(tcpflag_names), s, n, &bits) < 0)
		return -EINVAL;
	*(uint8_t *)ud |= (uint8_t)bits;
	return 0;
}

static int tcpflags_part(const char *s, uint8_t *ret)
{
	*ret = 0;
	/* "PSH/" is accepted by libvirt and printed as "PSH/NONE". */
	if (s[strspn(s, " \t\n\r")] == '\0')
		return 0;
	return for_each_item(s, tcpflag_item, ret);
}

static int parse_tcpflags(const char *text, struct filter_attr *a, const char **why)
{
	const char *slash = strchr(text, '/');
	_cleanup_free_ char *mask = NULL;

	*why = "not a TCP flags match (MASK/SET, each ALL, NONE or comma-separated SYN, ACK, URG, "
	       "PSH, FIN, RST)";
	if (!slash)
		return -EINVAL;
	mask = strndup(text, (size_t)(slash - text));
	if (!mask)
		return -ENOMEM;
	if (tcpflags_part(mask, &a->u.tcp_flags.mask) < 0 ||
	    tcpflags_part(slash + 1, &a->u.tcp_flags.flags) < 0)
		return -EINVAL;
	return 0;
}

static int parse_ipset_name(const char *text, struct filter_attr *a, const char **why)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_.:-+ ";
	size_t len = strlen(text);

	*why = "not an ipset name (1-31 characters: letters, digits, space and _ . : - +)";
	if (len == 0 || len > FILTER_IPSET_NAME_MAX || strspn(text, chars) != len)
		return -EINVAL;
	a->str = strdup(text);
	return a->str ? 0 : -ENOMEM;
}

static int ipsetflag_item(const char *s, size_t n, void *ud)
{
	struct filter_attr *a = ud;
	bool is_dst = n == 3 && strncasecmp(s, "dst", 3) == 0;

	if (!is_dst && !(n == 3 && strncasecmp(s, "src", 3) == 0))
		return -EINVAL;
	if (a->u.ipset_flags.n >= FILTER_IPSETFLAGS_MAX)
		return -EINVAL;
	a->u.ipset_flags.is_dst[a->u.ipset_flags.n++] = is_dst;
	return 0;
}

static int parse_ipset_flags(const char *text, struct filter_attr *a, const char **why)
{
	*why = "not ipset flags (1-6 comma-separated src or dst)";
	return for_each_item(text, ipsetflag_item, a);
}

static int parse_typed(const struct filter_attr_desc *d, const char *text, struct filter_attr *a,
		       const char **why, const char **warn)
{
	switch (d->type) {
	case FILTER_VALUE_UINT8:
	case FILTER_VALUE_UINT16:
	case FILTER_VALUE_UINT32:
	case FILTER_VALUE_DSCP:
	case FILTER_VALUE_VLANID:
		return parse_uint(d, text, a, why);
	case FILTER_VALUE_MAC:
	case FILTER_VALUE_MACMASK:
		return parse_mac(text, a, d->type == FILTER_VALUE_MACMASK, why);
	case FILTER_VALUE_IPV4:
	case FILTER_VALUE_IPV6:
		return parse_ip(text, a, d->type == FILTER_VALUE_IPV6, why);
	case FILTER_VALUE_IPV4MASK:
	case FILTER_VALUE_IPV6MASK:
		return parse_ipmask(text, a, d->type == FILTER_VALUE_IPV6MASK, why);
	case FILTER_VALUE_BOOL:
		return parse_bool(text, a, warn);
	case FILTER_VALUE_STRING:
		return parse_comment(text, a, warn);
	case FILTER_VALUE_ETHERTYPE:
		return parse_ethertype(d, text, a, why);
	case FILTER_VALUE_IPPROTO:
		*why = "not an IP protocol (0-255, or tcp, udp, udplite, esp, ah, icmp, igmp, sctp, "
		       "icmpv6)";
		return parse_named(NAMES(ipproto_names), text, 0, 0xff, a);
	case FILTER_VALUE_ARPOPCODE:
		*why = "not an ARP opcode (0-65535, or Request, Reply, Request_Reverse, "
		       "Reply_Reverse, DRARP_Request, DRARP_Reply, DRARP_Error, InARP_Request, "
		       "ARP_NAK)";
		return parse_named(NAMES(arpop_names), text, 0, 0xffff, a);
	case FILTER_VALUE_STATE:
		return parse_state(text, a, why);
	case FILTER_VALUE_TCPFLAGS:
		return parse_tcpflags(text, a, why);
	case FILTER_VALUE_IPSETNAME:
		return parse_ipset_name(text, a, why);
	case FILTER_VALUE_IPSETFLAGS:
		return parse_ipset_flags(text, a, why);
	}
	*why = "unsupported value type";
	return -EINVAL;
}

int filter_value_parse_attr(const struct filter_attr_desc *d, const char *text,
			    struct filter_attr *ret, const char **ret_why, const char **ret_warn)
{
	struct filter_attr a = { 0 };
	int r;

	*ret_why = NULL;
	*ret_warn = NULL;
	/* libvirt takes any value starting with '$' as a variable, whatever the attribute. */
	if (text[0] == '$') {
		r = filter_var_ref_parse(text + 1, &a.var, ret_why, ret_warn);
		a.is_var = true;
	} else {
		r = parse_typed(d, text, &a, ret_why, ret_warn);
	}
	if (r < 0) {
		filter_attr_fini(&a);
		return r == -ENOMEM ? r : -EINVAL;
	}
	a.is_set = true;
	*ret = a;
	return 0;
}

bool filter_is_var_name(const char *s)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

	return *s && strspn(s, chars) == strlen(s);
}

bool filter_is_param_value(const char *s)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:";

	return *s && strspn(s, chars) == strlen(s);
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The bracket part of $NAME[ @K ] / $NAME[ N ]; p points after '['. */
static int var_index_parse(const char *p, struct filter_var_ref *ref, const char **why,
			   const char **warn)
{
	size_t n;
	uint32_t v;

	p = skip_blanks(p);
	ref->access = FILTER_VAR_ELEMENT;
	if (*p == '@') {
		ref->access = FILTER_VAR_ITERATOR;
		p = skip_blanks(p + 1);
	}
	*why = ref->access == FILTER_VAR_ITERATOR
		       ? "malformed iterator id (accepted: $NAME[@K] with K 0-1000)"
		       : "malformed array index (accepted: $NAME[N] with N a decimal number)";
	n = strspn(p, "0123456789");
	if (n == 0 || n > 9)
		return -EINVAL;
	v = (uint32_t)strtoul(p, NULL, 10);
	p = skip_blanks(p + n);
	if (*p != ']')
		return -EINVAL;
	if (ref->access == FILTER_VAR_ITERATOR && v > FILTER_ITERATOR_MAX) {
		*why = "iterator id above the maximum of 1000";
		return -EINVAL;
	}
	ref->index = v;
	/* libvirt ignores whatever follows ']'. */
	if (*skip_blanks(p + 1))
		*warn = "text after ']' ignored";
	return 0;
}

int filter_var_ref_parse(const char *text, struct filter_var_ref *ret, const char **ret_why,
			 const char **ret_warn)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	struct filter_var_ref ref = { .access = FILTER_VAR_ITERATOR };
	size_t n = strspn(text, chars);

	*ret_why = "malformed variable reference (accepted: $NAME, $NAME[N], $NAME[@K]; "
		   "names of letters, digits and _)";
	if (n == 0 || (text[n] != '\0' && text[n] != '['))
		return -EINVAL;
	if (text[n] == '[' && var_index_parse(text + n + 1, &ref, ret_why, ret_warn) < 0)
		return -EINVAL;
	ref.name = strndup(text, n);
	if (!ref.name)
		return -ENOMEM;
	*ret = ref;
	return 0;
}

static void var_ref_append(struct strbuf *sb, const struct filter_var_ref *ref)
{
	strbuf_add(sb, ref->name);
	if (ref->access == FILTER_VAR_ELEMENT)
		strbuf_addf(sb, "[%u]", ref->index);
	else if (ref->index != 0)
		strbuf_addf(sb, "[@%u]", ref->index);
}

char *filter_var_ref_format(const struct filter_var_ref *ref)
{
	struct strbuf sb;

	strbuf_init(&sb);
	var_ref_append(&sb, ref);
	return strbuf_steal(&sb);
}

static void number_append(struct strbuf *sb, const struct filter_attr *a)
{
	strbuf_addf(sb, a->is_hex ? "0x%x" : "%u", a->u.num);
}

static void named_append(struct strbuf *sb, const struct name_num *names, size_t n,
			 const struct filter_attr *a)
{
	const char *name = name_of(names, n, a->u.num);

	if (name)
		strbuf_add(sb, name);
	else
		number_append(sb, a);
}

static void bits_append(struct strbuf *sb, const struct name_num *names, size_t n, uint32_t bits)
{
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (names[i].num && (bits & names[i].num) == names[i].num) {
			strbuf_addf(sb, "%s%s", first ? "" : ",", names[i].name);
			first = false;
		}
	}
}

static void tcpflags_part_append(struct strbuf *sb, uint8_t bits)
{
	if (bits == 0)
		strbuf_add(sb, "NONE");
	else if (bits == FILTER_TCP_ALL)
		strbuf_add(sb, "ALL");
	else
		bits_append(sb, tcpflag_names, 6, bits);
}

static void ip_append(struct strbuf *sb, const struct filter_attr *a, bool v6)
{
	char text[IP_TEXT_MAX];

	if (v6)
		ipv6_format(a->u.ip, text);
	else
		ipv4_format(a->u.ip, text);
	strbuf_add(sb, text);
}

static void typed_append(struct strbuf *sb, const struct filter_attr_desc *d,
			 const struct filter_attr *a)
{
	char mac[MAC_TEXT_MAX];

	switch (d->type) {
	case FILTER_VALUE_UINT8:
	case FILTER_VALUE_UINT16:
	case FILTER_VALUE_UINT32:
	case FILTER_VALUE_DSCP:
	case FILTER_VALUE_VLANID:
		number_append(sb, a);
		break;
	case FILTER_VALUE_MAC:
	case FILTER_VALUE_MACMASK:
		mac_format(a->u.mac, mac);
		strbuf_add(sb, mac);
		break;
	case FILTER_VALUE_IPV4:
	case FILTER_VALUE_IPV6:
		ip_append(sb, a, d->type == FILTER_VALUE_IPV6);
		break;
	case FILTER_VALUE_IPV4MASK:
	case FILTER_VALUE_IPV6MASK:
		strbuf_addf(sb, "%u", a->u.num);
		break;
	case FILTER_VALUE_BOOL:
		strbuf_add(sb, a->u.boolean ? "true" : "false");
		break;
	case FILTER_VALUE_STRING:
	case FILTER_VALUE_IPSETNAME:
		strbuf_add(sb, a->str ? a->str : "");
		break;
	case FILTER_VALUE_ETHERTYPE:
		named_append(sb, NAMES(ethertype_names), a);
		break;
	case FILTER_VALUE_IPPROTO:
		named_append(sb, NAMES(ipproto_names), a);
		break;
	case FILTER_VALUE_ARPOPCODE:
		named_append(sb, NAMES(arpop_names), a);
		break;
	case FILTER_VALUE_STATE:
		bits_append(sb, NAMES(state_names), a->u.num);
		break;
	case FILTER_VALUE_TCPFLAGS:
		tcpflags_part_append(sb, a->u.tcp_flags.mask);
		strbuf_addc(sb, '/');
		tcpflags_part_append(sb, a->u.tcp_flags.flags);
		break;
	case FILTER_VALUE_IPSETFLAGS:
		for (unsigned i = 0; i < a->u.ipset_flags.n; i++)
			strbuf_addf(sb, "%s%s", i ? "," : "",
				    a->u.ipset_flags.is_dst[i] ? "dst" : "src");
		break;
	}
}

void filter_value_format(struct strbuf *sb, const struct filter_attr_desc *d,
			 const struct filter_attr *a)
{
	if (a->is_var) {
		strbuf_addc(sb, '$');
		var_ref_append(sb, &a->var);
		return;
	}
	typed_append(sb, d, a);
}

int filter_uuid_parse(const char *text, uint8_t ret[16])
{
	uint8_t uuid[16];
	size_t len;
	const char *p;

	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len != 32 && len != 36)
		return -EINVAL;
	p = text;
	for (int i = 0; i < 16; i++) {
		/* 8-4-4-4-12: dashes after bytes 4, 6, 8 and 10. */
		if (len == 36 && (i == 4 || i == 6 || i == 8 || i == 10) && *p++ != '-')
			return -EINVAL;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -EINVAL;
		uuid[i] = (uint8_t)strtoul((char[]){ p[0], p[1], '\0' }, NULL, 16);
		p += 2;
	}
	memcpy(ret, uuid, 16);
	return 0;
}

void filter_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

int filter_value_parse(const struct filter_attr_desc *d, const char *text, struct filter_attr *ret,
		       const char **ret_why)
{
	const char *warn = NULL;

	/* values of variables are plain text: "$" cannot start a reference here */
	if (text[0] == '$') {
		*ret_why = "a value cannot start with '$'";
		return -EINVAL;
	}
	return filter_value_parse_attr(d, text, ret, ret_why, &warn);
}

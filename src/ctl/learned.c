/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binding.create's "learned": addresses a port learned on another host. */
#include "ctl/ctl-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/addr.h"

#define FIELD_MAX 48 /* the longest IPv6 text, and more: a longer field fails its check */

/* Copies the field of s up to the next '/' (or the end) into out; the rest after it, or NULL. */
static const char *field(const char *s, const char *end, char out[FIELD_MAX])
{
	const char *slash = memchr(s, '/', (size_t)(end - s));
	size_t len = (size_t)((slash ? slash : end) - s);

	if (len >= FIELD_MAX)
		len = FIELD_MAX - 1; /* cut: the value then fails its own check */
	memcpy(out, s, len);
	out[len] = '\0';
	return slash ? slash + 1 : NULL;
}

static int parse_time(const char *text, bool allow_none, bool *ret_has, int64_t *ret)
{
	char *stop;
	long long v;

	if (allow_none && strcmp(text, "-") == 0) {
		*ret_has = false;
		*ret = 0;
		return 0;
	}
	if (!*text || *text == '-' || *text == '+')
		return -EINVAL;
	errno = 0;
	v = strtoll(text, &stop, 10);
	if (errno || *stop)
		return -EINVAL;
	*ret_has = true;
	*ret = v;
	return 0;
}

static int parse_entry(const char *s, const char *end, size_t k, struct ctl_learned *l,
		       struct err *err)
{
	char f[5][FIELD_MAX];
	const char *p = s;
	bool has_learned_at;
	size_t n = 0;

	while (p && n < 5)
		p = field(p, end, f[n++]);
	if (n != 5 || p)
		return err_set(err, -EINVAL,
			       "learned[%zu]: expected ADDRESS/SOURCE/SERVER/LEASE_END/LEARNED_AT",
			       k);
	*l = (struct ctl_learned){ 0 };
	if (ipv4_parse(f[0], l->address) < 0) {
		if (ipv6_parse(f[0], l->address) < 0)
			return err_set(err, -EINVAL,
				       "learned[%zu]: '%s' is not an IPv4 or IPv6 address", k,
				       f[0]);
		l->is_ipv6 = true;
	}
	if (!l->is_ipv6 && strcmp(f[1], "dhcp") != 0 && strcmp(f[1], "arp") != 0 &&
	    strcmp(f[1], "ipv4") != 0)
		return err_set(err, -EINVAL,
			       "learned[%zu]: source '%s' (accepted for IPv4: dhcp, arp, ipv4)", k,
			       f[1]);
	if (l->is_ipv6 && strcmp(f[1], "dhcpv6") != 0 && strcmp(f[1], "dad") != 0 &&
	    strcmp(f[1], "ipv6") != 0)
		return err_set(err, -EINVAL,
			       "learned[%zu]: source '%s' (accepted for IPv6: dhcpv6, dad, ipv6)",
			       k, f[1]);
	strcpy(l->source, f[1]); /* one of the names above */
	l->has_server = strcmp(f[2], "-") != 0;
	if (l->has_server && (l->is_ipv6 || ipv4_parse(f[2], l->server) < 0))
		return err_set(err, -EINVAL, "learned[%zu]: server '%s' is not %s", k, f[2],
			       l->is_ipv6 ? "- (an IPv6 address keeps none)"
					  : "an IPv4 address or -");
	if (parse_time(f[3], true, &l->has_lease, &l->lease_end) < 0)
		return err_set(err, -EINVAL,
			       "learned[%zu]: lease end '%s' is not seconds since the epoch or -",
			       k, f[3]);
	if (parse_time(f[4], false, &has_learned_at, &l->learned_at) < 0)
		return err_set(err, -EINVAL,
			       "learned[%zu]: learned at '%s' is not seconds since the epoch", k,
			       f[4]);
	return 0;
}

int ctl_learned_parse(const char *text, struct ctl_learned *out, size_t max, size_t *ret_n,
		      struct err *err)
{
	const char *s = text, *end = text + strlen(text);
	size_t n = 0;

	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *stop = comma ? comma : end;
		int r;

		if (n >= max)
			return err_set(err, -E2BIG, "learned: more than %zu addresses", max);
		r = parse_entry(s, stop, n, &out[n], err);
		if (r < 0)
			return r;
		n++;
		s = comma ? comma + 1 : end;
		if (comma && s == end)
			return err_set(err, -EINVAL, "learned[%zu]: empty", n);
	}
	*ret_n = n;
	return 0;
}

int ctl_learned_format(const struct ctl_learned *l, char *buf, size_t size)
{
	char ip[IP_TEXT_MAX], server[IP_TEXT_MAX] = "-", lease[24] = "-";
	int len;

	ip_format(l->is_ipv6 ? 6 : 4, l->address, ip);
	if (l->has_server)
		ipv4_format(l->server, server);
	if (l->has_lease)
		snprintf(lease, sizeof(lease), "%" PRId64, l->lease_end);
	len = snprintf(buf, size, "%s/%s/%s/%s/%" PRId64, ip, l->source, server, lease,
		       l->learned_at);
	return len < 0 || (size_t)len >= size ? -ENOSPC : 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How each attribute of a protocol element becomes an nftables
 * match: the selector expression, the attribute that holds the value, the
 * one that holds its mask or range end, and how a value is printed. One
 * table per protocol, shared by the inline matches of a template and by
 * the set elements of a port, so the two always agree.
 */
#pragma once

#include "filter/filter.h"
#include "util/strbuf.h"

enum fw_partner {
	FW_PARTNER_NONE,
	FW_PARTNER_MASK,  /* the partner attribute is a mask of the value */
	FW_PARTNER_RANGE, /* the partner attribute is the end of a range */
};

enum fw_format {
	FW_FORMAT_MAC,     /* 52:54:00:00:00:01 */
	FW_FORMAT_RAW_MAC, /* 0x525400000001, for raw payload selectors */
	FW_FORMAT_IPV4,
	FW_FORMAT_RAW_IPV4, /* 0x0a000001 */
	FW_FORMAT_IPV6,
	FW_FORMAT_RAW_IPV6, /* 0xfd000000000000000000000000000005 */
	FW_FORMAT_NUM,
	FW_FORMAT_HEX16,
};

struct fw_field {
	const char *selector; /* "ip saddr", "@nh,64,48" */
	enum filter_attr_id attr;
	enum filter_attr_id partner;
	enum fw_partner partner_kind;
	enum fw_format format;
};

#define FW_FIELDS_MAX 16

struct fw_proto_fields {
	const char *implied; /* match every rule of the protocol starts with, or NULL */
	size_t n_fields;
	struct fw_field fields[FW_FIELDS_MAX];
};

/* The fields of a protocol: its bridge (L2) or inet (L3) selectors. */
const struct fw_proto_fields *fw_proto_fields(enum filter_proto proto);

/* The attribute that holds attr's value when source and destination swap. */
enum filter_attr_id fw_attr_swapped(enum filter_attr_id attr);

/*
 * Appends the value of a field as nftables prints it: value[/prefix] or
 * start-end; for a masked MAC or raw field with a partial mask only the
 * masked value (the caller adds "& mask"). Returns -EINVAL with *ret_why
 * when the pair cannot be expressed (a range that runs backwards).
 */
int fw_field_format(struct strbuf *sb, const struct fw_field *f, const struct filter_attr *value,
		    const struct filter_attr *partner, const char **ret_why);

/* True when the field's value needs an interval set (a prefix or a range). */
bool fw_field_is_interval(const struct fw_field *f, const struct filter_attr *value,
			  const struct filter_attr *partner);

/* Appends the mask of a partially masked MAC or raw field ("ff:ff:ff:00:00:00"); false if full. */
bool fw_field_partial_mask(struct strbuf *sb, const struct fw_field *f,
			   const struct filter_attr *partner);

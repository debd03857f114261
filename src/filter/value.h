/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Attribute values as text, both ways, with libvirt's rules (pure: no
 * libraries). The XML parser and the substitution of variables at
 * instantiation share them, so a value given through a variable is
 * checked exactly like one written in the filter.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "filter/filter.h"
#include "util/strbuf.h"

/*
 * Parses text as an attribute of type d into *ret (zeroed first). On -EINVAL
 * *ret_why is a static "what is wrong (what is accepted)". On success
 * *ret_warn may be set when libvirt's lenient conversion changed the value.
 * Values starting with '$' are variable references. -ENOMEM possible.
 */
int filter_value_parse_attr(const struct filter_attr_desc *d, const char *text,
			    struct filter_attr *ret, const char **ret_why, const char **ret_warn);
/* Parses what follows '$'; -EINVAL with *ret_why; *ret_warn when trailing text was ignored. */
int filter_var_ref_parse(const char *text, struct filter_var_ref *ret, const char **ret_why,
			 const char **ret_warn);
/* Appends the value as libvirt prints it (not XML-escaped). */
void filter_value_format(struct strbuf *sb, const struct filter_attr_desc *d,
			 const struct filter_attr *a);

int filter_uuid_parse(const char *text, uint8_t ret[16]);
void filter_uuid_format(const uint8_t uuid[16], char out[37]);
/* Names: [A-Za-z0-9_]+ (variables, parameters). */
bool filter_is_var_name(const char *s);
/* A value a <parameter> may carry, as libvirt takes it: letters, digits, _ . : */
bool filter_is_param_value(const char *s);

/* Text of a variable reference as libvirt prints it, without the '$'. Caller frees. */
char *filter_var_ref_format(const struct filter_var_ref *ref);

/*
 * Parses text as a value of an attribute of type d (the XML parser and the
 * substitution of variables share it). "$..." is NOT a variable here. On
 * -EINVAL *ret_why is a static "what is wrong (what is accepted)"; -ENOMEM.
 */
int filter_value_parse(const struct filter_attr_desc *d, const char *text, struct filter_attr *ret,
		       const char **ret_why);

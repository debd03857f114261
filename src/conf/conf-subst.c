/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Values substituted for variables go through the same checks as values written in XML. */
#include <errno.h>

#include "conf/conf-internal.h"

int filter_value_parse(const struct filter_attr_desc *d, const char *text, struct filter_attr *ret,
		       const char **ret_why)
{
	const char *warn = NULL;

	if (text[0] == '$') {
		*ret_why = "a value cannot start with '$'";
		return -EINVAL;
	}
	return conf_value_parse(d, text, ret, ret_why, &warn);
}

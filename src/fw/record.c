/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Port records and port ids (pure). A record's text is a versioned header
 * of "key value" lines, then the two removal texts, each after a comment
 * line of its own; nft statements never start with '#', so the sections
 * cannot be confused with the text they hold:
 *
 *   # vifguard port record 1
 *   port vnet0
 *   id 0
 *   template t0123456789abcdef
 *   attach netdev              (only for macvtap ports: older records lack it)
 *   prepared t0123456789abcdef (only for learning ports that created their template ahead)
 *   # elements
 *   delete element ...
 *   # template
 *   delete chain ...
 */
#include "fw/record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strbuf.h"

int fw_record_new(const struct fw_port *p, struct fw_record **ret)
{
	struct fw_record *rec = calloc(1, sizeof(*rec));

	if (!rec)
		return -ENOMEM;
	rec->port = strdup(p->port);
	rec->attach = p->attach;
	rec->port_id = p->needs_inet ? p->port_id : 0;
	rec->template_id = strdup(p->template_id);
	rec->template_del = strdup(p->template_del);
	rec->elements_del = strdup(p->elements_del);
	rec->prepared_id = p->prepared_id ? strdup(p->prepared_id) : NULL;
	if (!rec->port || !rec->template_id || !rec->template_del || !rec->elements_del ||
	    (p->prepared_id && !rec->prepared_id)) {
		fw_record_free(rec);
		return -ENOMEM;
	}
	*ret = rec;
	return 0;
}

struct fw_record *fw_record_free(struct fw_record *rec)
{
	if (!rec)
		return NULL;
	free(rec->port);
	free(rec->template_id);
	free(rec->template_del);
	free(rec->elements_del);
	free(rec->prepared_id);
	free(rec);
	return NULL;
}

const char *fw_record_template(const struct fw_record *rec)
{
	return rec->prepared_id ? rec->prepared_id : rec->template_id;
}

#define RECORD_MAGIC    "# vifguard port record 1\n"
#define RECORD_ELEMENTS "# elements\n"
#define RECORD_TEMPLATE "# template\n"

char *fw_record_format(const struct fw_record *rec)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_addf(&sb, RECORD_MAGIC "port %s\nid %u\ntemplate %s\n", rec->port, rec->port_id,
		    rec->template_id);
	/* records from before macvtap support have no such line: bridge */
	if (rec->attach == FW_ATTACH_NETDEV)
		strbuf_add(&sb, "attach netdev\n");
	if (rec->prepared_id)
		strbuf_addf(&sb, "prepared %s\n", rec->prepared_id);
	strbuf_addf(&sb, RECORD_ELEMENTS "%s" RECORD_TEMPLATE "%s", rec->elements_del,
		    rec->template_del);
	return strbuf_steal(&sb);
}

static int parse_id(const char *value, unsigned *ret)
{
	char *end = NULL;
	unsigned long v;

	if (*value < '0' || *value > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || *end || v > FW_PORT_ID_MAX)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* One "key value" line of the header, value NUL-terminated in place. */
static int parse_header_line(struct fw_record *rec, char *line, bool *has_id, struct err *err)
{
	char *value = strchr(line, ' ');
	char **slot = NULL;

	if (!value || value == line || !value[1])
		return err_set(err, -EINVAL, "port record with a bad line '%s'", line);
	*value++ = '\0';
	if (strcmp(line, "port") == 0) {
		slot = &rec->port;
	} else if (strcmp(line, "template") == 0) {
		slot = &rec->template_id;
	} else if (strcmp(line, "prepared") == 0) {
		slot = &rec->prepared_id;
	} else if (strcmp(line, "id") == 0) {
		if (*has_id || parse_id(value, &rec->port_id) < 0)
			return err_set(err, -EINVAL, "port record with a bad id '%s'", value);
		*has_id = true;
		return 0;
	} else if (strcmp(line, "attach") == 0) {
		if (strcmp(value, "netdev") != 0 || rec->attach == FW_ATTACH_NETDEV)
			return err_set(err, -EINVAL, "port record with an unknown attachment '%s'",
				       value);
		rec->attach = FW_ATTACH_NETDEV;
		return 0;
	} else {
		return err_set(err, -EINVAL, "port record with an unknown line '%s'", line);
	}
	if (*slot)
		return err_set(err, -EINVAL, "port record with a repeated '%s' line", line);
	*slot = strdup(value);
	return *slot ? 0 : err_set(err, -ENOMEM, "out of memory");
}

/* The first line of text that begins with line (which ends in '\n'), or NULL. */
static const char *find_line(const char *text, const char *line)
{
	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');

		if (strncmp(p, line, strlen(line)) == 0)
			return p;
		if (!end)
			break;
		p = end + 1;
	}
	return NULL;
}

int fw_record_parse(const char *text, struct fw_record **ret, struct err *err)
{
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;
	_cleanup_free_ char *header = NULL;
	const char *el, *tpl;
	bool has_id = false;
	int r;

	if (strncmp(text, RECORD_MAGIC, strlen(RECORD_MAGIC)) != 0)
		return err_set(err, -EINVAL, "not a vifguard port record");
	text += strlen(RECORD_MAGIC);
	el = find_line(text, RECORD_ELEMENTS);
	tpl = el ? find_line(el + strlen(RECORD_ELEMENTS), RECORD_TEMPLATE) : NULL;
	if (!tpl)
		return err_set(err, -EINVAL, "port record without elements or template");
	rec = calloc(1, sizeof(*rec));
	header = strndup(text, (size_t)(el - text));
	if (!rec || !header)
		return err_set(err, -ENOMEM, "out of memory");
	/* el begins a line: every header line ends in '\n' */
	for (char *line = header, *end; *line; line = end + 1) {
		end = strchr(line, '\n');
		*end = '\0';
		r = parse_header_line(rec, line, &has_id, err);
		if (r < 0)
			return r;
	}
	if (!rec->port || !rec->template_id || !has_id)
		return err_set(err, -EINVAL,
			       "incomplete port record (port, id or template missing)");
	el += strlen(RECORD_ELEMENTS);
	rec->elements_del = strndup(el, (size_t)(tpl - el));
	rec->template_del = strdup(tpl + strlen(RECORD_TEMPLATE));
	if (!rec->elements_del || !rec->template_del)
		return err_set(err, -ENOMEM, "out of memory");
	*ret = TAKE_PTR(rec);
	return 0;
}

void fw_port_ids_add(struct fw_port_ids *ids, unsigned id)
{
	if (id > 0 && id <= FW_PORT_ID_MAX)
		ids->bits[id / 8] |= (uint8_t)(1u << (id % 8));
}

bool fw_port_ids_has(const struct fw_port_ids *ids, unsigned id)
{
	return id <= FW_PORT_ID_MAX && (ids->bits[id / 8] & (1u << (id % 8)));
}

unsigned fw_port_ids_pick(const struct fw_port_ids *used, unsigned want)
{
	if (want > 0 && want <= FW_PORT_ID_MAX && !fw_port_ids_has(used, want))
		return want;
	for (unsigned byte = 0; byte < sizeof(used->bits); byte++) {
		if (used->bits[byte] == 0xff)
			continue;
		for (unsigned id = byte * 8; id < byte * 8 + 8; id++)
			if (id > 0 && !fw_port_ids_has(used, id))
				return id;
	}
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bindings through the daemon, for the libvirt commands. The listing's
 * items are checked as strictly as any reply: a missing or mistyped member
 * ends the call.
 */
#include "cli/bindings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "conf/conf.h"
#include "util/cleanup.h"

static int call_failed(int r, struct err *err)
{
	const char *msg = client_last_error();

	return err_set(err, r, "%s", *msg ? msg : strerror(-r));
}

struct collect {
	struct cli_bound_list *list;
	struct err *err;
};

static int take_string(const struct ctl_value *obj, const char *where, const char *key, char **ret,
		       struct err *err)
{
	const char *s = NULL;
	int r = ctl_value_member_string(obj, where, key, &s, err);

	if (r < 0)
		return r;
	*ret = strdup(s);
	return *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
}

static int collect_item(const struct ctl_value *item, void *userdata)
{
	struct collect *c = userdata;
	struct cli_bound_list *l = c->list;
	const struct ctl_value *owner = NULL;
	struct cli_bound *grown = realloc(l->items, (l->n + 1) * sizeof(*l->items));
	struct cli_bound *b;
	int r;

	if (!grown)
		return err_set(c->err, -ENOMEM, "out of memory");
	l->items = grown;
	b = &l->items[l->n++];
	*b = (struct cli_bound){ 0 };
	r = take_string(item, "item", "port", &b->port, c->err);
	if (r >= 0)
		r = take_string(item, "item", "filter", &b->filter, c->err);
	if (r >= 0)
		r = ctl_value_member(item, "item", "owner", CTL_TYPE_OBJECT, &owner, c->err);
	if (r >= 0)
		r = take_string(owner, "item.owner", "name", &b->owner_name, c->err);
	if (r >= 0)
		r = take_string(owner, "item.owner", "uuid", &b->owner_uuid, c->err);
	return r;
}

int cli_bound_list_load(struct cli_bound_list *ret, struct err *err)
{
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_BINDING_LIST };
	struct collect c = { .list = ret, .err = err };
	int r;

	*ret = (struct cli_bound_list){ 0 };
	err_clear(err);
	r = client_call(&req, collect_item, &c, NULL);
	if (r < 0 && !err->code)
		return call_failed(r, err);
	return r;
}

void cli_bound_list_fini(struct cli_bound_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].port);
		free(l->items[i].filter);
		free(l->items[i].owner_name);
		free(l->items[i].owner_uuid);
	}
	free(l->items);
	*l = (struct cli_bound_list){ 0 };
}

const struct cli_bound *cli_bound_find(const struct cli_bound_list *l, const char *port)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].port, port) == 0)
			return &l->items[i];
	return NULL;
}

int cli_bound_create(const struct binding *b, struct err *err)
{
	_cleanup_free_ char *xml = conf_binding_format(b);
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_BINDING_CREATE, .xml = xml };
	int r;

	if (!xml)
		return err_set(err, -ENOMEM, "out of memory");
	r = client_call(&req, NULL, NULL, NULL);
	return r < 0 ? call_failed(r, err) : 0;
}

int cli_bound_delete(const char *port, struct err *err)
{
	_cleanup_free_ char *name = strdup(port);
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_BINDING_DELETE, .port = name };
	int r;

	if (!name)
		return err_set(err, -ENOMEM, "out of memory");
	r = client_call(&req, NULL, NULL, NULL);
	return r < 0 ? call_failed(r, err) : 0;
}

int cli_bound_dumpxml(const char *port, char **ret, struct err *err)
{
	_cleanup_free_ char *name = strdup(port);
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_BINDING_DUMPXML, .port = name };
	struct ctl_message reply = { 0 };
	const char *xml = NULL;
	int r;

	if (!name)
		return err_set(err, -ENOMEM, "out of memory");
	r = client_call(&req, NULL, NULL, &reply);
	if (r < 0)
		return call_failed(r, err);
	r = ctl_value_member_string(reply.data, "data", "xml", &xml, err);
	if (r >= 0) {
		*ret = strdup(xml);
		r = *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
	}
	ctl_message_fini(&reply);
	return r;
}

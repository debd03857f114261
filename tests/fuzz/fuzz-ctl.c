/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control protocol codec on arbitrary bytes, both directions:
 *  - as a request: a rejection must say why; an accepted request must format
 *    to a line that parses back to the same request and formats identically;
 *  - as a line from the daemon: an accepted message, rebuilt through the
 *    writer, must read back as the same message with the same JSON;
 *  - as a byte stream cut at pseudo-random points: the line splitter must
 *    yield exactly the '\n'-separated lines, each then parsed both ways.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_request(const struct ctl_request *a, const struct ctl_request *b)
{
	if (a->verb != b->verb || a->id != b->id || !same_string(a->xml, b->xml) ||
	    !same_string(a->name, b->name) || !same_string(a->port, b->port) ||
	    !same_string(a->mac, b->mac) || !same_string(a->filter, b->filter) ||
	    !same_string(a->owner, b->owner) || !same_string(a->linkdev, b->linkdev) ||
	    a->n_params != b->n_params || !a->params != !b->params)
		return false;
	for (size_t i = 0; i < a->n_params; i++) {
		if (strcmp(a->params[i].name, b->params[i].name) != 0 ||
		    a->params[i].n_values != b->params[i].n_values)
			return false;
		for (size_t j = 0; j < a->params[i].n_values; j++)
			if (strcmp(a->params[i].values[j], b->params[i].values[j]) != 0)
				return false;
	}
	return true;
}

static void fuzz_request(const char *line, size_t len)
{
	struct ctl_request req = { 0 }, back = { 0 };
	struct err err = { 0 };
	char *first = NULL, *second = NULL;
	int r;

	r = ctl_request_parse(line, len, &req, &err);
	if (r < 0) {
		check(err.code == r && err.msg[0] != '\0' && req.xml == NULL && req.params == NULL);
		check(req.id <= CTL_ID_MAX);
		return;
	}
	check(req.version == CTL_PROTOCOL_VERSION && req.verb < _CTL_VERB_MAX);
	r = ctl_request_format(&req, &first, &err);
	if (r == -ENOMEM || r == -EMSGSIZE) {
		ctl_request_fini(&req);
		return;
	}
	check(r == 0);
	check(ctl_request_parse(first, strlen(first), &back, &err) == 0);
	check(same_request(&req, &back));
	check(ctl_request_format(&back, &second, &err) == 0);
	check(strcmp(first, second) == 0);
	free(first);
	free(second);
	ctl_request_fini(&back);
	ctl_request_fini(&req);
}

static void rebuild_obj(const struct ctl_value *v, struct ctl_obj *out);

static void rebuild_array(const struct ctl_value *v, struct ctl_array *out)
{
	for (size_t i = 0; i < ctl_value_array_len(v); i++) {
		const struct ctl_value *e = ctl_value_array_at(v, i);
		const char *s;
		uint64_t u;
		int64_t n;
		bool b;

		switch (ctl_value_type(e)) {
		case CTL_TYPE_OBJECT:
			rebuild_obj(e, ctl_array_add_obj(out));
			break;
		case CTL_TYPE_ARRAY:
			rebuild_array(e, ctl_array_add_array(out));
			break;
		case CTL_TYPE_STRING:
			check(ctl_value_string(e, &s) == 0);
			(void)ctl_array_add_string(out, s);
			break;
		case CTL_TYPE_INT:
			if (ctl_value_int(e, &n) == 0)
				(void)ctl_array_add_int(out, n);
			else if (ctl_value_uint(e, &u) == 0)
				(void)ctl_array_add_uint(out, u);
			else
				check(false);
			break;
		case CTL_TYPE_BOOL:
			check(ctl_value_bool(e, &b) == 0);
			(void)ctl_array_add_bool(out, b);
			break;
		default:
			(void)ctl_array_add_string(out, NULL); /* null, and doubles: no writer */
			break;
		}
	}
}

static void rebuild_obj(const struct ctl_value *v, struct ctl_obj *out)
{
	const struct ctl_value *e;
	struct ctl_iter it;
	const char *key, *s;
	uint64_t u;
	int64_t n;
	bool b;

	ctl_value_iter_init(&it, v);
	while (ctl_value_iter_next(&it, &key, &e)) {
		switch (ctl_value_type(e)) {
		case CTL_TYPE_OBJECT:
			rebuild_obj(e, ctl_obj_add_obj(out, key));
			break;
		case CTL_TYPE_ARRAY:
			rebuild_array(e, ctl_obj_add_array(out, key));
			break;
		case CTL_TYPE_STRING:
			check(ctl_value_string(e, &s) == 0);
			(void)ctl_obj_add_string(out, key, s);
			break;
		case CTL_TYPE_INT:
			if (ctl_value_int(e, &n) == 0)
				(void)ctl_obj_add_int(out, key, n);
			else if (ctl_value_uint(e, &u) == 0)
				(void)ctl_obj_add_uint(out, key, u);
			else
				check(false);
			break;
		case CTL_TYPE_BOOL:
			check(ctl_value_bool(e, &b) == 0);
			(void)ctl_obj_add_bool(out, key, b);
			break;
		default:
			(void)ctl_obj_add_null(out, key);
			break;
		}
	}
}

static bool has_double(const struct ctl_value *v)
{
	const struct ctl_value *e;
	struct ctl_iter it;
	const char *key;

	if (ctl_value_type(v) == CTL_TYPE_DOUBLE)
		return true;
	for (size_t i = 0; i < ctl_value_array_len(v); i++)
		if (has_double(ctl_value_array_at(v, i)))
			return true;
	ctl_value_iter_init(&it, v);
	while (ctl_value_iter_next(&it, &key, &e))
		if (has_double(e))
			return true;
	return false;
}

static void fuzz_message(const char *line, size_t len)
{
	struct ctl_message m = { 0 }, back = { 0 };
	struct err err = { 0 };
	char *plain, *pretty, *again, *out = NULL;
	struct ctl_obj *copy;
	int r;

	r = ctl_message_parse(line, len, &m, &err);
	if (r < 0) {
		check(err.code == r && err.msg[0] != '\0' && m.root_ == NULL);
		return;
	}
	plain = ctl_value_to_json_string(m.data, false);
	pretty = ctl_value_to_json_string(m.data, true);
	check(plain && pretty);

	copy = ctl_obj_new();
	rebuild_obj(m.data, copy);
	if (m.kind == CTL_MESSAGE_REPLY && !m.is_ok) {
		ctl_obj_free(copy);
		r = ctl_reply_error(m.id, m.error, m.message, &out, NULL);
	} else if (m.kind == CTL_MESSAGE_REPLY) {
		r = ctl_reply_ok(m.id, copy, &out, NULL);
	} else if (m.kind == CTL_MESSAGE_ITEM) {
		r = ctl_item(m.id, copy, &out, NULL);
	} else {
		r = ctl_event(copy, &out, NULL);
	}
	if (r == 0) {
		check(ctl_message_parse(out, strlen(out), &back, &err) == 0);
		check(back.kind == m.kind && back.id == m.id && back.is_ok == m.is_ok &&
		      back.error == m.error && same_string(back.event_type, m.event_type));
		/* Messages past 4096 bytes are cut by the writer. */
		check(!m.message || strlen(m.message) > 4096 ||
		      same_string(back.message, m.message));
		again = ctl_value_to_json_string(back.data, false);
		check(again != NULL);
		if (!has_double(m.data))
			check(strcmp(plain, again) == 0);
		free(again);
		ctl_message_fini(&back);
		free(out);
	} else {
		check(r == -ENOMEM || r == -EMSGSIZE);
	}
	free(plain);
	free(pretty);
	ctl_message_fini(&m);
}

/* splitmix64: cheap, deterministic split points from the input itself. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void fuzz_linebuf(const char *data, size_t size)
{
	uint64_t seed = 1469598103934665603u;
	struct ctl_linebuf lb;
	size_t pos = 0, expect_start = 0;
	const char *line;
	size_t len;
	int r;

	if (size > CTL_LINE_MAX)
		return; /* the splitter would refuse the line; the unit tests cover that */
	for (size_t i = 0; i < size; i++)
		seed = (seed ^ (uint8_t)data[i]) * 1099511628211u;
	ctl_linebuf_init(&lb);
	while (pos < size) {
		size_t n = 1 + (size_t)(next_random(&seed) % (size - pos < 64 ? size - pos : 64));

		check(ctl_linebuf_feed(&lb, data + pos, n) == 0);
		pos += n;
		while ((r = ctl_linebuf_next(&lb, &line, &len)) > 0) {
			/* The same line a plain split at '\n' gives. */
			const char *nl = memchr(data + expect_start, '\n', size - expect_start);

			check(nl && (size_t)(nl - data) - expect_start == len &&
			      memcmp(line, data + expect_start, len) == 0 && line[len] == '\0');
			expect_start += len + 1;
			fuzz_request(line, len);
			fuzz_message(line, len);
		}
		check(r == 0);
	}
	check(memchr(data + expect_start, '\n', size - expect_start) == NULL);
	check(ctl_linebuf_pending(&lb) == size - expect_start);
	ctl_linebuf_fini(&lb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_request(text, size);
	fuzz_message(text, size);
	fuzz_linebuf(text, size);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control protocol codec: requests (parse, format, every error
 * sentence), the reply writer (exact bytes), the CLI's reader (shape
 * checks, accessors) and the line splitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "util/cleanup.h"

/* ---- helpers ------------------------------------------------------------ */

static void parse_ok(const char *line, struct ctl_request *req)
{
	struct err err = { 0 };
	int r = ctl_request_parse(line, strlen(line), req, &err);

	if (r < 0)
		print_message("input: %s\nerror: %s\n", line, err.msg);
	assert_int_equal(r, 0);
	assert_int_equal(req->version, 1);
}

static void expect_error_len(const char *line, size_t len, int code, const char *msg)
{
	struct ctl_request req = { .id = 4242 };
	struct err err = { 0 };
	int r = ctl_request_parse(line, len, &req, &err);

	if (r != code || strcmp(err.msg, msg) != 0)
		print_message("input: %.200s\ngot %d: %s\n", line, r, err.msg);
	assert_int_equal(r, code);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
	assert_null(req.xml);
	assert_null(req.port);
	assert_null(req.params);
}

static void expect_error(const char *line, int code, const char *msg)
{
	expect_error_len(line, strlen(line), code, msg);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- requests: every verb ---------------------------------------------- */

static void test_request_no_arg_verbs(void **state)
{
	const char *names[] = { "status", "reload", "watch", "filter.list", "binding.list" };
	const enum ctl_verb verbs[] = { CTL_VERB_STATUS, CTL_VERB_RELOAD, CTL_VERB_WATCH,
					CTL_VERB_FILTER_LIST, CTL_VERB_BINDING_LIST };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct ctl_request req;
		char line[128];

		snprintf(line, sizeof(line), "{\"version\":1,\"id\":%zu,\"verb\":\"%s\"}", i + 1,
			 names[i]);
		parse_ok(line, &req);
		assert_int_equal(req.verb, verbs[i]);
		assert_int_equal(req.id, i + 1);
		ctl_request_fini(&req);
		/* An empty args object is the same as none. */
		snprintf(line, sizeof(line), "{\"version\":1,\"verb\":\"%s\",\"args\":{}}",
			 names[i]);
		parse_ok(line, &req);
		assert_int_equal(req.verb, verbs[i]);
		assert_int_equal(req.id, 0);
		ctl_request_fini(&req);
	}
}

static void test_request_filter_verbs(void **state)
{
	struct ctl_request req;

	parse_ok(
		"{\"version\":1,\"id\":3,\"verb\":\"filter.define\",\"args\":{\"xml\":\"<filter name='a'/>\"}}",
		&req);
	assert_int_equal(req.verb, CTL_VERB_FILTER_DEFINE);
	assert_string_equal(req.xml, "<filter name='a'/>");
	assert_null(req.name);
	ctl_request_fini(&req);
	assert_null(req.xml);

	parse_ok(
		"{\"version\":1,\"verb\":\"filter.undefine\",\"args\":{\"name\":\"clean-traffic\"}}",
		&req);
	assert_int_equal(req.verb, CTL_VERB_FILTER_UNDEFINE);
	assert_string_equal(req.name, "clean-traffic");
	ctl_request_fini(&req);

	parse_ok("{\"version\":1,\"verb\":\"filter.dumpxml\",\"args\":{\"name\":\"no-spoofing\"}}",
		 &req);
	assert_int_equal(req.verb, CTL_VERB_FILTER_DUMPXML);
	assert_string_equal(req.name, "no-spoofing");
	ctl_request_fini(&req);
}

static void test_request_port_verbs(void **state)
{
	const char *names[] = { "binding.delete", "binding.show", "binding.dumpxml",
				"binding.relearn" };
	const enum ctl_verb verbs[] = { CTL_VERB_BINDING_DELETE, CTL_VERB_BINDING_SHOW,
					CTL_VERB_BINDING_DUMPXML, CTL_VERB_BINDING_RELEARN };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct ctl_request req;
		char line[128];

		snprintf(line, sizeof(line),
			 "{\"version\":1,\"verb\":\"%s\",\"args\":{\"port\":\"vnet%zu\"}}",
			 names[i], i);
		parse_ok(line, &req);
		assert_int_equal(req.verb, verbs[i]);
		assert_non_null(req.port);
		assert_int_equal(req.port[4] - '0', i);
		ctl_request_fini(&req);
	}
}

static void test_request_binding_create_xml(void **state)
{
	struct ctl_request req;

	parse_ok(
		"{\"version\":1,\"id\":9,\"verb\":\"binding.create\",\"args\":{\"xml\":\"<filterbinding/>\"}}",
		&req);
	assert_int_equal(req.verb, CTL_VERB_BINDING_CREATE);
	assert_string_equal(req.xml, "<filterbinding/>");
	assert_null(req.port);
	assert_null(req.params);
	ctl_request_fini(&req);
}

static void test_request_binding_create_fields(void **state)
{
	struct ctl_request req;

	parse_ok("{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"port\":\"vnet0\","
		 "\"mac\":\"52:54:00:00:00:01\",\"filter\":\"clean-traffic\","
		 "\"params\":{\"IP\":[\"10.0.0.1\",\"10.0.0.2\"],\"CTRL_IP_LEARNING\":[\"dhcp\"],"
		 "\"EMPTY\":[]},\"owner\":\"vm1\",\"linkdev\":\"eth0\"}}",
		 &req);
	assert_null(req.xml);
	assert_string_equal(req.port, "vnet0");
	assert_string_equal(req.mac, "52:54:00:00:00:01");
	assert_string_equal(req.filter, "clean-traffic");
	assert_string_equal(req.owner, "vm1");
	assert_string_equal(req.linkdev, "eth0");
	assert_int_equal(req.n_params, 3);
	assert_string_equal(req.params[0].name, "IP");
	assert_int_equal(req.params[0].n_values, 2);
	assert_string_equal(req.params[0].values[0], "10.0.0.1");
	assert_string_equal(req.params[0].values[1], "10.0.0.2");
	assert_string_equal(req.params[1].name, "CTRL_IP_LEARNING");
	assert_string_equal(req.params[1].values[0], "dhcp");
	assert_string_equal(req.params[2].name, "EMPTY");
	assert_int_equal(req.params[2].n_values, 0);
	ctl_request_fini(&req);

	/* Options are optional; the request may end in '\n' and carry whitespace. */
	parse_ok(
		" { \"verb\" : \"binding.create\" , \"version\" : 1 , \"args\" : { \"port\" : \"p\","
		" \"mac\" : \"m\", \"filter\" : \"f\" } }\n",
		&req);
	assert_string_equal(req.port, "p");
	assert_null(req.params);
	assert_int_equal(req.n_params, 0);
	ctl_request_fini(&req);
}

static void test_request_binding_create_forms(void **state)
{
	expect_error(
		"{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"xml\":\"x\",\"port\":\"p\"}}",
		-EINVAL,
		"request: binding.create takes \"args.xml\" or \"args.port\", \"args.mac\", \"args.filter\", not both (got \"args.xml\" and \"args.port\")");
	expect_error(
		"{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"owner\":\"o\",\"xml\":\"x\"}}",
		-EINVAL,
		"request: binding.create takes \"args.xml\" or \"args.port\", \"args.mac\", \"args.filter\", not both (got \"args.xml\" and \"args.owner\")");
	expect_error(
		"{\"version\":1,\"verb\":\"binding.create\"}", -EINVAL,
		"request: binding.create needs \"args.xml\", or \"args.port\", \"args.mac\" and \"args.filter\"");
	expect_error(
		"{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"owner\":\"o\"}}", -EINVAL,
		"request: binding.create needs \"args.xml\", or \"args.port\", \"args.mac\" and \"args.filter\"");
	expect_error(
		"{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"port\":\"p\",\"filter\":\"f\"}}",
		-EINVAL,
		"request: \"args.mac\" missing (required by binding.create without \"args.xml\")");
}

/* ---- requests: error sentences ------------------------------------------ */

static void test_request_not_json(void **state)
{
	expect_error("{\"version\":1,\"verb\":\"status\"", -EINVAL,
		     "request: not JSON (unexpected end of input at byte 28)");
	expect_error("", -EINVAL, "request: not JSON (unexpected end of input at byte 0)");
	expect_error("\n", -EINVAL, "request: not JSON (unexpected end of input at byte 0)");
	expect_error("{\"version\":1,}", -EINVAL,
		     "request: not JSON (unexpected character at byte 13)");
	expect_error("{\"version\" 1}", -EINVAL,
		     "request: not JSON (object property name separator ':' expected at byte 11)");
	expect_error("{\"version\":1} {}", -EINVAL,
		     "request: not JSON (unexpected character at byte 14)");
	expect_error("{\"version\":1}\n{}", -EINVAL,
		     "request: not JSON (unexpected character at byte 14)");
	/* What json-c's strict mode still lets through. */
	expect_error("{'version':1}", -EINVAL,
		     "request: not JSON (unexpected character at byte 1)");
	expect_error("{\"version\":NaN}", -EINVAL,
		     "request: not JSON (unexpected character at byte 11)");
	expect_error("{\"version\":-Infinity}", -EINVAL,
		     "request: not JSON (unexpected character at byte 12)");
	expect_error("{\"version\":1.}", -EINVAL,
		     "request: not JSON (unexpected character at byte 12)");
	expect_error("{\"verb\":\"a\tb\"}", -EINVAL,
		     "request: not JSON (unescaped control character 0x09 in a string at byte 10)");
	expect_error("{\"verb\":\"\\x\"}", -EINVAL,
		     "request: not JSON (invalid string sequence at byte 10)");
}

static void test_request_not_object(void **state)
{
	expect_error("[1,2]", -EINVAL, "request: expected a JSON object, got an array");
	expect_error("123", -EINVAL, "request: expected a JSON object, got an integer");
	expect_error("  \"status\"  ", -EINVAL, "request: expected a JSON object, got a string");
	expect_error("null", -EINVAL, "request: expected a JSON object, got null");
	expect_error("true", -EINVAL, "request: expected a JSON object, got a boolean");
}

static void test_request_nul_and_utf8(void **state)
{
	const char nul_line[] = "{\"version\":1,\0\"verb\":\"status\"}";

	expect_error_len(nul_line, sizeof(nul_line) - 1, -EINVAL, "request: NUL byte at byte 13");
	expect_error("{\"version\":1,\"verb\":\"sta\\u0000tus\"}", -EINVAL,
		     "request: NUL character (\\u0000) in a string at byte 24");
	expect_error("{\"version\":1,\"verb\":\"status\",\"args\":{\"po\\u0000rt\":\"x\"}}",
		     -EINVAL, "request: NUL character (\\u0000) in a string at byte 40");
	/* An escaped backslash before "u0000" is not an escape of it. */
	expect_error(
		"{\"version\":1,\"verb\":\"a\\\\u0000\"}", -ENOSYS,
		"request: unknown verb 'a\\x5cu0000' (known: status, reload, watch, filter.define, filter.undefine, filter.list, filter.dumpxml, binding.create, binding.delete, binding.list, binding.show, binding.dumpxml, binding.relearn, binding.verify, stats, metrics)");
	expect_error("{\"version\":1,\"verb\":\"\xff\"}", -EINVAL,
		     "request: not UTF-8 (byte 0xff at byte 21)");
	expect_error("{\"version\":1,\"verb\":\"\xc0\x80\"}", -EINVAL,
		     "request: not UTF-8 (byte 0xc0 at byte 21)"); /* overlong NUL */
	expect_error("{\"version\":1,\"verb\":\"\xed\xa0\x80\"}", -EINVAL,
		     "request: not UTF-8 (byte 0xed at byte 21)"); /* surrogate */
	expect_error("{\"version\":1,\"verb\":\"\xe2\x82\"}", -EINVAL,
		     "request: not UTF-8 (byte 0xe2 at byte 21)"); /* truncated */
	/* Valid multi-byte text passes through to the verb check, quoted safely. */
	expect_error(
		"{\"version\":1,\"verb\":\"st\xc3\xa4tus\"}", -ENOSYS,
		"request: unknown verb 'st\\xc3\\xa4tus' (known: status, reload, watch, filter.define, filter.undefine, filter.list, filter.dumpxml, binding.create, binding.delete, binding.list, binding.show, binding.dumpxml, binding.relearn, binding.verify, stats, metrics)");
}

static void test_request_version(void **state)
{
	expect_error("{\"verb\":\"status\"}", -EINVAL, "request: \"version\" missing");
	expect_error("{\"version\":2,\"verb\":\"status\"}", -EPROTO,
		     "request: unsupported version 2 (this daemon speaks 1)");
	expect_error("{\"version\":0}", -EPROTO,
		     "request: unsupported version 0 (this daemon speaks 1)");
	expect_error("{\"version\":99999999999999999999}", -EPROTO,
		     "request: unsupported version 18446744073709551615 (this daemon speaks 1)");
	expect_error("{\"version\":\"1\",\"verb\":\"status\"}", -EINVAL,
		     "request: version: expected an integer, got a string");
	expect_error("{\"version\":1.0,\"verb\":\"status\"}", -EINVAL,
		     "request: version: expected an integer, got a number");
	/* The version is checked before anything a later version may change. */
	expect_error("{\"version\":2,\"verb\":\"frobnicate\",\"extra\":1}", -EPROTO,
		     "request: unsupported version 2 (this daemon speaks 1)");
}

static void test_request_id(void **state)
{
	struct ctl_request req;

	parse_ok("{\"version\":1,\"id\":9007199254740991,\"verb\":\"status\"}", &req);
	assert_int_equal(req.id, CTL_ID_MAX);
	ctl_request_fini(&req);
	expect_error("{\"version\":1,\"id\":9007199254740992,\"verb\":\"status\"}", -EINVAL,
		     "request: id: expected an integer 0..9007199254740991, got 9007199254740992");
	expect_error("{\"version\":1,\"id\":-1,\"verb\":\"status\"}", -EINVAL,
		     "request: id: expected an integer 0..9007199254740991, got -1");
	expect_error("{\"version\":1,\"id\":1e3,\"verb\":\"status\"}", -EINVAL,
		     "request: id: expected an integer 0..9007199254740991, got a number");
	expect_error("{\"version\":1,\"id\":\"7\",\"verb\":\"status\"}", -EINVAL,
		     "request: id: expected an integer 0..9007199254740991, got a string");
	/* Saturated by json-c, still refused. */
	expect_error(
		"{\"version\":1,\"id\":123456789012345678901234567890,\"verb\":\"status\"}",
		-EINVAL,
		"request: id: expected an integer 0..9007199254740991, got 18446744073709551615");
	expect_error(
		"{\"version\":1,\"id\":-123456789012345678901234567890,\"verb\":\"status\"}",
		-EINVAL,
		"request: id: expected an integer 0..9007199254740991, got -9223372036854775808");
}

static void test_request_id_echoed_on_failure(void **state)
{
	const char *line = "{\"version\":1,\"id\":77,\"verb\":\"frobnicate\"}";
	struct ctl_request req = { .id = 5 };
	struct err err = { 0 };

	assert_int_equal(ctl_request_parse(line, strlen(line), &req, &err), -ENOSYS);
	assert_int_equal(req.id, 77);
	line = "{\"version\":1,\"id\":\"x\",\"verb\":\"status\"}";
	assert_int_equal(ctl_request_parse(line, strlen(line), &req, &err), -EINVAL);
	assert_int_equal(req.id, 0);
	line = "not json";
	req.id = 5;
	assert_int_equal(ctl_request_parse(line, strlen(line), &req, NULL), -EINVAL);
	assert_int_equal(req.id, 0);
}

static void test_request_verb(void **state)
{
	expect_error("{\"version\":1}", -EINVAL, "request: \"verb\" missing");
	expect_error("{\"version\":1,\"id\":1,\"args\":{}}", -EINVAL, "request: \"verb\" missing");
	expect_error("{\"version\":1,\"verb\":5}", -EINVAL,
		     "request: verb: expected a string, got an integer");
	expect_error("{\"version\":1,\"verb\":null}", -EINVAL,
		     "request: verb: expected a string, got null");
	expect_error(
		"{\"version\":1,\"verb\":\"frobnicate\"}", -ENOSYS,
		"request: unknown verb 'frobnicate' (known: status, reload, watch, filter.define, filter.undefine, filter.list, filter.dumpxml, binding.create, binding.delete, binding.list, binding.show, binding.dumpxml, binding.relearn, binding.verify, stats, metrics)");
	expect_error(
		"{\"version\":1,\"verb\":\"STATUS\"}", -ENOSYS,
		"request: unknown verb 'STATUS' (known: status, reload, watch, filter.define, filter.undefine, filter.list, filter.dumpxml, binding.create, binding.delete, binding.list, binding.show, binding.dumpxml, binding.relearn, binding.verify, stats, metrics)");
	/* Long and hostile verbs are cut and escaped in the message. */
	expect_error(
		"{\"version\":1,\"verb\":\"\\n\\u001b[31m'x\"}", -ENOSYS,
		"request: unknown verb '\\x0a\\x1b[31m\\x27x' (known: status, reload, watch, filter.define, filter.undefine, filter.list, filter.dumpxml, binding.create, binding.delete, binding.list, binding.show, binding.dumpxml, binding.relearn, binding.verify, stats, metrics)");
	expect_error(
		"{\"version\":1,\"verb\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		-ENOSYS,
		"request: unknown verb 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (known: status, reload, watch, filter.define, filter.undefine, filter.list, filter.dumpxml, binding.create, binding.delete, binding.list, binding.show, binding.dumpxml, binding.relearn, binding.verify, stats, metrics)");
	expect_error(
		"{\"version\":1,\"verb\":\"\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\"}",
		-ENOSYS,
		"request: unknown verb '\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01...' (known: status, reload, watch, filter.define, filter.undefine, filter.list, filter.dumpxml, binding.create, binding.delete, binding.list, binding.show, binding.dumpxml, binding.relearn, binding.verify, stats, metrics)");
}

static void test_request_keys_and_types(void **state)
{
	expect_error("{\"version\":1,\"verb\":\"status\",\"argz\":{}}", -EINVAL,
		     "request: unknown key 'argz' (known: version, id, verb, args)");
	expect_error("{\"version\":1,\"verb\":\"status\",\"args\":[]}", -EINVAL,
		     "request: args: expected an object, got an array");
	expect_error("{\"version\":1,\"verb\":\"status\",\"args\":null}", -EINVAL,
		     "request: args: expected an object, got null");
	expect_error("{\"version\":1,\"verb\":\"status\",\"args\":{\"force\":true}}", -EINVAL,
		     "request: unknown key 'args.force' (status takes no args)");
	expect_error(
		"{\"version\":1,\"verb\":\"binding.show\",\"args\":{\"port\":\"p\",\"name\":\"n\"}}",
		-EINVAL, "request: unknown key 'args.name' for binding.show (known: port)");
	expect_error(
		"{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"ip\":\"1.2.3.4\"}}",
		-EINVAL,
		"request: unknown key 'args.ip' for binding.create (known: xml, port, mac, filter, params, owner, linkdev, on_failure, learned)");
	expect_error("{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"xml\":\"<a/>\","
		     "\"on_failure\":\"stay\"}}",
		     -EINVAL,
		     "request: \"args.on_failure\" is \"down\" or \"keep-up\", not \"stay\"");
	expect_error("{\"version\":1,\"verb\":\"binding.verify\",\"args\":{\"name\":\"n\"}}",
		     -EINVAL, "request: unknown key 'args.name' for binding.verify (known: port)");
	expect_error("{\"version\":1,\"verb\":\"binding.show\",\"args\":{\"port\":5}}", -EINVAL,
		     "request: args.port: expected a string, got an integer");
	expect_error("{\"version\":1,\"verb\":\"binding.show\",\"args\":{\"port\":null}}", -EINVAL,
		     "request: args.port: expected a string, got null");
	expect_error("{\"version\":1,\"verb\":\"filter.define\",\"args\":{\"xml\":[\"<a/>\"]}}",
		     -EINVAL, "request: args.xml: expected a string, got an array");
	expect_error("{\"version\":1,\"verb\":\"binding.show\"}", -EINVAL,
		     "request: \"args.port\" missing (required by binding.show)");
	expect_error("{\"version\":1,\"verb\":\"filter.undefine\",\"args\":{}}", -EINVAL,
		     "request: \"args.name\" missing (required by filter.undefine)");
	expect_error("{\"version\":1,\"verb\":\"filter.define\",\"args\":{\"name\":\"x\"}}",
		     -EINVAL,
		     "request: unknown key 'args.name' for filter.define (known: xml, on_failure)");
}

static void test_request_params_errors(void **state)
{
#define CREATE(params)                                                                       \
	"{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"port\":\"p\",\"mac\":\"m\"," \
	"\"filter\":\"f\",\"params\":" params "}}"
	expect_error(CREATE("[]"), -EINVAL,
		     "request: args.params: expected an object, got an array");
	expect_error(CREATE("{\"IP\":\"10.0.0.1\"}"), -EINVAL,
		     "request: args.params['IP']: expected an array, got a string");
	expect_error(CREATE("{\"IP\":[\"10.0.0.1\",7]}"), -EINVAL,
		     "request: args.params['IP'][1]: expected a string, got an integer");
	expect_error(CREATE("{\"A\":[],\"I'P\":[null]}"), -EINVAL,
		     "request: args.params['I\\x27P'][0]: expected a string, got null");
#undef CREATE
}

/* ---- requests: limits ---------------------------------------------------- */

static char *line_with_xml(size_t xml_len)
{
	const char *head = "{\"version\":1,\"verb\":\"filter.define\",\"args\":{\"xml\":\"";
	size_t hlen = strlen(head);
	char *line = malloc(hlen + xml_len + 4);

	assert_non_null(line);
	memcpy(line, head, hlen);
	memset(line + hlen, 'x', xml_len);
	memcpy(line + hlen + xml_len, "\"}}", 4);
	return line;
}

static void test_request_string_limit(void **state)
{
	struct ctl_request req;
	char *line = line_with_xml(CTL_STRING_MAX);

	parse_ok(line, &req);
	assert_int_equal(strlen(req.xml), CTL_STRING_MAX);
	ctl_request_fini(&req);
	free(line);
	line = line_with_xml(CTL_STRING_MAX + 1);
	expect_error(line, -E2BIG, "request: args.xml: string longer than 2097152 bytes");
	free(line);
}

static void test_request_line_limit(void **state)
{
	const char *obj = "{\"version\":1,\"verb\":\"status\"}";
	char *line = malloc(CTL_LINE_MAX + 3);
	struct ctl_request req;

	/* Whitespace is JSON too: pad a valid request to exactly the limit. */
	assert_non_null(line);
	memset(line, ' ', CTL_LINE_MAX + 2);
	memcpy(line, obj, strlen(obj));
	line[CTL_LINE_MAX] = '\0';
	parse_ok(line, &req);
	ctl_request_fini(&req);
	line[CTL_LINE_MAX] = '\n'; /* the newline does not count */
	line[CTL_LINE_MAX + 1] = '\0';
	parse_ok(line, &req);
	ctl_request_fini(&req);
	line[CTL_LINE_MAX] = ' ';
	expect_error(line, -EMSGSIZE, "request: line longer than 4194304 bytes");
	free(line);
}

static void test_request_params_limits(void **state)
{
	const char *head = "{\"version\":1,\"verb\":\"binding.create\",\"args\":{\"port\":\"p\","
			   "\"mac\":\"m\",\"filter\":\"f\",\"params\":{";
	static char line[64 * 1024];
	struct ctl_request req;
	size_t o;

	/* 256 names pass, 257 do not. */
	for (size_t n = CTL_PARAMS_MAX; n <= CTL_PARAMS_MAX + 1; n++) {
		o = (size_t)sprintf(line, "%s", head);
		for (size_t i = 0; i < n; i++)
			o += (size_t)sprintf(line + o, "%s\"V%zu\":[\"x\"]", i ? "," : "", i);
		strcpy(line + o, "}}}");
		if (n == CTL_PARAMS_MAX) {
			parse_ok(line, &req);
			assert_int_equal(req.n_params, CTL_PARAMS_MAX);
			assert_string_equal(req.params[255].name, "V255");
			ctl_request_fini(&req);
		} else {
			expect_error(line, -E2BIG, "request: args.params: more than 256 names");
		}
	}
	/* 1024 values pass, 1025 do not. */
	for (size_t n = CTL_PARAM_VALUES_MAX; n <= CTL_PARAM_VALUES_MAX + 1; n++) {
		o = (size_t)sprintf(line, "%s\"IP\":[", head);
		for (size_t i = 0; i < n; i++)
			o += (size_t)sprintf(line + o, "%s\"%zu\"", i ? "," : "", i);
		strcpy(line + o, "]}}}");
		if (n == CTL_PARAM_VALUES_MAX) {
			parse_ok(line, &req);
			assert_int_equal(req.params[0].n_values, CTL_PARAM_VALUES_MAX);
			assert_string_equal(req.params[0].values[1023], "1023");
			ctl_request_fini(&req);
		} else {
			expect_error(line, -E2BIG,
				     "request: args.params['IP']: more than 1024 values");
		}
	}
}

static void test_request_depth(void **state)
{
	char line[256];
	size_t o;

	/*
	 * The root, args and 13 arrays around a scalar make 16 levels, counting
	 * the scalar: accepted (and then refused for the key). One more array is not.
	 */
	for (int arrays = 13; arrays <= 14; arrays++) {
		o = (size_t)sprintf(line, "{\"version\":1,\"verb\":\"status\",\"args\":{\"x\":");
		for (int i = 0; i < arrays; i++)
			line[o++] = '[';
		line[o++] = '1';
		for (int i = 0; i < arrays; i++)
			line[o++] = ']';
		strcpy(line + o, "}}");
		if (arrays == 13)
			expect_error(line, -EINVAL,
				     "request: unknown key 'args.x' (status takes no args)");
		else
			expect_error(line, -EINVAL,
				     "request: JSON nested deeper than 16 levels (at byte 55)");
	}
	/* A deep bomb stops at the limit, long before its end. */
	char *bomb = repeat('[', 100000);

	expect_error(bomb, -EINVAL, "request: JSON nested deeper than 16 levels (at byte 16)");
	free(bomb);
}

/* ---- requests: format and round trip -------------------------------------- */

static char *format_ok(const struct ctl_request *req)
{
	struct err err = { 0 };
	char *line = NULL;
	int r = ctl_request_format(req, &line, &err);

	if (r < 0)
		print_message("format: %s\n", err.msg);
	assert_int_equal(r, 0);
	return line;
}

static void assert_same_request(const struct ctl_request *a, const struct ctl_request *b)
{
	char *const *fa[] = { &a->xml,    &a->name,  &a->port,   &a->mac,
			      &a->filter, &a->owner, &a->linkdev };
	char *const *fb[] = { &b->xml,    &b->name,  &b->port,   &b->mac,
			      &b->filter, &b->owner, &b->linkdev };

	assert_int_equal(a->verb, b->verb);
	assert_int_equal(a->id, b->id);
	for (size_t i = 0; i < ARRAY_SIZE(fa); i++) {
		if (!*fa[i] || !*fb[i])
			assert_ptr_equal(*fa[i], *fb[i]);
		else
			assert_string_equal(*fa[i], *fb[i]);
	}
	assert_int_equal(a->n_params, b->n_params);
	assert_int_equal(!a->params, !b->params);
	for (size_t i = 0; i < a->n_params; i++) {
		assert_string_equal(a->params[i].name, b->params[i].name);
		assert_int_equal(a->params[i].n_values, b->params[i].n_values);
		for (size_t j = 0; j < a->params[i].n_values; j++)
			assert_string_equal(a->params[i].values[j], b->params[i].values[j]);
	}
}

static void roundtrip(const struct ctl_request *req, const char *expected)
{
	struct ctl_request back;
	char *line = format_ok(req);

	if (expected)
		assert_string_equal(line, expected);
	parse_ok(line, &back);
	assert_same_request(req, &back);
	ctl_request_fini(&back);
	free(line);
}

static void test_request_format_exact(void **state)
{
	char *ip_values[] = { "10.0.0.1", "10.0.0.2" }, *learn[] = { "dhcp" };
	struct ctl_param params[] = {
		{ .name = "IP", .values = ip_values, .n_values = 2 },
		{ .name = "CTRL_IP_LEARNING", .values = learn, .n_values = 1 },
	};
	struct ctl_request req = { .verb = CTL_VERB_STATUS, .id = 1 };

	roundtrip(&req, "{\"version\":1,\"id\":1,\"verb\":\"status\"}\n");
	req = (struct ctl_request){ .verb = CTL_VERB_BINDING_SHOW, .id = 2, .port = "vnet/0" };
	roundtrip(
		&req,
		"{\"version\":1,\"id\":2,\"verb\":\"binding.show\",\"args\":{\"port\":\"vnet/0\"}}\n");
	req = (struct ctl_request){ .verb = CTL_VERB_BINDING_CREATE,
				    .id = CTL_ID_MAX,
				    .port = "vnet0",
				    .mac = "52:54:00:00:00:01",
				    .filter = "clean-traffic",
				    .owner = "vm \"one\"",
				    .linkdev = "eth0",
				    .params = params,
				    .n_params = 2 };
	roundtrip(&req,
		  "{\"version\":1,\"id\":9007199254740991,\"verb\":\"binding.create\",\"args\":{"
		  "\"port\":\"vnet0\",\"mac\":\"52:54:00:00:00:01\",\"filter\":\"clean-traffic\","
		  "\"params\":{\"IP\":[\"10.0.0.1\",\"10.0.0.2\"],\"CTRL_IP_LEARNING\":[\"dhcp\"]},"
		  "\"owner\":\"vm \\\"one\\\"\",\"linkdev\":\"eth0\"}}\n");
	/* Present but empty params stay present. */
	req.params = params;
	req.n_params = 0;
	roundtrip(&req, NULL);
}

static void test_request_format_every_verb(void **state)
{
	for (int v = 0; v < _CTL_VERB_MAX; v++) {
		struct ctl_request req = { .verb = (enum ctl_verb)v, .id = (uint64_t)v * 1000 };

		switch (req.verb) {
		case CTL_VERB_FILTER_DEFINE:
			req.xml = "<filter name='x' chain='root'>\n\t<rule/>\n</filter>\n";
			break;
		case CTL_VERB_FILTER_UNDEFINE:
		case CTL_VERB_FILTER_DUMPXML:
			req.name = "allow-arp";
			break;
		case CTL_VERB_BINDING_CREATE:
			req.xml = "<filterbinding>\xc3\xa9</filterbinding>";
			break;
		case CTL_VERB_BINDING_DELETE:
		case CTL_VERB_BINDING_SHOW:
		case CTL_VERB_BINDING_DUMPXML:
		case CTL_VERB_BINDING_RELEARN:
			req.port = "tap0";
			break;
		default:
			break;
		}
		roundtrip(&req, NULL);
		assert_int_equal(ctl_verb_from_string(ctl_verb_to_string(req.verb)), v);
	}
	assert_null(ctl_verb_to_string(_CTL_VERB_MAX));
	assert_int_equal(ctl_verb_from_string("binding"), -ENOSYS);
}

static void expect_format_error(const struct ctl_request *req, int code, const char *msg)
{
	struct err err = { 0 };
	char *line = (char *)"untouched";

	assert_int_equal(ctl_request_format(req, &line, &err), code);
	assert_string_equal(err.msg, msg);
	assert_string_equal(line, "untouched");
}

static void test_request_format_errors(void **state)
{
	char *v[] = { "1" };
	struct ctl_param dup[] = { { .name = "A", .values = v, .n_values = 1 },
				   { .name = "A", .values = v, .n_values = 1 } };
	struct ctl_request req = { .verb = CTL_VERB_STATUS, .name = "x" };
	char *big;

	expect_format_error(&req, -EINVAL,
			    "request: unknown key 'args.name' (status takes no args)");
	req = (struct ctl_request){ .verb = CTL_VERB_BINDING_SHOW };
	expect_format_error(&req, -EINVAL,
			    "request: \"args.port\" missing (required by binding.show)");
	req = (struct ctl_request){ .verb = _CTL_VERB_MAX };
	expect_format_error(&req, -EINVAL, "request: verb 16 out of range");
	req = (struct ctl_request){ .verb = CTL_VERB_STATUS, .id = CTL_ID_MAX + 1 };
	expect_format_error(
		&req, -EINVAL,
		"request: id: expected an integer 0..9007199254740991, got 9007199254740992");
	req = (struct ctl_request){ .verb = CTL_VERB_BINDING_CREATE,
				    .port = "p",
				    .mac = "m",
				    .filter = "f",
				    .params = dup,
				    .n_params = 2 };
	expect_format_error(&req, -EINVAL, "request: args.params: duplicate name 'A'");
	req = (struct ctl_request){ .verb = CTL_VERB_BINDING_CREATE, .xml = "<x/>", .owner = "o" };
	expect_format_error(
		&req, -EINVAL,
		"request: binding.create takes \"args.xml\" or \"args.port\", \"args.mac\", \"args.filter\", not both (got \"args.xml\" and \"args.owner\")");
	req = (struct ctl_request){ .verb = CTL_VERB_FILTER_DEFINE, .xml = "caf\xe9" };
	expect_format_error(&req, -EINVAL, "request: not UTF-8 (byte 0xe9 at byte 61)");
	big = repeat('x', CTL_STRING_MAX + 1);
	req = (struct ctl_request){ .verb = CTL_VERB_FILTER_DEFINE, .xml = big };
	expect_format_error(&req, -E2BIG, "request: args.xml: string longer than 2097152 bytes");
	free(big);
	big = repeat('"', CTL_STRING_MAX + 1); /* escaping doubles it past the line limit */
	req = (struct ctl_request){ .verb = CTL_VERB_FILTER_DEFINE, .xml = big };
	expect_format_error(&req, -EMSGSIZE, "request: line longer than 4194304 bytes");
	free(big);
}

/* ---- writer ------------------------------------------------------------- */

static void test_writer_reply_ok_exact(void **state)
{
	struct ctl_obj *data = ctl_obj_new(), *child, *elem;
	struct ctl_array *arr, *inner;
	char *line = NULL;
	size_t len = 0;

	assert_int_equal(ctl_obj_add_string(data, "name", "clean/traffic \"x\"\n"), 0);
	assert_int_equal(ctl_obj_add_int(data, "neg", -5), 0);
	assert_int_equal(ctl_obj_add_uint(data, "big", UINT64_MAX), 0);
	assert_int_equal(ctl_obj_add_bool(data, "up", true), 0);
	assert_int_equal(ctl_obj_add_null(data, "none"), 0);
	assert_int_equal(ctl_obj_add_string(data, "also_none", NULL), 0);
	child = ctl_obj_add_obj(data, "child");
	assert_int_equal(ctl_obj_add_bool(child, "down", false), 0);
	arr = ctl_obj_add_array(data, "list");
	assert_int_equal(ctl_array_add_string(arr, "a"), 0);
	assert_int_equal(ctl_array_add_int(arr, 2), 0);
	assert_int_equal(ctl_array_add_string(arr, NULL), 0);
	elem = ctl_array_add_obj(arr);
	assert_int_equal(ctl_obj_add_string(elem, "k", "v"), 0);
	inner = ctl_array_add_array(arr);
	assert_int_equal(ctl_array_add_int(inner, 0), 0);
	assert_int_equal(ctl_obj_add_int(data, "neg", -6), 0); /* replaces, keeps its place */
	assert_int_equal(ctl_reply_ok(42, data, &line, &len), 0);
	assert_string_equal(
		line,
		"{\"version\":1,\"id\":42,\"ok\":true,\"data\":{\"name\":\"clean/traffic \\\"x\\\"\\n\","
		"\"neg\":-6,\"big\":18446744073709551615,\"up\":true,\"none\":null,"
		"\"also_none\":null,\"child\":{\"down\":false},"
		"\"list\":[\"a\",2,null,{\"k\":\"v\"},[0]]}}\n");
	assert_int_equal(len, strlen(line));
	free(line);

	assert_int_equal(ctl_reply_ok(0, NULL, &line, NULL), 0);
	assert_string_equal(line, "{\"version\":1,\"id\":0,\"ok\":true,\"data\":{}}\n");
	free(line);
}

static void test_writer_item_event_count(void **state)
{
	struct ctl_obj *o = ctl_obj_new();
	char *line;

	ctl_obj_add_string(o, "port", "vnet0");
	assert_int_equal(ctl_item(7, o, &line, NULL), 0);
	assert_string_equal(line, "{\"version\":1,\"id\":7,\"item\":{\"port\":\"vnet0\"}}\n");
	free(line);

	o = ctl_obj_new();
	ctl_obj_add_string(o, "type", "learned");
	ctl_obj_add_string(o, "port", "vnet0");
	ctl_obj_add_string(o, "ip", "10.0.0.5");
	assert_int_equal(ctl_event(o, &line, NULL), 0);
	assert_string_equal(
		line,
		"{\"version\":1,\"event\":{\"type\":\"learned\",\"port\":\"vnet0\",\"ip\":\"10.0.0.5\"}}\n");
	free(line);

	assert_int_equal(ctl_reply_count(7, 3, &line, NULL), 0);
	assert_string_equal(line, "{\"version\":1,\"id\":7,\"ok\":true,\"data\":{\"count\":3}}\n");
	free(line);
}

static void test_writer_reply_error(void **state)
{
	char *line, *longmsg, *expected;
	size_t len;

	assert_int_equal(ctl_reply_error(3, -ENOENT, "binding 'vnet9' not found", &line, NULL), 0);
	assert_string_equal(
		line,
		"{\"version\":1,\"id\":3,\"ok\":false,\"error\":\"ENOENT\",\"message\":\"binding 'vnet9' not found\"}\n");
	free(line);
	/* Outside the table: EIO. */
	assert_int_equal(ctl_reply_error(3, -ENETDOWN, "down", &line, NULL), 0);
	assert_string_equal(
		line,
		"{\"version\":1,\"id\":3,\"ok\":false,\"error\":\"EIO\",\"message\":\"down\"}\n");
	free(line);
	assert_int_equal(ctl_reply_error(0, -EMSGSIZE, NULL, &line, NULL), 0);
	assert_string_equal(
		line,
		"{\"version\":1,\"id\":0,\"ok\":false,\"error\":\"EMSGSIZE\",\"message\":\"\"}\n");
	free(line);
	/* Long messages are cut at 4096 bytes, on a character boundary. */
	longmsg = repeat('a', 10000);
	memcpy(longmsg + 4095, "\xc3\xa9", 2);
	assert_int_equal(ctl_reply_error(1, -EIO, longmsg, &line, &len), 0);
	expected = malloc(8000);
	sprintf(expected,
		"{\"version\":1,\"id\":1,\"ok\":false,\"error\":\"EIO\",\"message\":\"%.4095s\"}\n",
		longmsg);
	assert_string_equal(line, expected);
	free(expected);
	free(longmsg);
	free(line);
}

static void test_writer_utf8_repair(void **state)
{
	struct ctl_obj *o = ctl_obj_new();
	char *line;

	ctl_obj_add_string(o, "name", "ok\xc3\xa9 bad\xff\xfe end\xe2\x82");
	ctl_obj_add_string(o, "k\x80", "v");
	assert_int_equal(ctl_item(1, o, &line, NULL), 0);
	assert_string_equal(
		line,
		"{\"version\":1,\"id\":1,\"item\":{\"name\":\"ok\xc3\xa9 bad\xef\xbf\xbd\xef\xbf\xbd end\xef\xbf\xbd\xef\xbf\xbd\",\"k\xef\xbf\xbd\":\"v\"}}\n");
	free(line);
}

static void test_writer_null_propagation_and_size(void **state)
{
	struct ctl_obj *data = ctl_obj_new();
	char *big = repeat('\x01', CTL_LINE_MAX / 6 + 1), *line = (char *)"untouched";

	/* A failed child (here: a NULL parent) makes every later add fail, without crashing. */
	assert_null(ctl_obj_add_obj(NULL, "x"));
	assert_null(ctl_obj_add_array(NULL, "x"));
	assert_null(ctl_array_add_obj(NULL));
	assert_null(ctl_array_add_array(NULL));
	assert_int_equal(ctl_obj_add_string(NULL, "k", "v"), -ENOMEM);
	assert_int_equal(ctl_obj_add_int(NULL, "k", 1), -ENOMEM);
	assert_int_equal(ctl_obj_add_null(NULL, "k"), -ENOMEM);
	assert_int_equal(ctl_array_add_string(NULL, "v"), -ENOMEM);
	assert_int_equal(ctl_array_add_string(NULL, NULL), -ENOMEM);
	assert_null(ctl_obj_free(NULL));
	/* \u0001 is six bytes on the wire: past the line limit. */
	assert_int_equal(ctl_obj_add_string(data, "xml", big), 0);
	assert_int_equal(ctl_reply_ok(1, data, &line, NULL), -EMSGSIZE);
	assert_string_equal(line, "untouched");
	free(big);
}

static void test_errno_table(void **state)
{
	const int all[] = { EINVAL, ENOENT, EEXIST, EBUSY,     EPERM,     EACCES,
			    E2BIG,  ENOMEM, EIO,    ELOOP,     ENOSPC,    EPROTO,
			    ENOSYS, ENODEV, EAGAIN, ECANCELED, ETIMEDOUT, EMSGSIZE };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		const char *name = ctl_errno_to_name(-all[i]);

		assert_non_null(name);
		assert_string_equal(ctl_errno_to_name(all[i]), name);
		assert_int_equal(ctl_errno_from_name(name), -all[i]);
	}
	assert_string_equal(ctl_errno_to_name(-ETIMEDOUT), "ETIMEDOUT");
	assert_null(ctl_errno_to_name(-ENETDOWN));
	assert_null(ctl_errno_to_name(0));
	assert_null(ctl_errno_to_name(100000));
	assert_int_equal(ctl_errno_from_name("ENETDOWN"), 0);
	assert_int_equal(ctl_errno_from_name(""), 0);
}

/* ---- reader --------------------------------------------------------------- */

static void message_ok(const char *line, struct ctl_message *msg)
{
	struct err err = { 0 };
	int r = ctl_message_parse(line, strlen(line), msg, &err);

	if (r < 0)
		print_message("input: %s\nerror: %s\n", line, err.msg);
	assert_int_equal(r, 0);
}

static void expect_message_error(const char *line, int code, const char *msg)
{
	struct ctl_message m = { .id = 99 };
	struct err err = { 0 };
	int r = ctl_message_parse(line, strlen(line), &m, &err);

	if (r != code || strcmp(err.msg, msg) != 0)
		print_message("input: %.200s\ngot %d: %s\n", line, r, err.msg);
	assert_int_equal(r, code);
	assert_string_equal(err.msg, msg);
	assert_int_equal(m.id, 99);
	assert_null(m.root_);
}

static void test_message_classify(void **state)
{
	struct ctl_message m;
	int64_t count;

	message_ok("{\"version\":1,\"id\":5,\"ok\":true,\"data\":{\"count\":2}}\n", &m);
	assert_int_equal(m.kind, CTL_MESSAGE_REPLY);
	assert_int_equal(m.id, 5);
	assert_true(m.is_ok);
	assert_int_equal(ctl_value_member_int(m.data, "data", "count", &count, NULL), 0);
	assert_int_equal(count, 2);
	ctl_message_fini(&m);
	assert_null(m.root_);
	ctl_message_fini(&m); /* twice is fine */
	ctl_message_fini(NULL);

	message_ok(
		"{\"version\":1,\"id\":6,\"ok\":false,\"error\":\"EEXIST\",\"message\":\"filter 'a' exists\"}",
		&m);
	assert_int_equal(m.kind, CTL_MESSAGE_REPLY);
	assert_false(m.is_ok);
	assert_int_equal(m.error, -EEXIST);
	assert_string_equal(m.error_name, "EEXIST");
	assert_string_equal(m.message, "filter 'a' exists");
	assert_null(m.data);
	ctl_message_fini(&m);

	/* A name this client does not know still reads, as EIO. */
	message_ok("{\"version\":1,\"id\":6,\"ok\":false,\"error\":\"ENETDOWN\",\"message\":\"\"}",
		   &m);
	assert_int_equal(m.error, -EIO);
	assert_string_equal(m.error_name, "ENETDOWN");
	ctl_message_fini(&m);

	message_ok("{\"version\":1,\"id\":7,\"item\":{\"port\":\"vnet0\"}}", &m);
	assert_int_equal(m.kind, CTL_MESSAGE_ITEM);
	assert_int_equal(m.id, 7);
	assert_int_equal(ctl_value_type(m.data), CTL_TYPE_OBJECT);
	ctl_message_fini(&m);

	message_ok("{\"version\":1,\"event\":{\"type\":\"learned\",\"ip\":\"10.0.0.5\"}}", &m);
	assert_int_equal(m.kind, CTL_MESSAGE_EVENT);
	assert_int_equal(m.id, 0);
	assert_string_equal(m.event_type, "learned");
	ctl_message_fini(&m);
}

static void test_message_strict(void **state)
{
	expect_message_error("{\"id\":1,\"ok\":true,\"data\":{}}", -EINVAL,
			     "reply: \"version\" missing");
	expect_message_error("{\"version\":2,\"id\":1,\"ok\":true,\"data\":{}}", -EPROTO,
			     "reply: unsupported version 2 (this client speaks 1)");
	expect_message_error("{\"version\":1,\"ok\":true,\"data\":{}}", -EINVAL,
			     "reply: \"id\" missing");
	expect_message_error("{\"version\":1,\"id\":-3,\"ok\":true,\"data\":{}}", -EINVAL,
			     "reply: id: expected an integer 0..9007199254740991, got -3");
	expect_message_error(
		"{\"version\":1,\"id\":1}", -EINVAL,
		"reply: neither a reply, an item nor an event (no \"ok\", \"item\" or \"event\")");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":1,\"data\":{}}", -EINVAL,
			     "reply: ok: expected a boolean, got an integer");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":true}", -EINVAL,
			     "reply: \"data\" missing");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":true,\"data\":[]}", -EINVAL,
			     "reply: data: expected an object, got an array");
	expect_message_error(
		"{\"version\":1,\"id\":1,\"ok\":true,\"data\":{},\"error\":\"EIO\"}", -EINVAL,
		"reply: unknown key 'error' in a reply (known: version, id, ok, data)");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":false,\"error\":\"EIO\"}", -EINVAL,
			     "reply: \"message\" missing");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":false,\"message\":\"m\"}", -EINVAL,
			     "reply: \"error\" missing");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":false,\"error\":5,\"message\":\"m\"}",
			     -EINVAL, "reply: error: expected a string, got an integer");
	expect_message_error(
		"{\"version\":1,\"id\":1,\"ok\":false,\"error\":\"no such thing\",\"message\":\"m\"}",
		-EINVAL, "reply: error: expected an errno name like ENOENT, got 'no such thing'");
	expect_message_error(
		"{\"version\":1,\"id\":1,\"ok\":false,\"error\":\"EIO\",\"message\":\"m\",\"data\":{}}",
		-EINVAL,
		"reply: unknown key 'data' in an error reply (known: version, id, ok, error, message)");
	expect_message_error("{\"version\":1,\"id\":1,\"item\":7}", -EINVAL,
			     "reply: item: expected an object, got an integer");
	expect_message_error("{\"version\":1,\"id\":1,\"item\":{},\"ok\":true}", -EINVAL,
			     "reply: unknown key 'ok' in an item (known: version, id, item)");
	expect_message_error("{\"version\":1,\"item\":{}}", -EINVAL, "reply: \"id\" missing");
	expect_message_error("{\"version\":1,\"id\":1,\"event\":{\"type\":\"x\"}}", -EINVAL,
			     "reply: unknown key 'id' in an event (known: version, event)");
	expect_message_error("{\"version\":1,\"event\":{}}", -EINVAL,
			     "reply: \"event.type\" missing");
	expect_message_error("{\"version\":1,\"event\":{\"type\":3}}", -EINVAL,
			     "reply: event.type: expected a string, got an integer");
	expect_message_error("{\"version\":1,\"event\":{\"type\":\"\"}}", -EINVAL,
			     "reply: event.type is empty");
	expect_message_error("{\"version\":1,\"event\":[]}", -EINVAL,
			     "reply: event: expected an object, got an array");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":true,\"data\":{\"x\":1e999}}", -EINVAL,
			     "reply: number out of range");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":true,\"data\":{\"x\":Infinity}}",
			     -EINVAL, "reply: not JSON (unexpected character at byte 42)");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":true,\"data\":{\"x\":\"a\\u0000\"}}",
			     -EINVAL, "reply: NUL character (\\u0000) in a string at byte 44");
	expect_message_error("[]", -EINVAL, "reply: expected a JSON object, got an array");
	expect_message_error("{\"version\":1,\"id\":1,\"ok\":true,\"data\":{}", -EINVAL,
			     "reply: not JSON (unexpected end of input at byte 39)");
}

static void test_message_line_limit(void **state)
{
	char *line = repeat(' ', CTL_LINE_MAX + 1);

	memcpy(line, "{}", 2);
	expect_message_error(line, -EMSGSIZE, "reply: line longer than 4194304 bytes");
	free(line);
}

static void test_value_accessors(void **state)
{
	struct ctl_message m;
	const struct ctl_value *v, *list, *elem;
	struct ctl_iter it;
	const char *key, *s;
	struct err err = { 0 };
	int64_t i;
	bool b;
	char *text;

	message_ok(
		"{\"version\":1,\"id\":1,\"ok\":true,\"data\":{\"name\":\"a/b\",\"n\":-4,\"on\":true,"
		"\"nil\":null,\"x\":1.5,\"list\":[\"p\",{\"q\":1}],\"big\":18446744073709551615}}",
		&m);
	assert_int_equal(ctl_value_find(m.data, "name", &v), 0);
	assert_int_equal(ctl_value_type(v), CTL_TYPE_STRING);
	assert_int_equal(ctl_value_string(v, &s), 0);
	assert_string_equal(s, "a/b");
	assert_int_equal(ctl_value_int(v, &i), -EINVAL);
	assert_int_equal(ctl_value_find(m.data, "absent", &v), -ENOENT);
	assert_int_equal(ctl_value_find(m.data, "nil", &v), 0);
	assert_null(v);
	assert_int_equal(ctl_value_type(v), CTL_TYPE_NULL);
	assert_int_equal(ctl_value_find(v, "x", &v), -EINVAL);
	assert_int_equal(ctl_value_member_int(m.data, "data", "n", &i, &err), 0);
	assert_int_equal(i, -4);
	assert_int_equal(ctl_value_member_bool(m.data, "data", "on", &b, &err), 0);
	assert_true(b);
	assert_int_equal(ctl_value_member(m.data, "data", "x", CTL_TYPE_DOUBLE, &v, &err), 0);
	assert_int_equal(ctl_value_member_int(m.data, "data", "big", &i, &err), -EINVAL);
	assert_string_equal(err.msg, "reply: data.big: integer out of range");
	assert_int_equal(ctl_value_member_string(m.data, "data", "n", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "reply: data.n: expected a string, got an integer");
	assert_int_equal(ctl_value_member_string(m.data, "data", "nope", &s, &err), -ENOENT);
	assert_string_equal(err.msg, "reply: \"data.nope\" missing");
	assert_int_equal(ctl_value_member_int(m.data, NULL, "nope", &i, &err), -ENOENT);
	assert_string_equal(err.msg, "reply: \"nope\" missing");
	assert_int_equal(ctl_value_member(m.data, "data", "nil", CTL_TYPE_OBJECT, &v, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "reply: data.nil: expected an object, got null");

	assert_int_equal(ctl_value_member(m.data, "data", "list", CTL_TYPE_ARRAY, &list, &err), 0);
	assert_int_equal(ctl_value_array_len(list), 2);
	assert_int_equal(ctl_value_array_len(m.data), 0);
	assert_null(ctl_value_array_at(list, 2));
	elem = ctl_value_array_at(list, 1);
	assert_int_equal(ctl_value_member_int(elem, "data.list[1]", "q", &i, &err), 0);
	assert_int_equal(ctl_value_member_int(list, "data.list", "q", &i, &err), -EINVAL);
	assert_string_equal(err.msg, "reply: data.list: expected an object, got an array");

	const char *keys[] = { "name", "n", "on", "nil", "x", "list", "big" };
	size_t n = 0;

	ctl_value_iter_init(&it, m.data);
	while (ctl_value_iter_next(&it, &key, &v)) {
		assert_true(n < ARRAY_SIZE(keys));
		assert_string_equal(key, keys[n++]);
	}
	assert_int_equal(n, ARRAY_SIZE(keys));
	ctl_value_iter_init(&it, list); /* not an object: nothing */
	assert_false(ctl_value_iter_next(&it, &key, &v));

	text = ctl_value_to_json_string(elem, false);
	assert_string_equal(text, "{\"q\":1}");
	free(text);
	text = ctl_value_to_json_string(elem, true);
	assert_string_equal(text, "{\n  \"q\":1\n}");
	free(text);
	text = ctl_value_to_json_string(NULL, false);
	assert_string_equal(text, "null");
	free(text);
	ctl_value_find(m.data, "name", &v);
	text = ctl_value_to_json_string(v, false);
	assert_string_equal(text, "\"a/b\"");
	free(text);
	assert_string_equal(ctl_type_to_string(CTL_TYPE_ARRAY), "an array");
	ctl_message_fini(&m);
}

/* What the daemon writes, the CLI reads back unchanged. */
static void test_writer_reader_roundtrip(void **state)
{
	struct ctl_obj *o = ctl_obj_new();
	struct ctl_array *ips = ctl_obj_add_array(o, "ips");
	struct ctl_message m;
	const char *s;
	char *line, *text;

	ctl_obj_add_string(o, "port", "vnet\xff");
	ctl_array_add_string(ips, "10.0.0.1");
	assert_int_equal(ctl_item(CTL_ID_MAX, o, &line, NULL), 0);
	message_ok(line, &m);
	assert_int_equal(m.kind, CTL_MESSAGE_ITEM);
	assert_int_equal(m.id, CTL_ID_MAX);
	assert_int_equal(ctl_value_member_string(m.data, "item", "port", &s, NULL), 0);
	assert_string_equal(s, "vnet\xef\xbf\xbd");
	text = ctl_value_to_json_string(m.data, false);
	assert_string_equal(text, "{\"ips\":[\"10.0.0.1\"],\"port\":\"vnet\xef\xbf\xbd\"}");
	free(text);
	ctl_message_fini(&m);
	free(line);

	assert_int_equal(ctl_reply_error(2, -EACCES, "need root", &line, NULL), 0);
	message_ok(line, &m);
	assert_int_equal(m.error, -EACCES);
	assert_string_equal(m.message, "need root");
	ctl_message_fini(&m);
	free(line);
}

/* The CLI's --json output: one line, '/' as it is, null for a NULL string. */
static void test_obj_to_line(void **state)
{
	struct ctl_obj *obj = ctl_obj_new();
	char *line = NULL;

	(void)state;
	assert_int_equal(ctl_obj_add_string(obj, "file", "/etc/a.xml"), 0);
	assert_int_equal(ctl_obj_add_string(obj, "name", NULL), 0);
	assert_int_equal(ctl_array_add_string(ctl_obj_add_array(obj, "files"), "x\ny"), 0);
	assert_int_equal(ctl_obj_to_line(obj, &line), 0);
	assert_string_equal(line,
			    "{\"file\":\"/etc/a.xml\",\"name\":null,\"files\":[\"x\\ny\"]}\n");
	free(line);
}

/* binding.create's "learned": what export carries to another host, read strictly. */
static void test_learned(void **state)
{
	struct ctl_learned l[3];
	struct err err = { 0 };
	char text[128];
	size_t n = 99;

	(void)state;
	assert_int_equal(ctl_learned_parse("", l, 3, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ctl_learned_parse("10.0.0.5/dhcp/10.0.0.1/1765000000/1764990000,"
					   "10.0.0.6/arp/-/-/1764990001",
					   l, 3, &n, &err),
			 0);
	assert_int_equal(n, 2);
	assert_memory_equal(l[0].address, ((uint8_t[]){ 10, 0, 0, 5 }), 4);
	assert_string_equal(l[0].source, "dhcp");
	assert_true(l[0].has_server && l[0].has_lease);
	assert_int_equal(l[0].lease_end, 1765000000);
	assert_false(l[1].has_server || l[1].has_lease);
	assert_int_equal(l[1].learned_at, 1764990001);
	assert_int_equal(ctl_learned_format(&l[0], text, sizeof(text)), 0);
	assert_string_equal(text, "10.0.0.5/dhcp/10.0.0.1/1765000000/1764990000");
	assert_int_equal(ctl_learned_format(&l[0], text, 10), -ENOSPC);
	/* IPv6, as the longest text an address has */
	assert_int_equal(
		ctl_learned_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/dad/-/-/7,"
				  "2001:db8::5/dhcpv6/-/1765000000/1",
				  l, 3, &n, &err),
		0);
	assert_int_equal(n, 2);
	assert_true(l[0].is_ipv6 && l[1].is_ipv6);
	assert_string_equal(l[1].source, "dhcpv6");
	assert_int_equal(ctl_learned_format(&l[0], text, sizeof(text)), 0);
	assert_string_equal(text, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/dad/-/-/7");
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "10.0.0.5/dhcp/-/-",
		  "learned[0]: expected ADDRESS/SOURCE/SERVER/LEASE_END/LEARNED_AT" },
		{ "10.0.0.5/dhcp/-/-/1/x", "learned[0]: expected" },
		{ "10.0.0.300/dhcp/-/-/1", "'10.0.0.300' is not an IPv4 or IPv6 address" },
		{ "10.0.0.5/dhcpv6/-/-/1", "source 'dhcpv6' (accepted for IPv4: dhcp, arp, ipv4)" },
		{ "2001:db8::5/arp/-/-/1", "source 'arp' (accepted for IPv6: dhcpv6, dad, ipv6)" },
		{ "2001:db8::5/dhcpv6/2001:db8::1/-/1", "server '2001:db8::1' is not - (an IPv6" },
		{ "10.0.0.5/dhcp/x/-/1", "server 'x' is not an IPv4 address or -" },
		{ "10.0.0.5/dhcp/-/-5/1", "lease end '-5' is not seconds since the epoch or -" },
		{ "10.0.0.5/dhcp/-/99999999999999999999/1", "lease end" },
		{ "10.0.0.5/dhcp/-/-/-", "learned at '-' is not seconds since the epoch" },
		{ "10.0.0.5/dhcp/-/-/1,", "learned[1]: empty" },
		{ "10.0.0.5/arp/-/-/1,,", "learned[1]: expected" },
		{ "10.0.0.5/arp/-/-/1,10.0.0.6/arp/-/-/1,10.0.0.7/arp/-/-/1,10.0.0.8/arp/-/-/1",
		  "more than 3 addresses" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(ctl_learned_parse(bad[i].text, l, 3, &n, &err) < 0);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("'%s': '%s' does not say '%s'", bad[i].text, err.msg, bad[i].msg);
	}
}

/* ---- linebuf -------------------------------------------------------------- */

/* Feeds data in the given chunks and checks the lines that come out. */
static void feed_and_expect(const char *data, size_t len, const size_t *cuts, size_t n_cuts,
			    const char *const *lines, size_t n_lines)
{
	struct ctl_linebuf lb;
	size_t got = 0, pos = 0;

	ctl_linebuf_init(&lb);
	for (size_t c = 0; c <= n_cuts; c++) {
		size_t end = c < n_cuts ? cuts[c] : len;
		const char *line;
		size_t line_len;
		int r;

		assert_int_equal(ctl_linebuf_feed(&lb, data + pos, end - pos), 0);
		pos = end;
		while ((r = ctl_linebuf_next(&lb, &line, &line_len)) > 0) {
			assert_true(got < n_lines);
			assert_int_equal(line_len, strlen(lines[got]));
			assert_memory_equal(line, lines[got], line_len);
			assert_int_equal(line[line_len], '\0');
			got++;
		}
		assert_int_equal(r, 0);
	}
	assert_int_equal(got, n_lines);
	ctl_linebuf_fini(&lb);
}

static void test_linebuf_every_split(void **state)
{
	const char data[] = "{\"version\":1,\"verb\":\"status\"}\n\n{\"a\":\"b\"}\nno newline yet";
	const char *lines[] = { "{\"version\":1,\"verb\":\"status\"}", "", "{\"a\":\"b\"}" };
	size_t len = sizeof(data) - 1;

	feed_and_expect(data, len, NULL, 0, lines, 3);
	for (size_t i = 0; i <= len; i++) {
		feed_and_expect(data, len, &i, 1, lines, 3);
		for (size_t j = i; j <= len; j++) {
			size_t cuts[] = { i, j };

			feed_and_expect(data, len, cuts, 2, lines, 3);
		}
	}
	/* One byte per read. */
	size_t cuts[sizeof(data)];

	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	feed_and_expect(data, len, cuts, len, lines, 3);
}

static void test_linebuf_pending_and_nul(void **state)
{
	struct ctl_linebuf lb;
	const char *line;
	size_t len;

	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_pending(&lb), 0);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, "a\0b\nc", 5), 0);
	assert_int_equal(ctl_linebuf_pending(&lb), 5);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_int_equal(len, 3);
	assert_memory_equal(line, "a\0b", 4);
	assert_int_equal(ctl_linebuf_pending(&lb), 1);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, "", 0), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, "d\n", 2), 0);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "cd");
	assert_int_equal(ctl_linebuf_pending(&lb), 0);
	ctl_linebuf_fini(&lb);
	ctl_linebuf_fini(&lb);
}

static void test_linebuf_limit_exact(void **state)
{
	char *data = repeat('x', CTL_LINE_MAX + 1);
	struct ctl_linebuf lb;
	const char *line;
	size_t len;

	data[CTL_LINE_MAX] = '\n';
	ctl_linebuf_init(&lb);
	/* In two reads, the second carrying only the newline. */
	assert_int_equal(ctl_linebuf_feed(&lb, data, CTL_LINE_MAX), 0);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, data + CTL_LINE_MAX, 1), 0);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_int_equal(len, CTL_LINE_MAX);
	ctl_linebuf_fini(&lb);
	free(data);
}

static void test_linebuf_overlong_partial(void **state)
{
	size_t chunk = 64 * 1024;
	char *x = repeat('x', chunk);
	struct ctl_linebuf lb;
	const char *line;
	size_t len, fed = 0;

	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_feed(&lb, "first\nsecond\n", 13), 0);
	/* An endless line in many reads: the buffer stops growing at the limit. */
	while (fed <= CTL_LINE_MAX + 4 * chunk) {
		assert_int_equal(ctl_linebuf_feed(&lb, x, chunk), 0);
		fed += chunk;
		assert_true(lb.cap <= 2 * (size_t)CTL_LINE_MAX);
	}
	/* Complete lines before it still come out, then the error, once. */
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "first");
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "second");
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, "later\n", 6), 0);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	assert_int_equal(ctl_linebuf_pending(&lb), 0);
	ctl_linebuf_fini(&lb);
	free(x);
}

static void test_linebuf_overlong_complete(void **state)
{
	char *data = repeat('y', CTL_LINE_MAX + 8);
	struct ctl_linebuf lb;
	const char *line;
	size_t len;

	/* A too-long line that arrives whole, newline included, between good ones. */
	memcpy(data, "ok\n", 3);
	data[CTL_LINE_MAX + 4] = '\n';
	memcpy(data + CTL_LINE_MAX + 5, "z\n", 2);
	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_feed(&lb, data, CTL_LINE_MAX + 7), 0);
	/* Only "ok\n" is stored: the long line and all after it are not. */
	assert_int_equal(ctl_linebuf_pending(&lb), 3);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "ok");
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	ctl_linebuf_fini(&lb);

	/* The partial part after the last newline of a read is too long. */
	memset(data, 'y', CTL_LINE_MAX + 8);
	memcpy(data, "ok\n", 3);
	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_feed(&lb, data, CTL_LINE_MAX + 8), 0);
	assert_int_equal(ctl_linebuf_pending(&lb), 3);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "ok");
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	ctl_linebuf_fini(&lb);
	free(data);
}

static void test_linebuf_overlong_completed_later(void **state)
{
	char *data = repeat('x', CTL_LINE_MAX);
	struct ctl_linebuf lb;
	const char *line;
	size_t len;

	/* A held partial line that the next read completes at exactly the cap. */
	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_feed(&lb, data, CTL_LINE_MAX - 2), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, "ab\nc", 4), 0);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_int_equal(len, CTL_LINE_MAX);
	ctl_linebuf_fini(&lb);

	/* One byte more: the held beginning is dropped with it, and all that follows. */
	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_feed(&lb, "first\n", 6), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, data, CTL_LINE_MAX - 2), 0);
	assert_int_equal(ctl_linebuf_feed(&lb, "abc\nnext\n", 9), 0);
	assert_int_equal(ctl_linebuf_pending(&lb), 6);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "first");
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 0);
	ctl_linebuf_fini(&lb);
	free(data);
}

static void test_linebuf_has_line(void **state)
{
	char *data = repeat('x', CTL_LINE_MAX + 1);
	struct ctl_linebuf lb;
	const char *line;
	size_t len;

	ctl_linebuf_init(&lb);
	assert_false(ctl_linebuf_has_line(&lb));
	assert_int_equal(ctl_linebuf_feed(&lb, "a", 1), 0);
	assert_false(ctl_linebuf_has_line(&lb));
	assert_int_equal(ctl_linebuf_feed(&lb, "\nb\n", 3), 0);
	assert_true(ctl_linebuf_has_line(&lb));
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_true(ctl_linebuf_has_line(&lb));
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_false(ctl_linebuf_has_line(&lb));
	/* The error counts: the reader must come back for it. */
	assert_int_equal(ctl_linebuf_feed(&lb, data, CTL_LINE_MAX + 1), 0);
	assert_true(ctl_linebuf_has_line(&lb));
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), -EMSGSIZE);
	assert_false(ctl_linebuf_has_line(&lb));
	ctl_linebuf_fini(&lb);
	free(data);
}

/*
 * The daemon's way of reading: a 64 KiB read only when no line is waiting,
 * at most 64 lines per round. Short lines, a line of exactly the cap, more
 * short lines, a line over the cap, a line after it. The buffer never holds
 * more than the cap plus one read, and every line comes out in order.
 */
static void test_linebuf_bounded_reader(void **state)
{
	const size_t chunk = 64 * 1024, n_short = 20000, big = CTL_LINE_MAX + 100;
	size_t size = n_short * 8 + CTL_LINE_MAX + 1 + 10 * 8 + big + 1 + 6;
	char *data = malloc(size);
	struct ctl_linebuf lb;
	size_t o = 0, pos = 0, n_lines = 0, max_held = 0;
	bool has_error = false;
	const char *line;
	size_t len;
	int r;

	assert_non_null(data);
	for (size_t i = 0; i < n_short; i++)
		o += (size_t)sprintf(data + o, "%zu\n", i);
	memset(data + o, 'x', CTL_LINE_MAX);
	o += CTL_LINE_MAX;
	data[o++] = '\n';
	for (size_t i = 0; i < 10; i++)
		o += (size_t)sprintf(data + o, "%zu\n", n_short + i);
	memset(data + o, 'y', big);
	o += big;
	data[o++] = '\n';
	memcpy(data + o, "never\n", 6);
	o += 6;
	assert_true(o <= size);

	ctl_linebuf_init(&lb);
	while (!has_error) {
		if (!ctl_linebuf_has_line(&lb)) {
			size_t n = o - pos < chunk ? o - pos : chunk;

			assert_true(n > 0);
			assert_int_equal(ctl_linebuf_feed(&lb, data + pos, n), 0);
			pos += n;
		}
		max_held =
			ctl_linebuf_pending(&lb) > max_held ? ctl_linebuf_pending(&lb) : max_held;
		for (int k = 0; k < 64 && (r = ctl_linebuf_next(&lb, &line, &len)) != 0; k++) {
			if (r < 0) {
				assert_int_equal(r, -EMSGSIZE);
				has_error = true;
				break;
			}
			if (n_lines == n_short) {
				assert_int_equal(len, CTL_LINE_MAX);
			} else {
				size_t want = n_lines < n_short ? n_lines : n_lines - 1;

				assert_int_equal(strtoul(line, NULL, 10), want);
			}
			n_lines++;
		}
	}
	assert_int_equal(n_lines, n_short + 1 + 10);
	assert_true(max_held <= CTL_LINE_MAX + chunk);
	assert_false(ctl_linebuf_has_line(&lb));
	ctl_linebuf_fini(&lb);
	free(data);
}

static void test_linebuf_releases_memory(void **state)
{
	char *data = repeat('x', 1 << 20);
	struct ctl_linebuf lb;
	const char *line;
	size_t len;

	data[(1 << 20) - 1] = '\n';
	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_feed(&lb, data, 1 << 20), 0);
	assert_true(lb.cap >= 1 << 20);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	/* All returned: the next feed starts over in a small buffer. */
	assert_int_equal(ctl_linebuf_feed(&lb, "a\n", 2), 0);
	assert_true(lb.cap <= 64 * 1024);
	assert_int_equal(ctl_linebuf_next(&lb, &line, &len), 1);
	assert_string_equal(line, "a");
	ctl_linebuf_fini(&lb);
	free(data);
}

static void test_linebuf_many_lines_one_read(void **state)
{
	struct ctl_linebuf lb;
	char data[4000];
	const char *line;
	size_t len, o = 0, n = 0;

	for (int i = 0; i < 500; i++)
		o += (size_t)sprintf(data + o, "%d\n", i);
	ctl_linebuf_init(&lb);
	assert_int_equal(ctl_linebuf_feed(&lb, data, o), 0);
	while (ctl_linebuf_next(&lb, &line, &len) > 0)
		assert_int_equal(atoi(line), n++);
	assert_int_equal(n, 500);
	ctl_linebuf_fini(&lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_no_arg_verbs),
		cmocka_unit_test(test_request_filter_verbs),
		cmocka_unit_test(test_request_port_verbs),
		cmocka_unit_test(test_request_binding_create_xml),
		cmocka_unit_test(test_request_binding_create_fields),
		cmocka_unit_test(test_request_binding_create_forms),
		cmocka_unit_test(test_request_not_json),
		cmocka_unit_test(test_request_not_object),
		cmocka_unit_test(test_request_nul_and_utf8),
		cmocka_unit_test(test_request_version),
		cmocka_unit_test(test_request_id),
		cmocka_unit_test(test_request_id_echoed_on_failure),
		cmocka_unit_test(test_request_verb),
		cmocka_unit_test(test_request_keys_and_types),
		cmocka_unit_test(test_request_params_errors),
		cmocka_unit_test(test_request_string_limit),
		cmocka_unit_test(test_request_line_limit),
		cmocka_unit_test(test_request_params_limits),
		cmocka_unit_test(test_request_depth),
		cmocka_unit_test(test_request_format_exact),
		cmocka_unit_test(test_request_format_every_verb),
		cmocka_unit_test(test_request_format_errors),
		cmocka_unit_test(test_writer_reply_ok_exact),
		cmocka_unit_test(test_writer_item_event_count),
		cmocka_unit_test(test_writer_reply_error),
		cmocka_unit_test(test_writer_utf8_repair),
		cmocka_unit_test(test_writer_null_propagation_and_size),
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test(test_message_classify),
		cmocka_unit_test(test_message_strict),
		cmocka_unit_test(test_message_line_limit),
		cmocka_unit_test(test_value_accessors),
		cmocka_unit_test(test_writer_reader_roundtrip),
		cmocka_unit_test(test_obj_to_line),
		cmocka_unit_test(test_learned),
		cmocka_unit_test(test_linebuf_every_split),
		cmocka_unit_test(test_linebuf_pending_and_nul),
		cmocka_unit_test(test_linebuf_limit_exact),
		cmocka_unit_test(test_linebuf_overlong_partial),
		cmocka_unit_test(test_linebuf_overlong_complete),
		cmocka_unit_test(test_linebuf_overlong_completed_later),
		cmocka_unit_test(test_linebuf_has_line),
		cmocka_unit_test(test_linebuf_bounded_reader),
		cmocka_unit_test(test_linebuf_releases_memory),
		cmocka_unit_test(test_linebuf_many_lines_one_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cni/cni.c: the CNI environment, configuration and prevResult, good and bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/cni.h"

#define NETNS "/run/netns/c1"

static const struct cni_env add_env = {
	.command = "ADD", .container_id = "c1", .netns = NETNS, .ifname = "eth0"
};

/* What the bridge plugin (1.1.1) returns, with host-local's addresses. */
#define IFACES                                                               \
	"\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"aa:bb:cc:dd:ee:01\"}," \
	"{\"name\":\"veth1\",\"mac\":\"aa:bb:cc:dd:ee:02\"},"                \
	"{\"name\":\"eth0\",\"mac\":\"aa:bb:cc:dd:ee:03\",\"sandbox\":\"" NETNS "\"}]"
#define IPS                                                                                  \
	"\"ips\":[{\"interface\":2,\"address\":\"10.22.0.5/16\",\"gateway\":\"10.22.0.1\"}," \
	"{\"interface\":2,\"address\":\"fd00::5/64\"}]"
#define PREV "\"prevResult\":{\"cniVersion\":\"1.0.0\"," IFACES "," IPS ",\"dns\":{}}"
#define HEAD "\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"type\":\"vifguard\""

static int parse(const struct cni_env *env, const char *text, struct cni_request *req,
		 struct cni_error *e)
{
	return cni_request_parse(env, text, strlen(text), req, e);
}

static void test_add_bridge_result(void **state)
{
	struct cni_request req;
	struct cni_error e;
	char owner[CNI_ID_MAX + CNI_IFNAME_MAX + 2];
	char *result;

	assert_int_equal(parse(&add_env, "{" HEAD "," PREV "}", &req, &e), 0);
	assert_int_equal(req.command, CNI_ADD);
	assert_string_equal(req.cni_version, "1.0.0");
	assert_string_equal(req.name, "net");
	assert_string_equal(req.filter, "clean-traffic");
	assert_false(req.is_learning);
	assert_null(req.socket);
	assert_true(req.has_mac);
	assert_int_equal(req.mac[5], 0x03);
	/* the bridge is a candidate too without "bridge": the caller asks the kernel */
	assert_int_equal(req.n_candidates, 2);
	assert_string_equal(req.candidates[1], "veth1");
	assert_int_equal(req.n_ips, 1); /* IPv6 is not clean-traffic's */
	assert_string_equal(req.ips[0], "10.22.0.5");
	cni_owner_format(&req, owner);
	assert_string_equal(owner, "c1/eth0");
	result = cni_result_format(&req);
	assert_non_null(result);
	assert_non_null(strstr(result, "\"cniVersion\":\"1.0.0\",\"interfaces\""));
	assert_non_null(strstr(result, "\"dns\":{}"));
	free(result);
	cni_request_fini(&req);
	cni_request_fini(&req);
	cni_request_fini(NULL);
}

static void test_add_options(void **state)
{
	struct cni_request req;
	struct cni_error e;
	char *result;

	assert_int_equal(
		parse(&add_env,
		      "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"filter\":\"no-ip-spoofing\","
		      "\"learn\":true,\"socket\":\"/run/x.sock\",\"bridge\":\"cni0\","
		      "\"prevResult\":{\"cniVersion\":\"0.3.1\"," IFACES
		      ",\"ips\":[{\"interface\":2,\"address\":\"10.0.0.2/24\"},"
		      "{\"interface\":0,\"address\":\"10.0.0.1/24\"},"
		      "{\"address\":\"10.0.0.9/24\"},"
		      "{\"interface\":2,\"address\":\"10.0.1.2/32\"}]}}",
		      &req, &e),
		0);
	assert_string_equal(req.filter, "no-ip-spoofing");
	assert_true(req.is_learning);
	assert_string_equal(req.socket, "/run/x.sock");
	assert_int_equal(req.n_candidates, 1);
	assert_string_equal(req.candidates[0], "veth1");
	assert_int_equal(req.n_ips, 2);
	assert_string_equal(req.ips[1], "10.0.1.2");
	/* the result speaks the configuration's version */
	result = cni_result_format(&req);
	assert_non_null(strstr(result, "\"cniVersion\":\"0.4.0\""));
	free(result);
	cni_request_fini(&req);
}

static void test_version_and_del(void **state)
{
	const struct cni_env version = { .command = "VERSION" };
	const struct cni_env del = { .command = "DEL", .container_id = "c1", .ifname = "eth0" };
	struct cni_request req;
	struct cni_error e;

	assert_int_equal(cni_request_parse(&version, NULL, 0, &req, &e), 0);
	assert_int_equal(req.command, CNI_VERSION);
	cni_request_fini(&req);
	/* DEL: no netns, no prevResult */
	assert_int_equal(parse(&del, "{" HEAD "}", &req, &e), 0);
	assert_int_equal(req.command, CNI_DEL);
	assert_null(req.netns);
	assert_int_equal(req.n_candidates, 0);
	cni_request_fini(&req);
	/* DEL: a prevResult it cannot use is no reason to fail */
	assert_int_equal(parse(&del, "{" HEAD ",\"prevResult\":{\"interfaces\":[7]}}", &req, &e),
			 0);
	assert_int_equal(req.n_candidates, 0);
	cni_request_fini(&req);
	/* DEL with a good prevResult (its netns unset): the host side still counts */
	assert_int_equal(parse(&del, "{" HEAD "," PREV "}", &req, &e), 0);
	cni_request_fini(&req);
}

struct bad {
	const char *command, *container_id, *netns, *ifname;
	const char *text;
	int code;
	const char *details; /* a part of them */
};

static void check_bad(const struct bad *b)
{
	const struct cni_env env = { b->command, b->container_id, b->netns, b->ifname };
	struct cni_request req = { .n_ips = 99 };
	struct cni_error e;
	int r = parse(&env, b->text, &req, &e);

	if (r != -EINVAL || e.code != b->code || !strstr(e.details, b->details))
		fail_msg("%s: got %d code %d '%s'", b->text, r, e.code, e.details);
	assert_int_equal(req.n_ips, 99); /* untouched */
}

static void test_bad_input(void **state)
{
	static const struct bad bad[] = {
		{ NULL, "c1", NETNS, "eth0", "{}", 4, "CNI_COMMAND '': not set" },
		{ "add", "c1", NETNS, "eth0", "{}", 4, "not a command" },
		{ "ADD", NULL, NETNS, "eth0", "{}", 4, "CNI_CONTAINERID '': not set" },
		{ "ADD", "-c1", NETNS, "eth0", "{}", 4, "not a container id" },
		{ "ADD", "c 1", NETNS, "eth0", "{}", 4, "not a container id" },
		{ "ADD", "c1", NETNS, NULL, "{}", 4, "CNI_IFNAME '': not set" },
		{ "ADD", "c1", NETNS, "abcdefghijklmnop", "{}", 4, "not an interface name" },
		{ "ADD", "c1", NETNS, "et/h0", "{}", 4, "not an interface name" },
		{ "ADD", "c1", NULL, "eth0", "{}", 4, "CNI_NETNS '': not set" },
		{ "CHECK", "c1", "netns", "eth0", "{}", 4, "not an absolute path" },
		{ "ADD", "c1", NETNS, "eth0", "", 6, "standard input is empty" },
		{ "ADD", "c1", NETNS, "eth0", "{\"cniVersion\":", 6, "not JSON" },
		{ "ADD", "c1", NETNS, "eth0", "[1]", 6, "expected a JSON object" },
		{ "ADD", "c1", NETNS, "eth0", "{\"name\":\"n\"}", 7, "\"cniVersion\" missing" },
		{ "ADD", "c1", NETNS, "eth0", "{\"cniVersion\":1}", 7,
		  "\"cniVersion\": expected a string, got an integer" },
		{ "ADD", "c1", NETNS, "eth0", "{\"cniVersion\":\"0.3.1\"}", 1,
		  "'0.3.1': not supported" },
		{ "ADD", "c1", NETNS, "eth0", "{\"cniVersion\":\"1.0.0\"}", 7, "\"name\" missing" },
		{ "ADD", "c1", NETNS, "eth0", "{\"cniVersion\":\"1.0.0\",\"name\":\"\"}", 7,
		  "\"name\" is empty" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD ",\"filter\":\"a b\"}", 7,
		  "not a filter name" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD ",\"learn\":\"yes\"}", 7,
		  "\"learn\": expected a boolean" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD ",\"socket\":\"x.sock\"}", 7,
		  "not an absolute path" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD ",\"bridge\":7}", 7,
		  "\"bridge\": expected" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD "}", 7, "no \"prevResult\"" },
		{ "CHECK", "c1", NETNS, "eth0", "{" HEAD ",\"prevResult\":[]}", 7,
		  "\"prevResult\": expected an object" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD ",\"prevResult\":{}}", 7,
		  "no interface eth0 in " NETNS },
		{ "ADD", "c1", NETNS, "eth1", "{" HEAD "," PREV "}", 7, "no interface eth1" },
		{ "ADD", "c1", "/run/netns/c2", "eth0", "{" HEAD "," PREV "}", 7,
		  "no interface eth0 in /run/netns/c2" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD ",\"prevResult\":{\"interfaces\":[\"eth0\"]}}", 7,
		  "interfaces[0]: expected an object" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD ",\"prevResult\":{\"interfaces\":[{\"mac\":\"aa:bb:cc:dd:ee:01\"}]}}", 7,
		  "interfaces[0].\"name\" '': missing" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD
		  ",\"prevResult\":{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"" NETNS
		  "\"}]}}",
		  7, "\"mac\" '': missing" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD
		  ",\"prevResult\":{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"01:00:5e:00:"
		  "00:01\",\"sandbox\":\"" NETNS "\"}]}}",
		  7, "not a unicast MAC address" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD
		  ",\"prevResult\":{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"aa:bb:cc:dd:"
		  "ee:03\",\"sandbox\":\"" NETNS "\"}]}}",
		  7, "no host-side interface" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD ",\"prevResult\":{" IFACES ",\"ips\":[{\"address\":\"10.0.0.1\"}]}}", 7,
		  "not an address in CIDR form" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD ",\"prevResult\":{" IFACES ",\"ips\":[{\"address\":\"10.0.0.1/33\"}]}}",
		  7, "not an address in CIDR form" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD ",\"prevResult\":{" IFACES ",\"ips\":[{\"address\":\"10.0.0.1/x\"}]}}",
		  7, "not an address in CIDR form" },
		{ "ADD", "c1", NETNS, "eth0",
		  "{" HEAD ",\"prevResult\":{" IFACES
		  ",\"ips\":[{\"address\":\"10.0.0.1/8\",\"interface\":\"2\"}]}}",
		  7, "\"interface\": expected an integer" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD ",\"prevResult\":{" IFACES ",\"ips\":[3]}}",
		  7, "ips[0]: expected an object" },
		{ "ADD", "c1", NETNS, "eth0", "{" HEAD ",\"prevResult\":{\"interfaces\":{}}}", 7,
		  "\"interfaces\": expected an array" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(&bad[i]);
}

/* fmt is one of this file's literals */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* A prevResult with n entries of what fmt prints (each taking the index). */
static char *many(const char *head, const char *fmt, size_t n, const char *tail)
{
	size_t size = strlen(head) + strlen(tail) + n * (strlen(fmt) + 24) + 1, len;
	char *buf = malloc(size);

	assert_non_null(buf);
	len = (size_t)snprintf(buf, size, "%s", head);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, size - len, fmt, i ? "," : "", i);
	snprintf(buf + len, size - len, "%s", tail);
	return buf;
}

static void test_limits(void **state)
{
	struct cni_request req;
	struct cni_error e;
	char *text, *big;

	/* CNI_IPS_MAX addresses pass, one more does not */
	text = many("{" HEAD ",\"prevResult\":{" IFACES ",\"ips\":[",
		    "%s{\"interface\":2,\"address\":\"10.1.0.%zu/16\"}", CNI_IPS_MAX, "]}}");
	assert_int_equal(parse(&add_env, text, &req, &e), 0);
	assert_int_equal(req.n_ips, CNI_IPS_MAX);
	cni_request_fini(&req);
	free(text);
	text = many("{" HEAD ",\"prevResult\":{" IFACES ",\"ips\":[",
		    "%s{\"interface\":2,\"address\":\"10.1.0.%zu/16\"}", CNI_IPS_MAX + 1, "]}}");
	assert_int_equal(parse(&add_env, text, &req, &e), -EINVAL);
	assert_int_equal(e.code, 7);
	assert_non_null(strstr(e.details, "more than 64 IPv4 addresses"));
	free(text);
	/* host-side interfaces */
	text = many("{" HEAD ",\"prevResult\":{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"aa:bb:"
		    "cc:dd:ee:03\",\"sandbox\":\"" NETNS "\"}",
		    ",{\"name\":\"v%s%zu\"}", CNI_CANDIDATES_MAX + 1, "]}}");
	assert_int_equal(parse(&add_env, text, &req, &e), -EINVAL);
	assert_non_null(strstr(e.details, "more than 16 host-side interfaces"));
	free(text);
	/* entries */
	text = many("{" HEAD ",\"prevResult\":{\"interfaces\":[", "%s{\"name\":\"x%zu\"}", 257,
		    "]}}");
	assert_int_equal(parse(&add_env, text, &req, &e), -EINVAL);
	assert_non_null(strstr(e.details, "257 entries, at most 256"));
	free(text);
	/* the configuration's size */
	big = malloc(CNI_CONFIG_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', CNI_CONFIG_MAX + 1);
	big[0] = '{';
	big[CNI_CONFIG_MAX] = '}';
	assert_int_equal(cni_request_parse(&add_env, big, CNI_CONFIG_MAX + 1, &req, &e), -EINVAL);
	assert_int_equal(e.code, 6);
	free(big);
}

static void test_error_format(void **state)
{
	struct cni_error e = { 0 };
	char *line;

	cni_error_set(&e, CNI_CODE_TRY_AGAIN, "vifguardd is not running", "say \"why\"");
	line = cni_error_format("0.4.0", &e);
	assert_string_equal(line,
			    "{\"cniVersion\":\"0.4.0\",\"code\":11,\"msg\":\"vifguardd is not "
			    "running\",\"details\":\"say \\\"why\\\"\"}\n");
	free(line);
	line = cni_error_format(NULL, &e);
	assert_non_null(strstr(line, "\"cniVersion\":\"1.0.0\""));
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_bridge_result),
		cmocka_unit_test(test_add_options),
		cmocka_unit_test(test_version_and_del),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_error_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

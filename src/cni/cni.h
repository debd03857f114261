/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The vifguard CNI plugin's input, understood: the CNI_* environment, the
 * network configuration on standard input and its prevResult (CNI spec
 * 1.0, chained after `bridge`) into one struct cni_request. Pure: no I/O;
 * which host-side candidate is the bridge port is for the caller to ask the
 * kernel. Failures carry CNI's error codes, ready for the error JSON.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "util/err.h"

/* Largest network configuration read from standard input. */
#define CNI_CONFIG_MAX      (1u << 20)
/* IPv4 addresses of the container interface passed on as IP. */
#define CNI_IPS_MAX         64
/* Host-side interfaces of prevResult (the bridge and the veth, normally). */
#define CNI_CANDIDATES_MAX  16
#define CNI_IFNAME_MAX      15 /* IFNAMSIZ - 1 */
#define CNI_ID_MAX          256
#define CNI_VERSION_MAX     16
#define CNI_FILTER_NAME_MAX 128
#define CNI_FILTER_DEFAULT  "clean-traffic"

/* The versions this plugin speaks, as VERSION prints them. */
#define CNI_VERSION_INFO "{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.4.0\",\"1.0.0\"]}"

/* CNI SPEC.md, "Error": the well-known codes (1-99 are the spec's). */
enum cni_code {
	CNI_CODE_INCOMPATIBLE_VERSION = 1,
	CNI_CODE_UNSUPPORTED_FIELD = 2,
	CNI_CODE_UNKNOWN_CONTAINER = 3,
	CNI_CODE_INVALID_ENV = 4,
	CNI_CODE_IO = 5,
	CNI_CODE_DECODE = 6,
	CNI_CODE_INVALID_CONFIG = 7,
	CNI_CODE_TRY_AGAIN = 11,
};

struct cni_error {
	int code;                  /* enum cni_code; 0 when none */
	char msg[128];             /* short: what failed */
	char details[ERR_MSG_MAX]; /* the sentence: where and why */
};

/* Sets *e and returns -EINVAL (every parse failure is bad input). */
int cni_error_set(struct cni_error *e, int code, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

enum cni_command {
	CNI_ADD,
	CNI_DEL,
	CNI_CHECK,
	CNI_VERSION,
};

/* The environment, as getenv() gives it (NULL: unset). Borrowed. */
struct cni_env {
	const char *command;
	const char *container_id;
	const char *netns;
	const char *ifname;
};

struct ctl_value;

struct cni_request {
	enum cni_command command;
	char cni_version[CNI_VERSION_MAX]; /* the configuration's; "" for VERSION */
	char container_id[CNI_ID_MAX + 1];
	char ifname[CNI_IFNAME_MAX + 1];
	const char *netns;  /* borrowed from the environment; NULL when unset */
	const char *name;   /* the network's; borrowed from doc */
	const char *filter; /* "filter", default CNI_FILTER_DEFAULT; borrowed */
	bool is_learning;   /* "learn": true: no IP parameter, the daemon learns */
	const char *socket; /* "socket", or NULL; borrowed */
	const char *bridge; /* "bridge", or NULL: a host interface never to bind; borrowed */

	/* from prevResult; absent when it has none (DEL, VERSION) */
	const struct ctl_value *prev_result; /* borrowed from doc */
	bool has_mac;
	uint8_t mac[MAC_LEN];               /* the container interface's */
	char ips[CNI_IPS_MAX][IP_TEXT_MAX]; /* its IPv4 addresses, without prefix */
	size_t n_ips;
	const char *candidates[CNI_CANDIDATES_MAX]; /* host-side names but the bridge; borrowed */
	size_t n_candidates;

	struct ctl_value *doc_; /* private: owns the parsed configuration */
};

/*
 * Parses env and the configuration (len bytes of text; VERSION ignores it).
 * ADD and CHECK need CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME and a prevResult
 * with the container interface (sandbox == CNI_NETNS, name == CNI_IFNAME)
 * and its MAC; DEL needs CNI_CONTAINERID and CNI_IFNAME, and takes what a
 * prevResult gives without requiring it. Returns 0 and fills *ret (release
 * with cni_request_fini()), or -EINVAL with the CNI code in *err, *ret
 * untouched.
 */
int cni_request_parse(const struct cni_env *env, const char *text, size_t len,
		      struct cni_request *ret, struct cni_error *err);
/* NULL-safe; zeroes *req. */
void cni_request_fini(struct cni_request *req);

/* The binding's owner name: "CONTAINERID/IFNAME" (CNI's key for an attachment). */
void cni_owner_format(const struct cni_request *req, char out[CNI_ID_MAX + CNI_IFNAME_MAX + 2]);

/*
 * ADD's result: prevResult as it came, its cniVersion set to the
 * configuration's. Caller frees; NULL on -ENOMEM or without a prevResult.
 */
char *cni_result_format(const struct cni_request *req);
/* The error JSON of the spec, one line; caller frees; NULL on -ENOMEM. */
char *cni_error_format(const char *cni_version, const struct cni_error *e);

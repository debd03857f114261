/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * XML <-> model for libvirt's <filter> and <filterbinding> documents
 * (libxml2, entity expansion and network access off). Parsing validates
 * every value with libvirt's rules; a rejected document yields no object and
 * one diagnostic per problem, each "FILE:LINE: <element attr='value'>: what
 * is wrong (what is accepted)". Where libvirt silently accepts nonsense the
 * document is accepted the same way and a warning is reported.
 * Formatting prints exactly what libvirt's formatter prints.
 */
#pragma once

#include <stddef.h>

#include "filter/filter.h"
#include "util/err.h"

enum conf_severity {
	CONF_ERROR,
	CONF_WARNING,
};

/*
 * One diagnostic, in parts (for JSON) and as the line a person reads:
 * "FILE:LINE: <element attribute='value'>: message (accepted: ...)".
 * Parts that do not apply are NULL (line: 0).
 */
struct conf_message {
	enum conf_severity severity;
	const char *file;
	long line;
	const char *element;
	const char *attribute;
	const char *value; /* as shown: at most 64 bytes, control characters as \xNN */
	const char *message;
	const char *accepted; /* what would have been accepted */
	const char *text;     /* the whole line */
};

typedef void (*conf_report_fn)(void *userdata, const struct conf_message *m);

struct conf_diag {
	conf_report_fn report; /* may be NULL: diagnostics are only counted */
	void *userdata;
	unsigned n_errors;
	unsigned n_warnings;
	struct err first_error; /* the first error reported, for callers that want one message */
};

enum conf_doc_kind {
	CONF_DOC_FILTER,
	CONF_DOC_BINDING,
};

/*
 * Counts m, keeps it as first_error if it is the first error, and passes it
 * to diag->report; m->text is made from the parts when NULL.
 */
void conf_diag_emit(struct conf_diag *diag, const struct conf_message *m);

/*
 * Parses one document from memory; name is the file name used in messages.
 * On success exactly one of *ret_filter / *ret_binding is set (caller owns
 * it) according to the root element, and *ret_kind says which. Returns 0,
 * -EINVAL for a rejected document (diagnostics reported), -ENOMEM.
 */
int conf_parse_mem(const char *buf, size_t len, const char *name, struct conf_diag *diag,
		   enum conf_doc_kind *ret_kind, struct filter **ret_filter,
		   struct binding **ret_binding);

/* Same, reading path; -errno with a diagnostic when the file cannot be read. */
int conf_parse_file(const char *path, struct conf_diag *diag, enum conf_doc_kind *ret_kind,
		    struct filter **ret_filter, struct binding **ret_binding);

/* Parses a document that must be a <filter> (resp. <filterbinding>); -EINVAL otherwise. */
int conf_filter_parse_file(const char *path, struct conf_diag *diag, struct filter **ret);
int conf_binding_parse_file(const char *path, struct conf_diag *diag, struct binding **ret);

/* libvirt's canonical XML, ending with a newline. Caller frees; NULL on -ENOMEM. */
char *conf_filter_format(const struct filter *f);
char *conf_binding_format(const struct binding *b);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What went wrong, twice: as text on stderr the moment it happens, and kept
 * in parts so that --json can carry every diagnostic as an object.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctl/ctl.h"
#include "util/cleanup.h"
#include "util/err.h"

struct kept {
	enum conf_severity severity;
	long line;
	char *file, *element, *attribute, *value, *message, *accepted;
};

static struct kept *kept;
static size_t n_kept;

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A diagnostic that cannot be kept (out of memory) is still printed. */
static void keep(const struct conf_message *m)
{
	struct kept *grown = realloc(kept, (n_kept + 1) * sizeof(*kept));

	if (!grown)
		return;
	kept = grown;
	kept[n_kept++] = (struct kept){
		.severity = m->severity,
		.line = m->line,
		.file = dup_or_null(m->file),
		.element = dup_or_null(m->element),
		.attribute = dup_or_null(m->attribute),
		.value = dup_or_null(m->value),
		.message = dup_or_null(m->message),
		.accepted = dup_or_null(m->accepted),
	};
}

void cli_diagnostics_clear(void)
{
	for (size_t i = 0; i < n_kept; i++) {
		struct kept *k = &kept[i];

		free(k->file);
		free(k->element);
		free(k->attribute);
		free(k->value);
		free(k->message);
		free(k->accepted);
	}
	free(kept);
	kept = NULL;
	n_kept = 0;
}

size_t cli_diagnostics_count(enum conf_severity severity)
{
	size_t n = 0;

	for (size_t i = 0; i < n_kept; i++)
		n += kept[i].severity == severity;
	return n;
}

static void say(enum conf_severity severity, const char *fmt, va_list ap)
{
	char msg[ERR_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s: %s%s\n", cli_program, severity == CONF_WARNING ? "warning: " : "",
		msg);
	keep(&(struct conf_message){ .severity = severity, .message = msg });
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(CONF_ERROR, fmt, ap);
	va_end(ap);
}

void cli_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(CONF_WARNING, fmt, ap);
	va_end(ap);
}

static void report(void *userdata, const struct conf_message *m)
{
	(void)userdata;
	fprintf(stderr, "%s%s\n", m->severity == CONF_WARNING ? "warning: " : "", m->text);
	keep(m);
}

void cli_diag_init(struct conf_diag *diag)
{
	*diag = (struct conf_diag){ .report = report };
}

int cli_json_add_diagnostics(struct ctl_obj *obj)
{
	struct ctl_array *arr = ctl_obj_add_array(obj, "diagnostics");
	int r = arr ? 0 : -1;

	for (size_t i = 0; i < n_kept && r >= 0; i++) {
		const struct kept *k = &kept[i];
		struct ctl_obj *d = ctl_array_add_obj(arr);

		r = ctl_obj_add_string(d, "severity",
				       k->severity == CONF_ERROR ? "error" : "warning");
		r |= ctl_obj_add_string(d, "file", k->file);
		r |= k->line > 0 ? ctl_obj_add_int(d, "line", k->line)
				 : ctl_obj_add_null(d, "line");
		r |= ctl_obj_add_string(d, "element", k->element);
		r |= ctl_obj_add_string(d, "attribute", k->attribute);
		r |= ctl_obj_add_string(d, "value", k->value);
		r |= ctl_obj_add_string(d, "message", k->message);
		r |= ctl_obj_add_string(d, "accepted", k->accepted);
	}
	return r < 0 ? -1 : 0;
}

char *cli_json_format(struct ctl_obj *obj)
{
	char *line = NULL;

	if (ctl_obj_to_line(obj, &line) < 0)
		return NULL;
	line[strlen(line) - 1] = '\0';
	return line;
}

int cli_json_print(struct ctl_obj *obj, bool is_ok)
{
	_cleanup_free_ char *line = NULL;

	if (cli_json_add_diagnostics(obj) < 0)
		obj = ctl_obj_free(obj);
	if (!obj || !(line = cli_json_format(obj))) {
		fprintf(stderr, "%s: out of memory\n", cli_program);
		return CLI_EXIT_FAILURE;
	}
	puts(line);
	return is_ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

int cli_json_failure(void)
{
	struct ctl_obj *obj = ctl_obj_new();

	ctl_obj_add_bool(obj, "ok", false);
	return cli_json_print(obj, false);
}

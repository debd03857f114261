/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filter directories -> filter set. */
#include "conf/load.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "util/cleanup.h"

static bool has_xml_suffix(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && strcmp(name + len - 4, ".xml") == 0;
}

static void report(struct conf_diag *diag, enum conf_severity sev, const char *file,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct conf_diag *diag, enum conf_severity sev, const char *file,
		   const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_diag_emit(diag,
		       &(struct conf_message){ .severity = sev, .file = file, .message = msg });
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/*
 * A filter file without <uuid> gets one derived from its name, so that its
 * UUID is the same at every load (libvirt writes a random one back into the
 * file; we never write into the user's directories).
 */
static void name_uuid(const char *name, uint8_t uuid[16])
{
	uint64_t hi = fnv1a(name, 0xcbf29ce484222325ull),
		 lo = fnv1a(name, hi ^ 0x9e3779b97f4a7c15ull);

	for (int i = 0; i < 8; i++) {
		uuid[i] = (uint8_t)(hi >> (56 - 8 * i));
		uuid[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x50); /* version 5: name-based */
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

static int load_file(const char *path, const char *file_name, struct filter_set *set,
		     struct conf_diag *diag)
{
	_cleanup_(filter_freep) struct filter *f = NULL;
	size_t stem = strlen(file_name) - strlen(".xml");
	int r;

	r = conf_filter_parse_file(path, diag, &f);
	if (r < 0)
		return r;
	if (!f->has_uuid)
		name_uuid(f->name, f->uuid);
	/* libvirt requires <name>.xml; a mismatch is confusing but harmless */
	if (strlen(f->name) != stem || strncmp(f->name, file_name, stem) != 0)
		report(diag, CONF_WARNING, path, "filter '%s' is not in a file named %s.xml",
		       f->name, f->name);
	r = filter_set_add(set, f, NULL);
	if (r < 0) {
		report(diag, CONF_ERROR, path, "cannot add filter '%s': %s", f->name, strerror(-r));
		return r;
	}
	TAKE_PTR(f);
	return 0;
}

int conf_load_dir(const char *dir, struct filter_set *set, struct conf_diag *diag)
{
	struct dirent **names;
	int n, bad = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		int r = -errno;

		report(diag, CONF_ERROR, dir, "cannot read filter directory: %s", strerror(-r));
		return r;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (has_xml_suffix(names[i]->d_name)) {
			if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0)
				path = NULL;
			if (!path || load_file(path, names[i]->d_name, set, diag) < 0)
				bad++;
		}
		free(names[i]);
	}
	free(names);
	return bad;
}

const char *conf_builtin_dir(void)
{
	const char *env = getenv("VIFGUARD_FILTER_DIR");
	struct stat st;

	if (env && *env)
		return env;
	if (stat(VIFGUARD_FILTER_DIR, &st) == 0 && S_ISDIR(st.st_mode))
		return VIFGUARD_FILTER_DIR;
	return VIFGUARD_SOURCE_FILTER_DIR;
}

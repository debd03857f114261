/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration file's syntax, shared by vifguardd and vifguardctl (which reads its socket). */
#include "conf/keyfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"

#define LINE_MAX_BYTES 4096

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int conf_keyfile_read(const char *path, conf_keyfile_fn set, void *userdata, struct err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[LINE_MAX_BYTES];
	int n = 0, r;

	if (!f)
		return err_set(err, -errno, "cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#'), *eq, *key;

		n++;
		if (!strchr(line, '\n') && !feof(f))
			return err_set(err, -EINVAL, "%s:%d: line longer than %d bytes", path, n,
				       LINE_MAX_BYTES - 2);
		if (hash)
			*hash = '\0';
		key = trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return err_set(err, -EINVAL, "%s:%d: expected 'key = value'", path, n);
		*eq = '\0';
		r = set(userdata, trim(key), trim(eq + 1), err);
		if (r < 0)
			return err_prefix(err, r, "%s:%d: ", path, n);
	}
	return 0;
}

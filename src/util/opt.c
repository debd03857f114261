/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/opt.h"

#include <stdio.h>
#include <string.h>

int opt_next(int argc, char **argv, const char *shortopts, const struct option *longopts, char *why,
	     size_t why_size)
{
	char colon_first[64];
	const char *word;
	int opt;

	/* a leading ':' makes getopt tell a missing value (':') from an unknown option ('?') */
	snprintf(colon_first, sizeof(colon_first), ":%s", shortopts);
	opterr = 0;
	opt = getopt_long(argc, argv, colon_first, longopts, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	/* optind has moved past the word in error; a short option may sit in a cluster */
	word = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (optopt && (strncmp(word, "--", 2) != 0))
		snprintf(why, why_size,
			 opt == ':' ? "option '-%c' needs a value" : "unknown option '-%c'",
			 optopt);
	else
		snprintf(why, why_size,
			 opt == ':' ? "option '%s' needs a value" : "unknown option '%s'", word);
	return '?';
}

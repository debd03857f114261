/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays a fuzz target's corpus without libFuzzer, so every input that ever
 * found a bug stays a regression test in the normal suite. Prints TAP: one
 * line per file.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy lets ASan catch reads past the end. */
	uint8_t *exact = malloc(len ? (size_t)len : 1);
	if (!exact) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, (size_t)len);
	free(buf);
	LLVMFuzzerTestOneInput(exact, (size_t)len);
	free(exact);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	struct dirent **names;
	int n, failed = 0, count = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &names, NULL, by_name);
	if (n < 0) {
		perror(argv[1]);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (names[i]->d_name[0] == '.') {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]->d_name);
		count++;
		if (replay_file(path) < 0) {
			printf("not ok %d - %s (unreadable)\n", count, names[i]->d_name);
			failed++;
		} else {
			printf("ok %d - %s\n", count, names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}

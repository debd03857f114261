/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging to stderr with levels (journald adds the time). Modules below
 * daemon/ log at debug at most; they return errors instead. The logger
 * preserves errno.
 */
#pragma once

enum log_level {
	LOG_LEVEL_ERR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "err", "warn", "info", "debug"; returns -EINVAL for anything else. */
int log_level_parse(const char *text, enum log_level *ret);
/* Prefixes every line with "<N>" for journald when stderr is the journal. */
void log_set_journal_prefix(int enabled);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

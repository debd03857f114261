/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/fault.h"

#include "config.h"

#if VIFGUARD_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

void fault_point(const char *point)
{
	const char *want = getenv("VIFGUARD_FAULT"), *file = getenv("VIFGUARD_FAULT_FILE");

	if (!want || !file || strcmp(want, point) != 0 || access(file, F_OK) != 0)
		return;
	log_err("fault injection: killed at %s", point);
	(void)unlink(file); /* one crash per arming */
	(void)kill(getpid(), SIGKILL);
}
#else
void fault_point(const char *point)
{
	(void)point;
}
#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading filter directories into a filter set: every *.xml file that is a
 * <filter>. Later directories override earlier ones, so a user's
 * /etc/libvirt/nwfilter can replace a built-in filter of the same name.
 */
#pragma once

#include "conf/conf.h"
#include "filter/filterset.h"

/*
 * Adds every filter in dir to set. A bad file is reported through diag and
 * skipped (the others still load); the return value counts them. Returns
 * the number of bad files (>= 0), or -errno when dir cannot be read (also
 * reported through diag).
 */
int conf_load_dir(const char *dir, struct filter_set *set, struct conf_diag *diag);

/*
 * The directory of the built-in filters: $VIFGUARD_FILTER_DIR when set,
 * else the installed one, else the source tree's (for a build that was not
 * installed).
 */
const char *conf_builtin_dir(void);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's event loop: runs until SIGTERM/SIGINT; every port's rules stay in force. */
#pragma once

#include "daemon/daemon.h"

int loop_run(const struct daemon_config *cfg, struct err *err);

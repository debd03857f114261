/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Crash points for the tests, in builds with fault injection (debug
 * builds; meson option fault_injection). With VIFGUARD_FAULT=POINT and
 * VIFGUARD_FAULT_FILE=PATH in its environment, the daemon kills itself
 * with SIGKILL the first time it passes POINT while PATH exists, as a
 * kill -9 between two steps would: no atexit, no flush, no goodbye. The
 * test arms the point by creating the file just before the operation it
 * wants interrupted. Points, in the order a change passes them:
 *
 *   after-store   a store transaction committed, the kernel not yet changed
 *   after-apply   an nftables transaction committed, its record not yet stored
 *   after-remove  a port's rules removed, its binding not yet deleted
 *
 * Without fault injection, fault_point() does nothing.
 */
#pragma once

void fault_point(const char *point);

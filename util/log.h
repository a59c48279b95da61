/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one error logger, at the top of the program (the CLI commands and the
 * daemon): libraries return negative errno and fill struct sg_error; the
 * caller logs once. Messages go to stderr as "swapguard: MSG" (journald
 * picks stderr up under systemd). Control and non-ASCII bytes of MSG are
 * printed as \xNN: messages carry operator and guest input.
 */
#pragma once

#include "util/sg-util.h"

void sg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sg_log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What the long-running agent tells its log. */
void sg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Logs err ("FILE:LINE: MSG", with "(run as root)" added to a permission
 * error), or strerror(-r) when err is NULL or empty, as one error line, and
 * returns r (systemd's log_error_errno): `return sg_log_error_errno(r, &err);`.
 * A non-negative r is returned as -EIO, so the result always reads as failure.
 */
int sg_log_error_errno(int r, const struct sg_error *err);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integer sysctls of the host, read from /proc/sys. */
#pragma once

#include <stdint.h>

#include "util/sg-util.h"

/*
 * Reads the integer sysctl /proc/sys/NAME (NAME relative to /proc/sys, e.g.
 * "vm/swappiness", "kernel/task_delayacct"; under --proc-root for a fixture
 * tree) into *out: one decimal number as the kernel prints it, in the
 * sysctl's own unit (swappiness 0..200, a 0/1 switch ...), a trailing
 * newline or blanks allowed. Returns 0, or a negative errno: -ENOENT when the
 * kernel has no such sysctl, -EACCES and the other errors of openat/read
 * (sg_read_at), -EINVAL when the content is not one number or the name is
 * unusable, -ERANGE when the number is above max. *out is unchanged on error.
 */
int sg_sysctl_read_u64(const struct sg_fs *fs, const char *name, uint64_t max, uint64_t *out);

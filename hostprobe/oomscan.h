/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every process as the OOM killer would score it, for the swapoff forecast:
 * /proc/PID/status (VmRSS, VmSwap, VmPTE) and /proc/PID/oom_score_adj.
 * One pass over /proc: on demand (recommend, apply), never in the sampling path.
 */
#pragma once

#include "util/types.h"
#include "util/sg-util.h"

/*
 * Reads every process with a memory map (kernel threads have no VmRSS and are
 * skipped, as are processes that exit or deny access during the scan).
 * Returns the count (>= 0) with *out malloc'd (NULL when 0; free() it), or
 * -errno of opening /proc, -ENOMEM, -E2BIG beyond PID_MAX_LIMIT (4M) entries.
 * Sources: status VmRSS, VmSwap, VmPTE (kB; a missing VmSwap/VmPTE counts 0),
 * comm (trailing newline stripped), oom_score_adj.
 */
int sg_oom_scan(const struct sg_fs *fs, struct sg_oom_proc **out);

/* Reads /proc/PID/oom_score_adj (-1000..1000) into adj. Returns 0, -ESRCH (gone),
 * -EACCES, -EINVAL (not a number in range). */
int sg_oom_score_adj_read(const struct sg_fs *fs, pid_t pid, int *adj);

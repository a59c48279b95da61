/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure arithmetic over samples: no I/O. */
#pragma once

#include <stdint.h>

/* Marks a figure the source did not provide (same value as hostprobe's SG_NONE). */
#define SG_POLICY_NONE UINT64_MAX

/*
 * Per-second rate of a monotonically increasing kernel counter (pgmajfault,
 * pswpin, majflt ...) between two samples dt_s seconds apart.
 * Returns NAN when the rate is unknown: a counter missing in either sample,
 * a counter that went backwards (process restarted, cgroup recreated), or
 * dt_s <= 0.
 */
double sg_counter_rate(uint64_t before, uint64_t after, double dt_s);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rates.h"

#include <math.h>

double sg_counter_rate(uint64_t before, uint64_t after, double dt_s)
{
    if (before == SG_POLICY_NONE || after == SG_POLICY_NONE || after < before || !(dt_s > 0))
        return NAN;
    return (double)(after - before) / dt_s;
}

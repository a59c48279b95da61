/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <math.h>

#include "policies/rates.h"

Test(rates, per_second)
{
    cr_assert_float_eq(sg_counter_rate(100, 350, 2.5), 100.0, 1e-9);
    cr_assert_float_eq(sg_counter_rate(7, 7, 1.0), 0.0, 1e-9);
}

Test(rates, unknown_cases_are_nan)
{
    cr_assert(isnan(sg_counter_rate(SG_POLICY_NONE, 5, 1.0)), "missing before");
    cr_assert(isnan(sg_counter_rate(5, SG_POLICY_NONE, 1.0)), "missing after");
    cr_assert(isnan(sg_counter_rate(10, 5, 1.0)), "counter went backwards (restart)");
    cr_assert(isnan(sg_counter_rate(1, 5, 0.0)), "no time passed");
    cr_assert(isnan(sg_counter_rate(1, 5, -1.0)), "clock went backwards");
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decisions of `swapguard agent` (agent/daemon.c) with plain values: the
 * reconnect backoff, the rotation of guest probes over the domains, and when
 * a verdict is reported and a remedy applied.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "agent/core/config.h"
#include "agent/daemon/daemon.h"

Test(backoff, doubles_from_one_second_up_to_the_cap)
{
    const double want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };

    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_float_eq(sg_daemon_backoff_s(i + 1, 60), want[i], 1e-9, "attempt %u", i + 1);
}

Test(backoff, edges)
{
    cr_expect_float_eq(sg_daemon_backoff_s(0, 60), 1, 1e-9, "attempt 0 counts as the first");
    cr_expect_float_eq(sg_daemon_backoff_s(5, 10), 10, 1e-9, "a cap that is not a power of two");
    cr_expect_float_eq(sg_daemon_backoff_s(4, 10), 8, 1e-9);
    cr_expect_float_eq(sg_daemon_backoff_s(3, 1), 1, 1e-9, "cap 1: always 1 s");
    cr_expect_float_eq(sg_daemon_backoff_s(3, 0.2), 1, 1e-9, "a cap under 1 s counts as 1 s");
    cr_expect_float_eq(sg_daemon_backoff_s(4000000000u, 3600), 3600, 1e-9, "no overflow");
}

/* Runs ticks 1..n_ticks over n domains, k probes each, and checks that every
 * eligible domain waits at most ceil(eligible / k) ticks between probes. */
static void rotate(size_t n, unsigned k, const bool *eligible, unsigned n_ticks)
{
    uint64_t last[16] = { 0 };
    size_t out[16], n_elig = 0;
    uint64_t max_gap;

    for (size_t i = 0; i < n; i++)
        n_elig += eligible[i];
    max_gap = (n_elig + k - 1) / k;
    for (uint64_t t = 1; t <= n_ticks; t++) {
        size_t m = sg_daemon_pick_probes(last, eligible, n, k, out);

        cr_assert_eq(m, n_elig < k ? n_elig : k, "tick %lu: %zu probes", (unsigned long)t, m);
        for (size_t j = 0; j < m; j++) {
            cr_assert(eligible[out[j]], "tick %lu: domain %zu is not eligible", (unsigned long)t,
                      out[j]);
            if (j)
                cr_assert_lt(out[j - 1], out[j], "ascending, no domain twice");
            last[out[j]] = t;
        }
        for (size_t i = 0; i < n; i++)
            if (eligible[i] && t >= max_gap)
                cr_assert_leq(t - last[i], max_gap - 1,
                              "tick %lu: domain %zu last probed at tick %lu (n %zu, k %u)",
                              (unsigned long)t, i, (unsigned long)last[i], n, k);
    }
}

Test(probes, every_domain_gets_its_turn)
{
    const bool all[7] = { true, true, true, true, true, true, true };
    const bool some[7] = { true, false, true, true, false, true, true };

    rotate(7, 2, all, 30);
    rotate(7, 3, all, 30);
    rotate(7, 1, all, 30);
    rotate(7, 2, some, 30);
    rotate(3, 5, all, 10);  /* more probes than domains: all, once each */
    rotate(7, 2, (const bool[7]){ false }, 5);
}

Test(probes, never_probed_first_then_least_recent)
{
    const uint64_t last[4] = { 5, 0, 3, 4 };
    const bool elig[4] = { true, true, true, true };
    size_t out[4];

    cr_assert_eq(sg_daemon_pick_probes(last, elig, 4, 2, out), 2);
    cr_expect_eq(out[0], 1, "the domain added since the last probe");
    cr_expect_eq(out[1], 2, "then the one probed longest ago");
    cr_expect_eq(sg_daemon_pick_probes(last, elig, 4, 0, out), 0, "probes_per_tick 0: none");
}

static struct sg_verdict verdict(enum sg_verdict_kind k, double confidence)
{
    struct sg_verdict v;

    memset(&v, 0, sizeof(v));
    v.kind = k;
    v.confidence = confidence;
    return v;
}

Test(decide, the_first_verdict_and_every_change_are_reported_not_every_tick)
{
    struct sg_daemon_track t = { 0 };
    struct sg_verdict ok = verdict(SG_VERDICT_OK, 0.9), ok75 = verdict(SG_VERDICT_OK, 0.75),
                      risk = verdict(SG_VERDICT_HOST_SWAP_RISK, 0.8);
    struct sg_daemon_step s;

    s = sg_daemon_decide(&t, &ok, 0, 0.8);
    cr_expect(s.report, "the first verdict is a change");
    cr_expect_null(s.prev);
    s = sg_daemon_decide(&t, &ok, 0, 0.8);
    cr_expect_not(s.report, "the same verdict again: no report");
    s = sg_daemon_decide(&t, &ok75, 0, 0.8);
    cr_expect_not(s.report, "a new confidence alone is no change");
    s = sg_daemon_decide(&t, &risk, 0, 0.8);
    cr_expect(s.report);
    cr_expect_str_eq(s.prev, "ok");
    cr_expect_eq(s.apply, 0u, "risk is not a stall");
    s = sg_daemon_decide(&t, &risk, 0, 0.8);
    cr_expect_not(s.report);
}

Test(decide, after_a_reconnect_the_next_verdict_is_reported_again)
{
    struct sg_daemon_track t = { 0 };
    struct sg_verdict risk = verdict(SG_VERDICT_HOST_SWAP_RISK, 0.8);
    struct sg_daemon_step s;

    sg_daemon_decide(&t, &risk, 0, 0.8);
    sg_daemon_track_rereport(&t);
    s = sg_daemon_decide(&t, &risk, 0, 0.8);
    cr_expect(s.report, "unchanged, but the daemon's view is new");
    cr_expect_str_eq(s.prev, "host-swap-risk", "the previous report is still known");
    s = sg_daemon_decide(&t, &risk, 0, 0.8);
    cr_expect_not(s.report, "once");
}

Test(decide, remedies_once_per_stall_episode_above_the_confidence)
{
    const unsigned mask = SG_REC_BIT(SG_REC_SWAP_LIMIT) | SG_REC_BIT(SG_REC_PREFETCH);
    struct sg_daemon_track t = { 0 };
    struct sg_verdict weak = verdict(SG_VERDICT_HOST_SWAP_STALL, 0.5),
                      strong = verdict(SG_VERDICT_HOST_SWAP_STALL, 0.95),
                      risk = verdict(SG_VERDICT_HOST_SWAP_RISK, 0.8);
    struct sg_daemon_step s;

    s = sg_daemon_decide(&t, &weak, mask, 0.8);
    cr_expect(s.report);
    cr_expect_eq(s.apply, 0u, "confidence 0.5 < 0.8: nothing applied");
    s = sg_daemon_decide(&t, &strong, mask, 0.8);
    cr_expect_not(s.report, "still host-swap-stall");
    cr_expect_eq(s.apply, mask, "the stall is now certain enough: the configured remedies");
    s = sg_daemon_decide(&t, &strong, mask, 0.8);
    cr_expect_eq(s.apply, 0u, "never again while the verdict stays");
    sg_daemon_track_rereport(&t);
    s = sg_daemon_decide(&t, &strong, mask, 0.8);
    cr_expect(s.report);
    cr_expect_eq(s.apply, 0u, "a reconnect does not start a new episode");
    s = sg_daemon_decide(&t, &risk, mask, 0.8);
    cr_expect_eq(s.apply, 0u);
    s = sg_daemon_decide(&t, &strong, mask, 0.8);
    cr_expect(s.report);
    cr_expect_eq(s.apply, mask, "a new episode after the verdict left host-swap-stall");
}

Test(decide, nothing_applied_without_auto_apply)
{
    struct sg_daemon_track t = { 0 };
    struct sg_verdict strong = verdict(SG_VERDICT_HOST_SWAP_STALL, 0.95);

    cr_expect_eq(sg_daemon_decide(&t, &strong, 0, 0.5).apply, 0u);
    cr_expect_eq(sg_daemon_decide(&t, &strong, 0, 0.5).apply, 0u);
}

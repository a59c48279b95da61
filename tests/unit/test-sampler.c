/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scenario replays: time series recorded from real TCG guests by
 * scripts/capture-scenarios.sh (`swapguard diagnose --record`), pushed tick by
 * tick into the sampler, verdicts asserted per domain and window. See the
 * script for what each guest went through.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/collect.h"
#include "policies/sampler.h"

/* Replays tests/data/scenarios/NAME into s (ring of cap ticks). */
static void replay(const char *name, size_t cap, struct sg_sampler *s)
{
    char path[4096], why[256];
    char *line = NULL;
    size_t size = 0;
    unsigned lineno = 0, n_dom = 0, n_host = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/scenarios/%s", SG_TEST_DATA, name);
    f = fopen(path, "r");
    cr_assert_not_null(f, "open %s", path);
    cr_assert_eq(sg_sampler_init(s, cap), 0);
    while (getline(&line, &size, f) > 0) {
        json_object *o = json_tokener_parse(line), *type, *facts, *uuid, *dname;

        lineno++;
        cr_assert_not_null(o, "%s:%u: not JSON", path, lineno);
        cr_assert(json_object_object_get_ex(o, "type", &type) &&
                      json_object_object_get_ex(o, "facts", &facts),
                  "%s:%u: no type/facts", path, lineno);
        if (strcmp(json_object_get_string(type), "host") == 0) {
            struct sg_host_facts h;
            cr_assert_eq(sg_host_facts_from_json(facts, &h, why, sizeof(why)), 0, "%s:%u: %s", path,
                         lineno, why);
            sg_sampler_push_host(s, &h);
            n_host++;
        } else {
            struct sg_dom_facts d;
            cr_assert(json_object_object_get_ex(o, "uuid", &uuid) &&
                      json_object_object_get_ex(o, "name", &dname));
            cr_assert_eq(sg_dom_facts_from_json(facts, &d, why, sizeof(why)), 0, "%s:%u: %s", path,
                         lineno, why);
            cr_assert_eq(sg_sampler_push_dom(s, json_object_get_string(uuid),
                                             json_object_get_string(dname), &d),
                         0);
            n_dom++;
        }
        json_object_put(o);
    }
    free(line);
    fclose(f);
    cr_assert(n_host >= 2 && n_dom >= 2 * n_host, "%s: %u host and %u domain ticks", path, n_host,
              n_dom);
}

static const char *uuid_of(const struct sg_sampler *s, const char *name)
{
    for (size_t i = 0; i < s->n_doms; i++)
        if (strcmp(s->doms[i].name, name) == 0)
            return s->doms[i].uuid;
    cr_assert_fail("domain %s not in the recording", name);
    return NULL;
}

struct scenario_case {
    const char *file;
    size_t cap;           /* ring length */
    const char *domain;
    double window_s;      /* 0: the whole ring */
    enum sg_verdict_kind want;
    const char *why;
};

static const struct scenario_case cases[] = {
    { "calm.jsonl", 60, "sgsc-a", 0, SG_VERDICT_OK, "untouched guest" },
    { "calm.jsonl", 60, "sgsc-b", 0, SG_VERDICT_OK, "untouched guest" },
    { "calm.jsonl", 60, "sgsc-gswap", 0, SG_VERDICT_OK, "a guest with an unused swap disk" },
    { "squeezed.jsonl", 60, "sgsc-a", 0, SG_VERDICT_HOST_SWAP_RISK,
      "guest RAM in host swap, no stall evidence" },
    { "squeezed.jsonl", 60, "sgsc-b", 0, SG_VERDICT_OK, "the neighbour was not squeezed" },
    { "squeezed.jsonl", 60, "sgsc-gswap", 0, SG_VERDICT_GUEST_INTERNAL_SWAP,
      "the guest swaps to its own disk, the host swapped none of it" },
    { "stall.jsonl", 60, "sgsc-a", 0, SG_VERDICT_HOST_SWAP_STALL,
      "the async-PF hung-task report is inside the whole ring" },
    { "stall.jsonl", 60, "sgsc-a", 4, SG_VERDICT_HOST_SWAP_RISK,
      "a 4 s window at the end no longer holds the report: back to risk" },
    { "stall.jsonl", 4, "sgsc-a", 0, SG_VERDICT_HOST_SWAP_RISK,
      "a ring of 4 ticks has dropped the tick with the report" },
    { "stall.jsonl", 60, "sgsc-b", 0, SG_VERDICT_OK, "the neighbour stays ok" },
};

/* Criterion copies parameters into its worker: pass indices into cases[], not structs with pointers. */
ParameterizedTestParameters(scenarios, replay)
{
    static size_t idx[sizeof(cases) / sizeof(cases[0])];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, scenarios, replay)
{
    const struct scenario_case *c = &cases[*i];
    struct sg_verdict_thresholds t;
    struct sg_sampler s;
    struct sg_verdict v;

    sg_verdict_thresholds_default(&t);
    replay(c->file, c->cap, &s);
    cr_assert_eq(sg_sampler_verdict(&s, uuid_of(&s, c->domain), c->window_s, &t, &v), 0);
    cr_expect_eq(v.kind, c->want, "%s %s window %.0f: got %s, want %s (%s); missing: %s", c->file,
                 c->domain, c->window_s, sg_verdict_name(v.kind), sg_verdict_name(c->want), c->why,
                 v.missing);
    sg_sampler_clear(&s);
}

/* Hand-written hostile records (not captured): every key required, types checked. */
Test(scenarios, facts_json_rejects_bad_records)
{
    struct sg_dom_facts d;
    char why[256] = "";
    json_object *o;

    memset(&d, 0, sizeof(d));
    o = sg_dom_facts_to_json(&d);
    json_object_object_del(o, "vm_swap_kib");
    cr_assert_eq(sg_dom_facts_from_json(o, &d, why, sizeof(why)), -EINVAL);
    cr_assert(strstr(why, "vm_swap_kib"), "why names the key: %s", why);
    json_object_object_add(o, "vm_swap_kib", json_object_new_string("12"));
    cr_assert_eq(sg_dom_facts_from_json(o, &d, why, sizeof(why)), -EINVAL);
    json_object_object_add(o, "vm_swap_kib", json_object_new_int64(-5));
    cr_assert_eq(sg_dom_facts_from_json(o, &d, why, sizeof(why)), -EINVAL);
    json_object_object_add(o, "vm_swap_kib", NULL);
    json_object_object_add(o, "guest_missing", json_object_new_string_len("x", 1));
    cr_assert_eq(sg_dom_facts_from_json(o, &d, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(d.vm_swap_kib, SG_POLICY_NONE, "null reads back as not provided");
    json_object_put(o);

    o = json_tokener_parse("[1,2]");
    cr_assert_eq(sg_dom_facts_from_json(o, &d, why, sizeof(why)), -EINVAL);
    json_object_put(o);
}

Test(scenarios, facts_json_round_trip)
{
    struct sg_dom_facts a = {
        .t_s = 12.5, .running = true, .guest_ram_kib = 262144, .vm_swap_kib = 1000,
        .cgroup_swap_bytes = SG_POLICY_NONE, .cgroup_pgmajfault = 77, .psi_some_avg10 = 1.5,
        .psi_full_avg10 = NAN, .apf_available = false, .apf_missing = "vCPUs run under TCG",
        .guest_probed = true,
        .guest = { .agent_ok = true, .tasks_ok = true, .async_pf_tasks = 3, .missing = "",
                   .swap_total_kib = SG_POLICY_NONE, .steal_ms_per_s = NAN },
    }, b;
    char why[256] = "";
    json_object *o = sg_dom_facts_to_json(&a);

    cr_assert_eq(sg_dom_facts_from_json(o, &b, why, sizeof(why)), 0, "%s", why);
    cr_assert_float_eq(b.t_s, 12.5, 1e-9);
    cr_assert(b.running && b.guest_probed && b.guest.agent_ok && !b.apf_available);
    cr_assert_eq(b.vm_swap_kib, 1000);
    cr_assert_eq(b.cgroup_swap_bytes, SG_POLICY_NONE);
    cr_assert(isnan(b.psi_full_avg10));
    cr_assert_str_eq(b.apf_missing, "vCPUs run under TCG");
    cr_assert_eq(b.guest.async_pf_tasks, 3);
    json_object_put(o);
}

/* ---- the ring keeps every number the window rules need ---- */

/* Hand-written ticks: the lost-time counters of each older tick come back from the ring as they
 * were pushed (the newest tick is kept whole), so rates over the window are right. */
Test(ring, older_ticks_keep_their_lost_time_numbers)
{
    struct sg_sampler s;
    struct sg_host_facts h = { .psi_some_avg10 = NAN, .psi_full_avg10 = NAN };
    struct sg_dom_facts d, back;
    const struct sg_dom_ring *r;
    const char *uuid = "11111111-2222-3333-4444-555555555555";

    cr_assert_eq(sg_sampler_init(&s, 4), 0);
    for (int i = 0; i < 3; i++) {
        memset(&d, 0, sizeof(d));
        d.t_s = h.t_s = 100.0 + i;
        d.running = true;
        d.vm_swap_kib = d.cgroup_swap_bytes = d.cgroup_pgmajfault = 0;
        d.psi_some_avg10 = d.psi_full_avg10 = NAN;
        d.psi_full_total_us = 1000u * (unsigned)i;
        d.lost.vcpu_threads = 1;
        d.lost.delayacct_available = true;
        d.lost.swapin_delay_ns = 1000000u * (unsigned)i;
        d.lost.blkio_delay_ns = 500000000u * (unsigned)i;
        d.lost.run_delay_ns = 7u * (unsigned)i;
        d.lost.vcpu_looks = 3u * (unsigned)i;
        d.lost.vcpu_looks_swapin = 2u * (unsigned)i;
        d.lost.console_ok = true;
        d.lost.console_stall_msgs = (unsigned)i;
        d.lost.io_psi_some_avg10 = d.lost.io_psi_full_avg10 = d.lost.cpu_psi_some_avg10 = 0.5 * i;
        /* one vCPU thread, then two: the ring makes room and keeps the older ticks' one */
        d.lost.n_vcpu_lost = i == 2 ? 2 : 1;
        for (unsigned k = 0; k < d.lost.n_vcpu_lost; k++)
            d.vcpu_lost[k] = (struct sg_vcpu_lost){ .vcpu = k, .tid = 40 + k, .swapin_delay_ns = 11u * (unsigned)i + k,
                                                    .run_delay_ns = 13u * (unsigned)i, .looks = 3u * (unsigned)i };
        sg_sampler_push_host(&s, &h);
        cr_assert_eq(sg_sampler_push_dom(&s, uuid, "d", &d), 0);
    }
    r = sg_sampler_dom(&s, uuid);
    cr_assert_not_null(r);
    cr_assert_eq(r->n, 3);
    for (size_t i = 0; i < 3; i++) {
        memset(&back, 0xa5, sizeof(back)); /* nothing may stay from before */
        sg_sampler_tick(&s, r, i, &back);
        cr_expect_eq(back.lost.swapin_delay_ns, 1000000u * i, "tick %zu", i);
        cr_expect_eq(back.lost.blkio_delay_ns, 500000000u * i, "tick %zu", i);
        cr_expect_eq(back.lost.run_delay_ns, 7u * i, "tick %zu", i);
        cr_expect_eq(back.lost.vcpu_looks, 3u * i, "tick %zu", i);
        cr_expect_eq(back.lost.vcpu_looks_swapin, 2u * i, "tick %zu", i);
        cr_expect_eq(back.psi_full_total_us, 1000u * i, "tick %zu", i);
        cr_expect_eq(back.lost.console_stall_msgs, i, "tick %zu", i);
        cr_expect_eq(back.lost.vcpu_threads, 1);
        cr_expect(back.lost.delayacct_available && back.lost.console_ok);
        cr_expect_float_eq(back.lost.io_psi_some_avg10, 0.5 * (double)i, 1e-6);
        cr_assert_eq(back.lost.n_vcpu_lost, i == 2 ? 2 : 1, "tick %zu", i);
        for (unsigned k = 0; k < back.lost.n_vcpu_lost; k++) {
            cr_expect_eq(back.vcpu_lost[k].tid, 40 + k);
            cr_expect_eq(back.vcpu_lost[k].vcpu, k);
            cr_expect_eq(back.vcpu_lost[k].swapin_delay_ns, 11u * i + k, "tick %zu vCPU %u", i, k);
            cr_expect_eq(back.vcpu_lost[k].run_delay_ns, 13u * i);
            cr_expect_eq(back.vcpu_lost[k].looks, 3u * i);
        }
    }
    d.lost.n_vcpu_lost = SG_VCPU_LOST_MAX + 1;
    cr_expect_eq(sg_sampler_push_dom(&s, uuid, "d", &d), -EINVAL, "more vCPU entries than the facts hold");
    sg_sampler_clear(&s);
}

/* The ticks captured from real guests fit the compact layout (32 bytes a tick): no ring of
 * any scenario is widened. */
Test(scenarios, captured_ticks_stay_compact)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_sampler s;

        replay(cases[i].file, 60, &s);
        for (size_t k = 0; k < s.n_doms; k++)
            cr_expect(s.doms[k].c && !s.doms[k].v, "%s: ring %s widened", cases[i].file, s.doms[k].uuid);
        sg_sampler_clear(&s);
    }
}

/* Hand-written (not captured): figures at the edges of the compact layout read back exactly as
 * pushed; a counter that goes back moves the base and stays compact, a figure the layout cannot
 * hold exactly widens the ring, and the older ticks keep their figures through both. */
Test(ring, ticks_read_back_exactly_compact_or_wide)
{
    static const struct {
        uint64_t swap_kib, swap_bytes, pgmaj, psi_total, ev_max, ev_fail;
        double some, full;
        bool compact;
    } t[] = {
        { SG_POLICY_NONE, SG_POLICY_NONE, SG_POLICY_NONE, SG_POLICY_NONE, SG_POLICY_NONE, SG_POLICY_NONE, NAN, NAN, true },
        { 0, 0, 5000000000ull, 7, 0, SG_POLICY_NONE, 0, 0, true },
        { 4294967294ull, 4096ull * 1000000, 5000000001ull, 8, 65534, 3, 163.82, 0.01, true },
        { 12, 1024, 4000000000ull, 9, 1, 4, 10.5, 2, true },       /* a counter went back: new base */
        { 12, 1024, 4000000000ull, 9, 1, 4, 12.345, 2, false },    /* not hundredths: widened */
        { 4294967295ull, 1000, 1ull << 62, 1, 1ull << 40, 0, 200, 0.001, false },
    };
    struct sg_sampler s;
    struct sg_dom_facts d, back;
    const char *uuid = "21111111-2222-3333-4444-555555555555";
    const struct sg_dom_ring *r;

    cr_assert_eq(sg_sampler_init(&s, 8), 0);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        memset(&d, 0, sizeof(d));
        sg_dom_lost_none(&d.lost);
        d.t_s = 1e9 + 0.123456789 * (double)i;
        d.running = i % 2;
        d.apf_available = i % 3 == 1;
        d.vm_swap_kib = t[i].swap_kib;
        d.cgroup_swap_bytes = t[i].swap_bytes;
        d.cgroup_pgmajfault = t[i].pgmaj;
        d.psi_full_total_us = t[i].psi_total;
        d.cgroup_swap_events_max = t[i].ev_max;
        d.cgroup_swap_events_fail = t[i].ev_fail;
        d.psi_some_avg10 = t[i].some;
        d.psi_full_avg10 = t[i].full;
        cr_assert_eq(sg_sampler_push_dom(&s, uuid, "d", &d), 0);
        r = sg_sampler_dom(&s, uuid);
        cr_expect_eq(r->c != NULL, t[i].compact, "tick %zu", i);
        for (size_t k = 0; k + 1 < r->n; k++) { /* the older ticks, from the ring's layout */
            memset(&back, 0xa5, sizeof(back));
            sg_sampler_tick(&s, r, k, &back);
            cr_expect_eq(back.t_s, 1e9 + 0.123456789 * (double)k, "after %zu, tick %zu", i, k);
            cr_expect_eq(back.running, (bool)(k % 2));
            cr_expect_eq(back.apf_available, k % 3 == 1);
            cr_expect_eq(back.vm_swap_kib, t[k].swap_kib, "after %zu, tick %zu", i, k);
            cr_expect_eq(back.cgroup_swap_bytes, t[k].swap_bytes, "after %zu, tick %zu", i, k);
            cr_expect_eq(back.cgroup_pgmajfault, t[k].pgmaj, "after %zu, tick %zu", i, k);
            cr_expect_eq(back.psi_full_total_us, t[k].psi_total, "after %zu, tick %zu", i, k);
            cr_expect_eq(back.cgroup_swap_events_max, t[k].ev_max, "after %zu, tick %zu", i, k);
            cr_expect_eq(back.cgroup_swap_events_fail, t[k].ev_fail, "after %zu, tick %zu", i, k);
            cr_expect(isnan(t[k].some) ? isnan(back.psi_some_avg10) : back.psi_some_avg10 == t[k].some,
                      "after %zu, tick %zu: %g", i, k, back.psi_some_avg10);
            cr_expect(isnan(t[k].full) ? isnan(back.psi_full_avg10) : back.psi_full_avg10 == t[k].full,
                      "after %zu, tick %zu: %g", i, k, back.psi_full_avg10);
        }
    }
    sg_sampler_clear(&s);
}

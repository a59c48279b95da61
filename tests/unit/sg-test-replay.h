/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Replays a recorded time series (tests/data/scenarios, `diagnose --record`) into a sampler. */
#pragma once

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/collect.h"
#include "agent/report/report.h"
#include "policies/sampler.h"
#include "sg-test.h"

/*
 * Reads tests/data/scenarios/NAME line by line into s (initialised here with
 * a ring of 60 ticks): host lines into *host and the host ring, domain lines
 * into their domain's ring. Fails the test on any malformed line.
 */
static inline void sg_test_replay(const char *name, struct sg_sampler *s, struct sg_host_facts *host)
{
    char path[4096], why[256];
    char *line = NULL;
    size_t size = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/scenarios/%s", SG_TEST_DATA, name);
    f = fopen(path, "r");
    cr_assert_not_null(f, "open %s", path);
    cr_assert_eq(sg_sampler_init(s, 60), 0);
    while (getline(&line, &size, f) > 0) {
        json_object *o = json_tokener_parse(line), *type, *facts, *uuid, *dname;

        cr_assert_not_null(o);
        cr_assert(json_object_object_get_ex(o, "type", &type) && json_object_object_get_ex(o, "facts", &facts));
        if (strcmp(json_object_get_string(type), "host") == 0) {
            cr_assert_eq(sg_host_facts_from_json(facts, host, why, sizeof(why)), 0, "%s", why);
            sg_sampler_push_host(s, host);
        } else {
            struct sg_dom_facts d;
            cr_assert(json_object_object_get_ex(o, "uuid", &uuid) && json_object_object_get_ex(o, "name", &dname));
            cr_assert_eq(sg_dom_facts_from_json(facts, &d, why, sizeof(why)), 0, "%s", why);
            cr_assert_eq(sg_sampler_push_dom(s, json_object_get_string(uuid), json_object_get_string(dname), &d), 0);
        }
        json_object_put(o);
    }
    free(line);
    fclose(f);
}

/* A replayed recording as the reports take it: every domain with its verdict and newest tick. */
struct sg_test_rec {
    struct sg_sampler s;
    struct sg_host_facts host;
    size_t n;
    struct sg_dom w[8];
    struct sg_verdict v[8];
    struct sg_report_dom d[8];
};

/*
 * Replays tests/data/scenarios/NAME into r: domain i gets id i + 1, its
 * verdict over the whole ring (default thresholds) and its newest tick, as a
 * first report (prev_verdict NULL, changed). sg_test_rec_clear() frees it.
 */
static inline void sg_test_rec_load(const char *name, struct sg_test_rec *r)
{
    struct sg_verdict_thresholds t;

    memset(r, 0, sizeof(*r));
    sg_test_replay(name, &r->s, &r->host);
    sg_verdict_thresholds_default(&t);
    cr_assert(r->s.n_doms > 0 && r->s.n_doms <= 8);
    r->n = r->s.n_doms;
    for (size_t i = 0; i < r->n; i++) {
        const struct sg_dom_ring *ring = &r->s.doms[i];

        r->w[i].d.name = strdup(ring->name);
        snprintf(r->w[i].d.uuid, sizeof(r->w[i].d.uuid), "%s", ring->uuid);
        r->w[i].d.id = (int)i + 1;
        cr_assert_eq(sg_sampler_verdict(&r->s, ring->uuid, 0, &t, &r->v[i]), 0);
        r->d[i] = (struct sg_report_dom){ .w = &r->w[i], .v = &r->v[i],
                                          .last = ring->last,
                                          .changed = true };
    }
}

static inline void sg_test_rec_clear(struct sg_test_rec *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->w[i].d.name);
        free(r->w[i].meta);
    }
    sg_sampler_clear(&r->s);
}

/*
 * Gives domain i of r the Nova metadata of the domain XML fixture rel (under
 * tests/data), as sg_dom_read_meta would from libvirt: the labels of
 * swapguard_domain_info.
 */
static inline void sg_test_rec_meta(struct sg_test_rec *r, size_t i, const char *rel)
{
    char *xml = sg_test_slurp(rel, NULL), why[256] = "";

    struct sg_domxml *m = calloc(1, sizeof(*m));

    cr_assert_not_null(m);
    cr_assert_eq(sg_domxml_parse_nova(xml, m, why, sizeof(why)), 0, "%s: %s", rel, why);
    free(r->w[i].meta);
    r->w[i].meta = sg_dom_meta_new(m);
    cr_assert_not_null(r->w[i].meta);
    free(m);
    free(xml);
}

/*
 * Hand-made on top of a recorded tick: every optional figure known (async-PF
 * counters, swap events, delay accounting, run delay, vCPU looks, block
 * stats, io/cpu PSI), so that every schema row has a chance to show.
 */
static inline void sg_test_hand_tick(struct sg_dom_facts *hand)
{
    hand->apf_available = true;
    hand->apf[SG_APF_NOT_PRESENT] = 17;
    hand->cgroup_swap_events_max = 3;
    hand->cgroup_swap_events_fail = 5;
    hand->lost.vcpu_threads = 1;
    hand->lost.delayacct_available = true;
    hand->lost.swapin_delay_ns = 1000000;
    hand->lost.blkio_delay_ns = 2000000;
    hand->lost.cpu_delay_ns = 3000000;
    hand->lost.freepages_delay_ns = 4000000;
    hand->lost.thrashing_delay_ns = 5000000;
    hand->lost.qemu_swapin_delay_ns = 6000000;
    hand->lost.qemu_blkio_delay_ns = 7000000;
    hand->lost.run_delay_ns = 8000000;
    hand->lost.vcpu_looks = 30;
    hand->lost.vcpu_looks_dstate = 20;
    hand->lost.vcpu_looks_swapin = 10;
    hand->lost.blk_rd_reqs = hand->lost.blk_wr_reqs = hand->lost.blk_fl_reqs = 9;
    hand->lost.blk_rd_times_ns = hand->lost.blk_wr_times_ns = hand->lost.blk_fl_times_ns = 9000000;
    hand->lost.io_psi_some_avg10 = hand->lost.io_psi_full_avg10 = hand->lost.cpu_psi_some_avg10 = 1.5;
    hand->lost.n_vcpu_lost = 2;
    for (unsigned i = 0; i < 2; i++)
        hand->vcpu_lost[i] = (struct sg_vcpu_lost){
            .vcpu = i, .tid = 4000 + i, .swapin_delay_ns = 100000 * (i + 1), .blkio_delay_ns = 2000000,
            .cpu_delay_ns = 3000000, .freepages_delay_ns = 0, .thrashing_delay_ns = 0,
            .run_delay_ns = 8000000 / 2, .looks = 15, .looks_dstate = 10, .looks_swapin = 5 + i,
        };
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-vCPU lost time and the CPU-contention verdict replayed from real stalls:
 * tests/data/scenarios/sync-swap.jsonl and cpu-contention.jsonl are the
 * `diagnose --record` files of tests/integration/test-stall.sh (kept with
 * SG_STALL_KEEP=DIR): a TCG guest whose RAM sits on a throttled loop-device swap
 * while it rereads its data, and a busy guest whose vCPU thread shares host CPU 0
 * with a pinned CPU hog. Each vCPU's causes and shares, the domain's total as
 * their sum, and diagnose's sentence per vCPU.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/core/diagnose.h"
#include "sg-test-replay.h"

/* The diagnose text of domain i of r. */
static char *verdict_text(const struct sg_test_rec *r, size_t i)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    cr_assert_not_null(f);
    sg_verdict_print(f, &r->w[i], &r->v[i]);
    fclose(f);
    return buf;
}

Test(vcpu_lost, sync_swap_stall_per_vcpu)
{
    struct sg_test_rec r;
    const struct sg_verdict *v;
    const struct sg_dom_facts *last;
    char *text, want[64];
    double sum = 0;

    sg_test_rec_load("sync-swap.jsonl", &r);
    cr_assert_eq(r.n, 1);
    v = &r.v[0];
    last = r.s.doms[0].last;
    cr_expect_eq(v->kind, SG_VERDICT_HOST_SWAP_STALL, "%s", sg_verdict_name(v->kind));
    cr_assert_geq(last->lost.n_vcpu_lost, 1);
    cr_expect_eq(last->lost.n_vcpu_lost, last->lost.vcpu_threads, "every vCPU thread has its figures");
    /* One vCPU: its counters are the domain's sums (the same reads). */
    if (last->lost.vcpu_threads == 1) {
        cr_expect_eq(last->vcpu_lost[0].blkio_delay_ns, last->lost.blkio_delay_ns);
        cr_expect_eq(last->vcpu_lost[0].swapin_delay_ns, last->lost.swapin_delay_ns);
        cr_expect_eq(last->vcpu_lost[0].run_delay_ns, last->lost.run_delay_ns);
    }
    cr_assert_eq(v->n_vcpus, last->lost.n_vcpu_lost);
    cr_expect_eq(v->vcpus[0].vcpu, 0);
    cr_expect_gt(v->vcpus[0].lost_ms_per_s, 0);
    cr_expect_gt(v->vcpus[0].share[SG_VCPU_CAUSE_HOST_SWAP], 0.5, "vCPU 0 lost most of its time to swap-in: %.2f",
                 v->vcpus[0].share[SG_VCPU_CAUSE_HOST_SWAP]);
    cr_expect(!v->vcpus[0].swap_estimated, "delay accounting was on");
    for (size_t i = 0; i < v->n_vcpus; i++)
        sum += isnan(v->vcpus[i].lost_ms_per_s) ? 0 : v->vcpus[i].lost_ms_per_s;
    cr_expect_float_eq(sum, v->lost_ms_per_s, 1e-6,
                       "the domain's lost time %.1f is its vCPUs' %.1f", v->lost_ms_per_s, sum);
    text = verdict_text(&r, 0);
    snprintf(want, sizeof(want), "%.0f %% of vCPU 0's lost time is swap-in",
             v->vcpus[0].share[SG_VCPU_CAUSE_HOST_SWAP] * 100);
    cr_expect(strstr(text, want) != NULL, "'%s' in:\n%s", want, text);
    free(text);
    sg_test_rec_clear(&r);
}

Test(vcpu_lost, cpu_contention_per_vcpu)
{
    struct sg_test_rec r;
    const struct sg_verdict *v;
    char *text;

    sg_test_rec_load("cpu-contention.jsonl", &r);
    cr_assert_eq(r.n, 1);
    v = &r.v[0];
    cr_expect_eq(v->kind, SG_VERDICT_HOST_CPU_CONTENTION, "%s", sg_verdict_name(v->kind));
    cr_assert_geq(v->n_vcpus, 1);
    cr_expect_gt(v->vcpus[0].ms[SG_VCPU_CAUSE_HOST_CPU], 300, "vCPU 0 waited for host CPU 0: %.0f ms/s",
                 v->vcpus[0].ms[SG_VCPU_CAUSE_HOST_CPU]);
    cr_expect_gt(v->vcpus[0].share[SG_VCPU_CAUSE_HOST_CPU], 0.9);
    text = verdict_text(&r, 0);
    cr_expect(strstr(text, "of vCPU 0's lost time is run-queue wait") != NULL, "%s", text);
    free(text);
    sg_test_rec_clear(&r);
}

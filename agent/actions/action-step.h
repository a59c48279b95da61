/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TEST ONLY: the steps of an action, so that a test can kill swapguard at each
 * of them and check what the action journal and the host say afterwards.
 *
 * A step is one durable effect: the journal entry written ("applying"), each
 * change made on the host (a cgroup file, libvirt memory parameters,
 * oom_score_adj, swapoff(2) of one device, one chunk read back by prefetch, a
 * domain definition), the entry completed ("applied", "failed",
 * "rolled-back"). apply and rollback call sg_action_step() right after each.
 *
 * Nothing happens unless the environment has SWAPGUARD_TEST_HOOKS=1. Then
 * every step is announced on stderr ("swapguard: test hook: step K: WHAT"),
 * and with SWAPGUARD_TEST_STOP_AFTER_STEP=K the process kills itself with
 * SIGKILL right after step K (1-based, counted over the whole process): what
 * a power cut or the OOM killer would do there. With
 * SWAPGUARD_TEST_PAUSE_AFTER_STEP=K it stops itself with SIGSTOP right after
 * step K ("swapguard: test hook: SIGSTOP after step K") and goes on when the
 * test sends SIGCONT: the window in which a test destroys the domain or
 * restarts libvirtd. Never set these outside tests.
 */
#pragma once

/* Step done (what: a short description, for the announcement). */
void sg_action_step(const char *what);

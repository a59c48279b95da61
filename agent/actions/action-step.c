/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TEST ONLY: kill the process after step K of an action (action-step.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/actions/action-step.h"

/* The step number in environment variable name, or 0 when unset or not a number. */
static unsigned long env_step(const char *name)
{
    const char *v = getenv(name);
    char *end;
    unsigned long k;

    if (!v || !*v)
        return 0;
    k = strtoul(v, &end, 10);
    return *end ? 0 : k;
}

void sg_action_step(const char *what)
{
    static unsigned step;
    const char *hooks = getenv("SWAPGUARD_TEST_HOOKS");

    if (!hooks || strcmp(hooks, "1") != 0)
        return;
    step++;
    fprintf(stderr, "swapguard: test hook: step %u: %s\n", step, what);
    if (env_step("SWAPGUARD_TEST_PAUSE_AFTER_STEP") == step) {
        fprintf(stderr, "swapguard: test hook: SIGSTOP after step %u\n", step);
        fflush(NULL);
        raise(SIGSTOP); /* every thread stops; SIGCONT from the test resumes here */
        fprintf(stderr, "swapguard: test hook: continued after step %u\n", step);
    }
    if (env_step("SWAPGUARD_TEST_STOP_AFTER_STEP") != step)
        return;
    fprintf(stderr, "swapguard: test hook: SIGKILL after step %u\n", step);
    fflush(NULL);
    kill(getpid(), SIGKILL);
    pause();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TEST ONLY: kill the process after step K of an action (action-step.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/actions/action-step.h"

void sg_action_step(const char *what)
{
    static unsigned step;
    const char *hooks = getenv("SWAPGUARD_TEST_HOOKS"), *stop;
    char *end;
    unsigned long k;

    if (!hooks || strcmp(hooks, "1") != 0)
        return;
    step++;
    fprintf(stderr, "swapguard: test hook: step %u: %s\n", step, what);
    stop = getenv("SWAPGUARD_TEST_STOP_AFTER_STEP");
    if (!stop || !*stop)
        return;
    k = strtoul(stop, &end, 10);
    if (*end || k != step)
        return;
    fprintf(stderr, "swapguard: test hook: SIGKILL after step %u\n", step);
    fflush(NULL);
    kill(getpid(), SIGKILL);
    pause();
}

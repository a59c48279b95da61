/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A stand-in for a QEMU process in scripts/bench.sh: started as
 * "qemu-system-x86_64 -name guest=NAME,debug-threads=on -S -uuid UUID ...",
 * it only waits for a signal. What swapguard reads of it is real: its
 * /proc/PID/{cmdline,status,stat} and the memory cgroup it was moved into.
 */
#include <unistd.h>

int main(void)
{
    for (;;)
        pause();
}

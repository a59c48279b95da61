/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of the qemu-ga replies guestprobe uses beyond guest-info:
 * guest-exec, guest-exec-status, guest-file-open/read, guest-get-cpustats,
 * guest-get-osinfo. Each takes the whole reply text (as from
 * virDomainQemuAgentCommand) and returns -EBADMSG for anything that is not
 * the documented shape (types checked, sizes capped), -EREMOTEIO for an agent
 * error, with why saying which (see gp_reply_parse).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest decoded guest-exec output or file we accept, bytes. */
#define GP_DATA_MAX (768 * 1024)
/* Most vCPUs guest-get-cpustats may list. */
#define GP_MAX_CPUS 4096

/* guest-exec: {"return": {"pid": N}}; N > 0 and fits int64. */
int gp_parse_exec(const char *reply, int64_t *pid, char *why, size_t why_size);

struct gp_exec_status {
    bool exited;
    int64_t exitcode;   /* -1 when absent */
    int64_t signal;     /* -1 when absent */
    char *out;          /* decoded out-data, NUL-terminated (malloc'd; NULL when absent) */
    size_t out_len;
    bool out_truncated; /* qemu-ga cut the output ("out-truncated") */
};

/*
 * guest-exec-status: {"return": {"exited": B, "exitcode": N, "signal": N,
 * "out-data": BASE64, "out-truncated": B, ...}}. out-data is decoded strictly
 * (gp_base64_decode; -EBADMSG for invalid base64) and capped at GP_DATA_MAX.
 */
int gp_parse_exec_status(const char *reply, struct gp_exec_status *out, char *why, size_t why_size);
void gp_exec_status_clear(struct gp_exec_status *s);

/* guest-file-open: {"return": HANDLE} (integer >= 0). */
int gp_parse_file_open(const char *reply, int64_t *handle, char *why, size_t why_size);

/* guest-file-read: {"return": {"count": N, "buf-b64": S, "eof": B}}; count must
 * equal the decoded length; at most max bytes. *data is malloc'd, NUL-terminated. */
int gp_parse_file_read(const char *reply, size_t max, char **data, size_t *len, bool *eof,
                       char *why, size_t why_size);

/* One vCPU of guest-get-cpustats ("type": "linux"); counters in ms since guest boot. */
struct gp_cpustat {
    int64_t cpu;
    uint64_t user_ms, system_ms, idle_ms, iowait_ms, steal_ms;
};

/*
 * guest-get-cpustats (QEMU >= 7.1): {"return": [{"type": "linux", "cpu": N,
 * "user": N, ..., "iowait": N, "steal": N}, ...]}. Entries of other types
 * are skipped. Returns the number of vCPUs (*out malloc'd), or -EBADMSG,
 * -EREMOTEIO, -ENOMEM.
 */
int gp_parse_cpustats(const char *reply, struct gp_cpustat **out, char *why, size_t why_size);

/* guest-get-osinfo: "kernel-release" (string; control bytes replaced; "" when absent). */
int gp_parse_osinfo(const char *reply, char *kernel_release, size_t size, char *why, size_t why_size);

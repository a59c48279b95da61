/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * swapguard.conf: INI, parsed with libinih (Debian libinih-dev). Every key is
 * documented with its default in etc/swapguard.conf. Unknown sections and
 * keys, bad values and syntax errors are errors naming file, line and key.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policies/facts.h"
#include "policies/recommend.h"

#define SG_CONFIG_DEFAULT_PATH "/etc/swapguard/swapguard.conf"
#define SG_CONFIG_MAX_CRITICAL 64
#define SG_CONFIG_PATH_MAX 200 /* libinih's lines are at most 198 bytes anyway */
#define SG_STATE_DIR_DEFAULT "/var/lib/swapguard"

/* [sampler] block_stats_interval by default: seconds between the agent's reads of a domain's
 * libvirt block stats (agent/core/collect.h sg_collect_set_block_interval). */
#define SG_BLOCK_STATS_INTERVAL_S 10.0

struct sg_config {
    /* [sampler] */
    double interval_s;          /* interval = 5 (seconds between ticks; 0.1 .. 3600) */
    unsigned ring_length;       /* ring_length = 60 (ticks kept per domain; 2 .. 100000) */
    double window_s;            /* window = 60 (seconds a verdict looks back; 0: the whole ring) */
    double block_stats_interval_s; /* block_stats_interval = 10 (the agent's reads of libvirt block stats; 0: every tick) */
    int libvirt_timeout_ms;     /* libvirt_timeout_ms = 2000 (deadline of one libvirt call; 50 .. 600000) */
    /* [guestprobe] */
    bool guest_probe;           /* enabled = yes */
    int guest_timeout_s;        /* timeout = 5 (1 .. 60) */
    double hung_max_age_s;      /* hung_report_max_age = 600 (seconds by the guest's clock; older
                                   hung-task reports are history, not evidence; 0: all) */
    /* [verdict] */
    struct sg_verdict_thresholds verdict;
    /* [recommend] */
    struct sg_recommend_config rec; /* rec.critical points at critical below: do not copy c by value */
    char *critical[SG_CONFIG_MAX_CRITICAL + 1]; /* critical_domains = name-or-uuid ... (space separated) */
    /* [apply] */
    char state_dir[SG_CONFIG_PATH_MAX]; /* state_dir = /var/lib/swapguard (the action journal) */
    uint64_t prefetch_chunk_kib;  /* prefetch_chunk_mib = 64 (process_madvise per call; 1 .. 4096) */
    /* [report] */
    bool report_metadata;         /* metadata = yes (live domain metadata element) */
    bool report_domain_log;       /* domain_log = yes (a line in DIR/NAME.log) */
    char domain_log_dir[SG_CONFIG_PATH_MAX]; /* domain_log_dir = /var/log/libvirt/qemu */
    bool report_journal;          /* journal = yes (journald, syslog when journald is absent) */
    char textfile[SG_CONFIG_PATH_MAX]; /* textfile = /var/lib/prometheus/node-exporter/swapguard.prom ("": off) */
    double textfile_interval_s;       /* textfile_interval = 15 (the agent rewrites the textfile at a verdict
                                         change, or when this long passed since the last write; 0: every tick) */
    char history[SG_CONFIG_PATH_MAX];  /* history = /var/lib/swapguard/history.jsonl ("": off) */
    /* [agent] */
    char lock_file[SG_CONFIG_PATH_MAX]; /* lock_file = /run/swapguard.lock */
    unsigned probes_per_tick;     /* probes_per_tick = 2 (guest-agent probes per tick, rotating; 0 .. 1000) */
    unsigned auto_apply;          /* auto_apply = (none): SG_REC_BIT(action) of each remedy the agent
                                     applies by itself (one of sg_rec_auto_actions, policies/recommend.h) */
    double auto_apply_min_confidence; /* auto_apply_min_confidence = 0.8 (0.5 .. 1) */
    bool observe_only;            /* observe_only = no: yes refuses auto_apply (an agent that applies no
                                     remedy, for an unprivileged user in the libvirt group) */
    double reconnect_max_s;       /* reconnect_max = 60 (longest wait between reconnects; 1 .. 3600) */
    char path[4096];            /* the file read, "" when defaults only */
};

/* Fills the defaults. */
void sg_config_default(struct sg_config *c);

/*
 * Loads path over the defaults. c is output only (overwritten like
 * sg_config_default; sg_config_clear a loaded one before loading again).
 * missing_ok: a missing file (ENOENT) leaves the defaults (for the default
 * path; an explicit --config must exist).
 * Returns 0, or -ENOENT/-EACCES (open), -EINVAL (content; also a line longer
 * than libinih's 198 bytes or a NUL byte), another negative errno of open or
 * read (-EISDIR ...), with msg "FILE:LINE: [section] key: what is wrong
 * (expected ...)" ("FILE: strerror" when it cannot be opened; user text
 * escaped and cut). msg may be NULL. On error c holds the defaults (nothing
 * half-applied).
 */
int sg_config_load(struct sg_config *c, const char *path, bool missing_ok, char *msg,
                   size_t msg_size);

/*
 * One key of swapguard.conf as the parser's own table has it, for the
 * documentation (the man page swapguard.conf(5) is generated from these, so
 * it cannot drift from the parser).
 */
struct sg_config_key_info {
    const char *section;  /* "sampler" ... "agent" */
    const char *name;
    const char *type;     /* "number", "whole number", "boolean (yes, no, ...)", "absolute path,
                             or empty (off)", ...: what a value looks like */
    const char *unit;     /* "seconds", "MiB", "(vm.swappiness)" (a name in parentheses: the
                             setting's scale, not a unit); NULL when none */
    bool ranged;          /* min and max apply (numeric keys) */
    double min, max;      /* the accepted range, in the file's unit */
    const char *help;     /* one paragraph: what it sets */
    char default_value[SG_CONFIG_PATH_MAX]; /* as it would be written in the file; "" for empty */
    char type_buf[160];   /* storage for type where it is composed */
};

/*
 * The i-th key (0, 1, ...) in the table's (and the shipped file's) order into
 * out, its default from sg_config_default. Returns 0, or -ENOENT past the
 * last key.
 */
int sg_config_key_info(size_t i, struct sg_config_key_info *out);

/*
 * Like sg_config_load, for the file's text in buf[0..len) (may hold NUL bytes,
 * which are refused as in a file); name stands for the path in messages and
 * c->path. Returns 0, -EINVAL (content, or name longer than c->path), -ENOMEM.
 */
int sg_config_load_buffer(struct sg_config *c, const char *name, const char *buf, size_t len,
                          char *msg, size_t msg_size);

/* Frees the critical list and leaves the defaults (NULL and repeated calls are fine). */
void sg_config_clear(struct sg_config *c);

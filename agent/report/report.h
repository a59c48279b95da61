/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reports: where a verdict goes besides the terminal.
 *  - libvirt: a <swapguard:report> metadata element (namespace SG_REPORT_NS)
 *    set on the running domain, live only; libvirt raises a metadata-change
 *    domain event for it (virsh event --event metadata-change), and `virsh
 *    metadata DOMAIN SG_REPORT_NS` reads it;
 *  - one line appended to the domain's libvirt log (DIR/NAME.log);
 *  - journald (structured fields), or syslog when journald is not running;
 *  - a Prometheus textfile (node_exporter textfile collector), replaced
 *    atomically, covering every domain of the round;
 *  - a JSON Lines history file, one line per verdict change.
 * What each output gets is configured in [report] (agent/config.h).
 *
 * Every figure, attribute, field and metric name below is a row of the figure
 * schema (agent/core/schema.h, agent/core/schema.c): its key, unit, source and
 * Prometheus name are defined there once, and each output renders the rows
 * marked for it (SG_OUT_METADATA, SG_OUT_JOURNALD, SG_OUT_TEXTFILE,
 * SG_OUT_HISTORY) from struct sg_dom_facts / struct sg_host_facts, in the
 * row's own unit. tests/unit/test-schema.c checks each output against it.
 *
 * The metadata element (virDomainSetMetadata, VIR_DOMAIN_METADATA_ELEMENT,
 * prefix SG_REPORT_PREFIX, VIR_DOMAIN_AFFECT_LIVE), built with libxml2's
 * xmlTextWriter; attribute names are schema keys, and an attribute whose
 * figure is unknown is left out:
 *
 *   <swapguard:report xmlns:swapguard="https://swapguard.dev/xmlns/report/1"
 *       verdict="host-swap-risk"        sg_verdict_name()
 *       previous="ok"                   the verdict reported before (absent: first report)
 *       confidence="0.8"                0..1
 *       time="2026-11-22T10:00:00Z"     UTC time of the round
 *       swapguard="0.1.0">              the version that wrote it
 *     <swap vm_swap_kib="241348" cgroup_swap_bytes="202592256" guest_ram_kib="262144"
 *           cgroup_swap_events_max="0" cgroup_swap_events_fail="0"/>
 *                                       rows with xml_element "swap", each in its unit
 *     <faults cgroup_pgmajfault="423"/> memory cgroup memory.stat pgmajfault (count)
 *     <psi psi_some_avg10="0" psi_full_avg10="0"/>  the domain's memory.pressure, percent
 *     <async_pf apf_not_present=".." apf_ready=".." apf_try_get_page=".." apf_repeated_fault=".."/>
 *                                       only when the async-PF counters were read
 *     <evidence key="host_swap_kib" value="241348">VmSwap ...</evidence>   (0..16,
 *                                       struct sg_evidence: key, figure, sentence)
 *     <missing>guest agent: ...</missing>  only when something could not be seen
 *   </swapguard:report>
 * Text and attributes are escaped by libxml2; bytes that XML 1.0 cannot carry
 * (control characters, invalid UTF-8) are written as '?'.
 *
 * The domain log line (one write(2), O_APPEND, never created: libvirt owns
 * the file; names with '/' or a leading '.' are refused), in libvirt's own
 * timestamp format, control and non-ASCII bytes as \xNN:
 *   2026-11-22 10:00:00.123+0000: swapguard: verdict host-swap-risk (was ok) confidence 0.80: EVIDENCE; ...
 *
 * journald: MESSAGE_ID=SG_REPORT_MESSAGE_ID, PRIORITY 4 (warning) for
 * host-swap-stall and host-swap-risk, 6 (info) otherwise, SYSLOG_IDENTIFIER,
 * DOMAIN_NAME (exact bytes), DOMAIN_UUID, VERDICT, PREVIOUS_VERDICT (when
 * known), CONFIDENCE, the figure rows with SG_OUT_JOURNALD under their keys in
 * upper case (VM_SWAP_KIB, CGROUP_SWAP_BYTES, GUEST_RAM_KIB,
 * CGROUP_SWAP_EVENTS_MAX, CGROUP_SWAP_EVENTS_FAIL, CGROUP_PGMAJFAULT,
 * PSI_SOME_AVG10, PSI_FULL_AVG10), MISSING, and EVIDENCE_<KEY> per evidence
 * figure (figures unknown are left out). journald is "running" when
 * SG_REPORT_JOURNALD_SOCKET is a socket; otherwise syslog(3) (ident
 * "swapguard", LOG_DAEMON) gets MESSAGE, when SG_REPORT_SYSLOG_SOCKET exists;
 * with neither, the output fails (-ENOENT).
 * MESSAGE = "domain 'NAME' (UUID): verdict ... confidence ...: EVIDENCE; ..."
 * (the domain log words, with the name; escaped like the log line).
 *
 * The textfile (Prometheus text exposition format 0.0.4), labels
 * domain="NAME",uuid="UUID" (backslash, double quote and newline escaped,
 * invalid UTF-8 as U+FFFD); one family per schema prom_name, HELP from the
 * row's label, samples in base units (the row value x prom_scale); a figure
 * that is unknown has no sample:
 *   swapguard_domain_running                      gauge 1 when a QEMU process was read
 *   swapguard_domain_vm_swap_bytes                gauge /proc/PID/status VmSwap
 *   swapguard_domain_cgroup_swap_bytes            gauge memory cgroup swap
 *   swapguard_domain_guest_ram_bytes              gauge virDomainGetInfo maxMem
 *   swapguard_domain_guest_ram_in_host_swap_bytes gauge the larger of the two swap figures above
 *                                                 (policies/figures.h, the verdict's figure)
 *   swapguard_domain_major_faults_total           counter memory cgroup pgmajfault
 *   swapguard_domain_cgroup_swap_events_total{event=max|fail}
 *                                                 counter v2 memory.swap.events max, fail;
 *                                                 v1 memory.memsw.failcnt as event=max
 *   swapguard_domain_psi_some_avg10_ratio, _full_  gauge memory.pressure avg10 / 100
 *   swapguard_domain_async_pf_total{event=not_present|ready|try_get_page|repeated_fault}
 *                                                 counter kvm async-PF tracepoints (only
 *                                                 when they could be counted)
 *   swapguard_domain_verdict{verdict=NAME}        gauge 1 for the verdict, 0 for the others
 *   swapguard_domain_verdict_confidence_ratio     gauge 0..1
 *   swapguard_domain_info{nova_instance_uuid,nova_instance_name,nova_project,nova_project_name,
 *                         nova_flavor}            gauge always 1; the nova_* labels only for a
 *                                                 domain whose XML Nova wrote (w->meta, read
 *                                                 once: sg_dom_read_meta), each only when known
 *   swapguard_host_mem_total_bytes, _mem_available_bytes, _swap_total_bytes,
 *   _swap_free_bytes                              gauge /proc/meminfo
 *   swapguard_host_pswpin_pages_total,            counter /proc/vmstat, pages
 *   _pswpout_pages_total, _workingset_refault_anon_pages_total
 *   swapguard_host_psi_some_avg10_ratio, _full_   gauge /proc/pressure/memory avg10 / 100
 *   swapguard_report_timestamp_seconds            gauge Unix time of the round
 *   swapguard_up                                  gauge 1 when the writer read the host and
 *                                                 reached libvirtd in its newest round
 *   swapguard_domain_last_sample_timestamp_seconds gauge Unix time of the domain's newest
 *                                                 sample (sg_report_dom.sample_unix; none when 0)
 * Written to PATH.tmp.PID (0644) in PATH's directory and renamed over PATH
 * (no fsync: a metrics file needs no durability); the directory is never created.
 *
 * The history (JSON Lines, json-c, created 0600 with its directory 0700 when
 * absent), one line per changed domain:
 *   {"time":"2026-11-22T10:00:00Z","unix":1795341600.0,"domain":"NAME","uuid":"..",
 *    "verdict":"host-swap-risk","previous":"ok"|null,"confidence":0.8,
 *    "evidence":{"host_swap_kib":241348,...},"missing":".."|null,
 *    "figures":{"vm_swap_kib":..,"cgroup_swap_bytes":..,...}|null}
 * figures: the rows with SG_OUT_HISTORY of the newest tick (null: no running tick).
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "agent/core/context.h"
#include "util/fmt.h"
#include "util/log.h"
#include "agent/core/collect.h"
#include "agent/core/config.h"
#include "policies/verdict.h"

#define SG_REPORT_NS "https://swapguard.dev/xmlns/report/1"
#define SG_REPORT_PREFIX "swapguard"
/* MESSAGE_ID of every swapguard report entry in the journal (made once with
 * `cat /proc/sys/kernel/random/uuid | tr -d -`; never changes):
 * journalctl MESSAGE_ID=bb59243726b04c20b27db6f475cdec20 */
#define SG_REPORT_MESSAGE_ID "bb59243726b04c20b27db6f475cdec20"
#define SG_REPORT_JOURNALD_SOCKET "/run/systemd/journal/socket"
#define SG_REPORT_SYSLOG_SOCKET "/dev/log"

/* The figures of a verdict that the textfile carries (struct sg_verdict's kind, confidence,
 * lost_ms_per_s): what the agent keeps of each domain's newest verdict, the whole verdict (with
 * its evidence text) only where a per-change output needs it. */
struct sg_report_verdict_nums {
    enum sg_verdict_kind kind;
    double confidence;
    double lost_ms_per_s;
};

/* One domain's part of a report round. */
struct sg_report_dom {
    const struct sg_dom *w;        /* name, UUID, id, domain handle (w->dom) */
    const struct sg_verdict *v;      /* its verdict; may be NULL when !changed: the textfile
                                        then reads nums */
    struct sg_report_verdict_nums nums; /* its verdict's figures, used when v is NULL */
    const struct sg_dom_facts *last; /* its newest tick, NULL when none */
    const char *prev_verdict;        /* verdict name of the last report, NULL: first report */
    bool changed;                    /* emit the per-change outputs (metadata, log line, journal,
                                        history) for this domain */
    double sample_unix;              /* Unix time of its newest successful sample (the textfile's
                                        swapguard_domain_last_sample_timestamp_seconds); 0: none */
};

/*
 * One round: the per-change outputs for every d[i].changed, then the
 * textfile for all n domains and the host. now: Unix seconds of the round.
 * Every configured output is tried; a failing one logs one warning naming the
 * output and the domain (sg_log_warning) and the rest go on. Returns 0 or the
 * first failure's -errno. The metadata needs a read-write connection (conn of
 * d[i].w->dom).
 */
int sg_report_round(const struct sg_config *cfg, const struct sg_host_facts *host,
                    const struct sg_report_dom *d, size_t n, double now);

/* The per-change outputs of a round alone (no textfile), for the d[i].changed, whose v must be
 * set. Warnings and the return value as sg_report_round's. */
int sg_report_changes(const struct sg_config *cfg, const struct sg_report_dom *d, size_t n,
                      double now);

/* The outputs, in the order a round tries them. */
enum sg_report_output {
    SG_REPORT_METADATA = 0,
    SG_REPORT_DOMAIN_LOG,
    SG_REPORT_JOURNALD,
    SG_REPORT_HISTORY,
    SG_REPORT_TEXTFILE,
    SG_REPORT__MAX,
};

enum sg_report_status {
    SG_REPORT_OFF = 0, /* not configured */
    SG_REPORT_SKIPPED, /* configured, not for this domain (unchanged, not running) */
    SG_REPORT_DONE,
    SG_REPORT_FAILED,
};

/* What a round did for one domain, per output. */
struct sg_report_result {
    enum sg_report_status st[SG_REPORT__MAX];
    /* DONE: where it went (file, "journald", "syslog /dev/log", the namespace);
       SKIPPED and FAILED: why. Terminal-safe (sg_fmt_safe). */
    char where[SG_REPORT__MAX][320];
};

/* "metadata", "domain-log", "journal", "history", "textfile" */
const char *sg_report_output_name(enum sg_report_output o);
/* "off", "skipped", "done", "failed" */
const char *sg_report_status_name(enum sg_report_status s);

/*
 * sg_report_round that also fills res[0..n) (res may be NULL). The warnings
 * and the return value are those of sg_report_round.
 */
int sg_report_round_ex(const struct sg_config *cfg, const struct sg_host_facts *host,
                       const struct sg_report_dom *d, size_t n, double now,
                       struct sg_report_result *res);

/* ---- the pieces, for the tests and the agent ------------------------------------ */

/*
 * The metadata element of d at now (Unix seconds), without namespace (libvirt
 * adds it): a malloc'd NUL-terminated string in *out. -ENOMEM, -EIO when
 * libxml2 fails.
 */
int sg_report_metadata_xml(const struct sg_report_dom *d, double now, char **out);

/*
 * The words of the log line, journal MESSAGE and syslog line: "verdict V (was
 * P) confidence C: EVIDENCE; ...; missing: M", prefixed by "domain 'NAME'
 * (UUID): " with with_name. Terminal-safe. malloc'd into *out, -ENOMEM.
 */
int sg_report_message(const struct sg_report_dom *d, bool with_name, char **out);

/*
 * Appends the log line of d to dir/NAME.log (one write, O_APPEND, never
 * created). -EINVAL for an unsafe name ('/', leading '.', empty) or a file
 * that is not a regular file, -ENOENT (no such log), -errno of open/write;
 * why gets one line naming the file.
 */
int sg_report_domain_log(const char *dir, const struct sg_report_dom *d, double now, char *why,
                         size_t why_size);

/*
 * Sends d to journald, or to syslog when journal_socket is not a socket (see
 * above). where gets "journald" or "syslog /dev/log", or why it failed.
 * journal_socket NULL: SG_REPORT_JOURNALD_SOCKET. -ENOENT with neither,
 * -errno of sd_journal_sendv.
 */
int sg_report_journald(const struct sg_report_dom *d, const char *journal_socket, char *where,
                      size_t where_size);

/*
 * The journald fields of d ("KEY=VALUE", see above) with MESSAGE msg and PRIORITY prio, as
 * sent: a calloc'd NULL-terminated array of n malloc'd strings (free each, then the array).
 * NULL on ENOMEM.
 */
char **sg_report_journald_fields(const struct sg_report_dom *d, const char *msg, int prio, size_t *n);

/* The history line of d at now (see above); the caller json_object_put()s it. */
json_object *sg_report_history_json(const struct sg_report_dom *d, double now);

/*
 * Appends the history line of d to path (created 0600, its directory 0700,
 * when absent). -errno of mkdir/open/write, -EINVAL when path is not a regular
 * file; why names the file.
 */
int sg_report_history(const char *path, const struct sg_report_dom *d, double now, char *why,
                      size_t why_size);

/*
 * Writes the textfile of the host (may be NULL) and the n domains to f.
 * -EIO when f fails.
 */
int sg_report_textfile_format(FILE *f, const struct sg_host_facts *host,
                              const struct sg_report_dom *d, size_t n, double now);

/*
 * sg_report_textfile_format into path, atomically (see above). -ENOENT when
 * path's directory does not exist, -errno of open/write/rename; no
 * temporary file is left behind. why names the file.
 */
int sg_report_textfile(const char *path, const struct sg_host_facts *host,
                       const struct sg_report_dom *d, size_t n, double now, char *why,
                       size_t why_size);

/*
 * The two above with swapguard_up = up (1 or 0; the plain ones write 1). The
 * file is replaced by rename(2) without fsync: a metrics file needs no
 * durability, and the next write replaces it.
 */
int sg_report_textfile_format_up(FILE *f, const struct sg_host_facts *host,
                                 const struct sg_report_dom *d, size_t n, double now, int up);
int sg_report_textfile_up(const char *path, const struct sg_host_facts *host,
                          const struct sg_report_dom *d, size_t n, double now, int up, char *why,
                          size_t why_size);

/*
 * Copies s into buf as a Prometheus label value: backslash, double quote and
 * line feed escaped, invalid UTF-8 bytes as U+FFFD. A value that does not
 * fit is cut at a character boundary. Returns buf.
 */
const char *sg_prom_label_escape(const char *s, char *buf, size_t size);

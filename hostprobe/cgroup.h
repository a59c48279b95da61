/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process's memory cgroup, found from /proc/PID/cgroup (never from a
 * domain name), on cgroup v1, v2 or hybrid hosts.
 *
 * Layouts, relative to --sys-root:
 *   v2:     sys/fs/cgroup is the cgroup2 root (it has cgroup.controllers);
 *   v1:     sys/fs/cgroup/memory is the v1 memory hierarchy;
 *   hybrid: v1 memory as above plus sys/fs/cgroup/unified (cgroup2, PSI only).
 */
#pragma once

#include <sys/types.h>

#include "procfs.h"
#include "util/sg-util.h"

/* The lines of /proc/PID/cgroup that matter. Paths are as the kernel prints them. */
struct sg_proc_cgroup {
    bool has_v1_memory;
    char v1_memory[PATH_MAX]; /* "N:...memory...:PATH" */
    bool has_v2;
    char v2[PATH_MAX];        /* "0::PATH" */
};

/* Parses /proc/PID/cgroup. -EINVAL (err located) on a malformed line or a path
 * that is not absolute or holds "..". */
int sg_parse_proc_cgroup(const char *buf, const char *base, const char *rel,
                         struct sg_proc_cgroup *out, struct sg_error *err);

enum sg_cgroup_layout {
    SG_CGROUP_NONE = 0,
    SG_CGROUP_V1,     /* v1 memory controller, no cgroup2 */
    SG_CGROUP_V2,     /* unified only */
    SG_CGROUP_HYBRID, /* v1 memory + cgroup2 at fs/cgroup/unified */
};

/* Which layout the sys tree has (see the header comment). */
enum sg_cgroup_layout sg_cgroup_detect_layout(const struct sg_fs *fs);
const char *sg_cgroup_layout_name(enum sg_cgroup_layout l);

/* Where a process's memory figures and PSI live. The paths are allocated to their length
 * (owned: sg_cgroup_clear frees them); a zeroed struct is an empty, valid one. */
struct sg_cgroup {
    enum sg_cgroup_layout layout;
    int memory_version;         /* 1 or 2; 0: the process has no memory cgroup of its own */
    char *memory_path;          /* cgroup path of the memory cgroup, e.g. "/machine/qemu-1-a.libvirt-qemu";
                                   NULL when memory_version is 0 */
    char *memory_dir;           /* its directory relative to sys root: "fs/cgroup/memory/machine/...";
                                   NULL when memory_version is 0 */
    bool has_psi;               /* a v2 group of this domain with memory.pressure */
    char *psi_dir;              /* relative to sys root; NULL when has_psi is false */
    const char *psi_missing;    /* why has_psi is false (a constant string), "" or NULL when it is true */
};

/*
 * Locates pid's memory cgroup: reads /proc/PID/cgroup, then walks up from
 * the process's group to the first directory holding memory.stat (libvirt
 * puts QEMU in .../emulator under v2; the memory files are on the domain's
 * group). The hierarchy root does not count: a process at the root has no
 * memory cgroup of its own (memory_version 0).
 * PSI: on v2, the memory cgroup's memory.pressure. On hybrid hosts, the v2
 * group at the memory cgroup's path when it exists (libvirt mirrors its
 * layout there), else the nearest v2 group of the process with
 * memory.pressure that is not the v2 root and is the memory cgroup's
 * ancestor or descendant; a process at the v2 root has no per-domain PSI.
 * out must be zeroed or hold an earlier result (its paths are freed first);
 * the caller sg_cgroup_clear()s it, on error too.
 * Returns 0, -ESRCH when the process is gone, -EINVAL (err located), -ENOMEM.
 */
int sg_cgroup_locate(const struct sg_fs *fs, pid_t pid, struct sg_cgroup *out,
                     struct sg_error *err);

/* sg_cgroup_locate on a host whose layout the caller detected once (sg_cgroup_detect_layout):
 * no look at the hierarchy roots per process. */
int sg_cgroup_locate_in(const struct sg_fs *fs, enum sg_cgroup_layout layout, pid_t pid,
                        struct sg_cgroup *out, struct sg_error *err);

/* Frees the paths of cg and zeroes it (NULL and a zeroed struct are fine). */
void sg_cgroup_clear(struct sg_cgroup *cg);

/* Figures of one memory cgroup. Bytes unless named otherwise; SG_NONE when
 * the kernel does not provide it, SG_UNLIMITED for an unset limit. */
struct sg_cgroup_stats {
    uint64_t swap_bytes;        /* v2 memory.swap.current; v1 memory.stat total_swap (swap accounting on) */
    uint64_t pgmajfault;        /* v2 memory.stat pgmajfault; v1 memory.stat total_pgmajfault: counts async-PF swap-ins */
    uint64_t usage_bytes;       /* v2 memory.current; v1 memory.usage_in_bytes */
    uint64_t limit_bytes;       /* v2 memory.max; v1 memory.limit_in_bytes */
    uint64_t swap_max_bytes;    /* v2 memory.swap.max (swap alone); SG_NONE on v1 */
    uint64_t memsw_limit_bytes; /* v1 memory.memsw.limit_in_bytes (memory + swap); SG_NONE on v2 */
    uint64_t swap_events_max;   /* v2 memory.swap.events "max": swap allocations refused at memory.swap.max;
                                   v1 memory.memsw.failcnt: memory+swap charges refused at
                                   memory.memsw.limit_in_bytes (count); SG_NONE without the file */
    uint64_t swap_events_fail;  /* v2 memory.swap.events "fail": swap allocations that failed (limit or
                                   swap full, count); SG_NONE on v1 and without the file */
    bool has_psi;
    struct sg_psi psi;          /* memory.pressure of psi_dir */
    bool has_io_psi, has_cpu_psi;
    struct sg_psi io_psi, cpu_psi; /* io.pressure and cpu.pressure of psi_dir (SG_CGF_LOST_PSI) */
};

/*
 * Parses a one-value cgroup file of len bytes (not NUL-terminated; trailing
 * newlines and spaces ignored) into *v: a decimal count, or for a limit
 * (is_limit) also "max" (v2) or v1's PAGE_COUNTER_MAX * PAGE_SIZE, both
 * SG_UNLIMITED. -EINVAL (err located at base/rel:1) otherwise.
 */
int sg_parse_cgroup_value(const char *buf, size_t len, bool is_limit, const char *base,
                          const char *rel, uint64_t *v, struct sg_error *err);

/*
 * Parses a memory.stat buffer (NUL-terminated) of a v1 or v2 (version) memory
 * cgroup: *pgmajfault gets pgmajfault (v1: total_pgmajfault, hierarchical,
 * else pgmajfault), *swap_bytes v1's total_swap (else swap; bytes; SG_NONE
 * without swap accounting) and SG_NONE on v2 (memory.swap.current holds it
 * there). -EINVAL (err located at base/rel:LINE) on a value that is not a number.
 */
int sg_parse_memory_stat(const char *buf, int version, const char *base, const char *rel,
                         uint64_t *swap_bytes, uint64_t *pgmajfault, struct sg_error *err);

/* Reads the figures of cg: memory.stat and the one-value files above, memory.swap.events
 * (v2) or memory.memsw.failcnt (v1), and memory.pressure (not io.pressure, cpu.pressure). A file the kernel does not provide
 * (no swap accounting, older kernel) leaves its figures SG_NONE and is not an error.
 * Returns 0, -ENOENT when the group vanished (domain stopped), -EACCES, -EINVAL (err
 * located: FILE:LINE). */
int sg_cgroup_read(const struct sg_fs *fs, const struct sg_cgroup *cg,
                   struct sg_cgroup_stats *out, struct sg_error *err);

/*
 * Parses a v2 memory.swap.events buffer ("high N\nmax N\nfail N\n"; keys the
 * kernel adds later are ignored): *max and *fail get the counts, SG_NONE for a
 * key that is absent. -EINVAL (err located at base/rel:LINE) on a value that is
 * not a number.
 */
int sg_parse_swap_events(const char *buf, const char *base, const char *rel, uint64_t *max,
                         uint64_t *fail, struct sg_error *err);

/* The files of a memory cgroup, by what they hold (sg_cgroup_file_rel names them per version). */
enum sg_cgroup_file {
    SG_CGF_MEMSTAT,      /* memory.stat: pgmajfault (v1: total_pgmajfault, total_swap) */
    SG_CGF_SWAP_CURRENT, /* v2 memory.swap.current; none on v1 (the swap is in memory.stat) */
    SG_CGF_USAGE,        /* v2 memory.current; v1 memory.usage_in_bytes */
    SG_CGF_SWAP_EVENTS,  /* v2 memory.swap.events; v1 memory.memsw.failcnt */
    SG_CGF_PSI,          /* memory.pressure of psi_dir (when has_psi) */
    SG_CGF_IO_PSI,       /* io.pressure of psi_dir (when has_psi): the lost-time rules */
    SG_CGF_CPU_PSI,      /* cpu.pressure of psi_dir (when has_psi): the lost-time rules */
    SG_CGF_LIMIT,        /* v2 memory.max; v1 memory.limit_in_bytes: a limit, rarely changes */
    SG_CGF_SWAP_LIMIT,   /* v2 memory.swap.max; v1 memory.memsw.limit_in_bytes: a limit */
    SG_CGF__MAX,
};
#define SG_CGF_ALL ((1u << SG_CGF__MAX) - 1)
/* The files whose figures change from tick to tick (not the limits). */
#define SG_CGF_PERIODIC ((1u << SG_CGF_MEMSTAT) | (1u << SG_CGF_SWAP_CURRENT) | (1u << SG_CGF_USAGE) | \
                         (1u << SG_CGF_SWAP_EVENTS) | (1u << SG_CGF_PSI) | SG_CGF_LOST_PSI)
/* io.pressure and cpu.pressure: read by the agent's ticks, not by sg_cgroup_read. */
#define SG_CGF_LOST_PSI ((1u << SG_CGF_IO_PSI) | (1u << SG_CGF_CPU_PSI))
#define SG_CGF_LIMITS ((1u << SG_CGF_LIMIT) | (1u << SG_CGF_SWAP_LIMIT))

/* The path of file f of cg relative to the sys root, into buf; NULL when cg has no such file
 * (no memory cgroup, v1 has no swap.current, no PSI). */
const char *sg_cgroup_file_rel(const struct sg_cgroup *cg, enum sg_cgroup_file f, char *buf,
                               size_t size);
/* The buffer size that holds file f (its content and the NUL). */
size_t sg_cgroup_file_size(enum sg_cgroup_file f);
/* Every figure of out SG_NONE, has_psi false. */
void sg_cgroup_stats_init(struct sg_cgroup_stats *out);
/* Parses the content buf[0..len) (NUL-terminated) of file f of cg into its figures of out.
 * -EINVAL (err located at base/rel:LINE) when malformed. */
int sg_cgroup_parse_file(const struct sg_cgroup *cg, enum sg_cgroup_file f, const char *buf,
                         size_t len, const char *base, const char *rel,
                         struct sg_cgroup_stats *out, struct sg_error *err);
/* sg_cgroup_read of the files in the mask files (1u << enum sg_cgroup_file), into out,
 * which the caller initialised; the other figures of out are left as they are. */
int sg_cgroup_read_files(const struct sg_fs *fs, const struct sg_cgroup *cg, unsigned files,
                         struct sg_cgroup_stats *out, struct sg_error *err);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "procfs.h"

#include <ctype.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "util/kv.h"

#define STATUS_FIELD(k, m) { k, offsetof(struct sg_proc_status, m), SG_KV_KB }
static const struct sg_kv_field status_fields[] = {
    STATUS_FIELD("VmRSS", vm_rss_kib),
    STATUS_FIELD("RssAnon", rss_anon_kib),
    STATUS_FIELD("RssFile", rss_file_kib),
    STATUS_FIELD("RssShmem", rss_shmem_kib),
    STATUS_FIELD("VmSwap", vm_swap_kib),
    STATUS_FIELD("VmLck", vm_lck_kib),
    STATUS_FIELD("HugetlbPages", hugetlb_pages_kib),
};

int sg_parse_proc_status(const char *buf, const char *base, const char *rel,
                         struct sg_proc_status *out, struct sg_error *err)
{
    int r = sg_parse_kv(buf, base, rel, status_fields, SG_ELEMENTSOF(status_fields), out, err);
    if (r < 0)
        return r;
    if (out->vm_rss_kib == SG_NONE) {
        sg_error_set(err, base, rel, 0, "no VmRSS line (kernel thread or not a status file)");
        return -EINVAL;
    }
    return 0;
}

int sg_parse_proc_stat(const char *buf, const char *base, const char *rel,
                       struct sg_proc_stat *out, struct sg_error *err)
{
    const char *open = strchr(buf, '(');
    const char *close = strrchr(buf, ')');
    const char *p;
    size_t clen;
    int field;

    memset(out, 0, sizeof(*out));
    if (!open || !close || close < open) {
        sg_error_set(err, base, rel, 1, "no '(comm)' field");
        return -EINVAL;
    }
    clen = (size_t)(close - open - 1);
    if (clen >= sizeof(out->comm))
        clen = sizeof(out->comm) - 1;
    memcpy(out->comm, open + 1, clen);
    out->comm[clen] = '\0';

    /* Field 3 (state) starts two characters after the last ')'. */
    p = close + 1;
    for (field = 3; field <= 12; field++) {
        const char *tok, *tok_end;

        while (*p == ' ')
            p++;
        tok = p;
        while (*p && *p != ' ' && *p != '\n')
            p++;
        tok_end = p;
        if (tok == tok_end) {
            sg_error_set(err, base, rel, 1, "only %d fields, expected at least 12", field - 1);
            return -EINVAL;
        }
        if (field == 3) {
            if (tok_end - tok != 1 || !isalpha((unsigned char)*tok)) {
                sg_error_set(err, base, rel, 1, "field 3 (state): '%.*s' is not a state letter",
                             (int)(tok_end - tok > 16 ? 16 : tok_end - tok), tok);
                return -EINVAL;
            }
            out->state = *tok;
        } else if (field == 10 || field == 12) {
            uint64_t *dst = field == 10 ? &out->minflt : &out->majflt;
            if (sg_parse_u64(tok, (size_t)(tok_end - tok), dst) < 0) {
                sg_error_set(err, base, rel, 1, "field %d (%s): '%.*s' is not a number", field,
                             field == 10 ? "minflt" : "majflt",
                             (int)(tok_end - tok > 24 ? 24 : tok_end - tok), tok);
                return -EINVAL;
            }
        }
    }
    return 0;
}

int sg_proc_read(const struct sg_fs *fs, pid_t pid, struct sg_proc_status *status,
                 struct sg_proc_stat *stat, struct sg_error *err)
{
    char rel[64], buf[8192];
    ssize_t n;
    int r;

    if (status) {
        snprintf(rel, sizeof(rel), "%d/status", (int)pid);
        n = sg_read_file(fs->proc_fd, fs->proc_path, rel, buf, sizeof(buf), err);
        if (n < 0)
            return sg_proc_gone((int)n);
        if ((r = sg_parse_proc_status(buf, fs->proc_path, rel, status, err)) < 0)
            return r;
    }
    if (stat) {
        snprintf(rel, sizeof(rel), "%d/stat", (int)pid);
        n = sg_read_file(fs->proc_fd, fs->proc_path, rel, buf, sizeof(buf), err);
        if (n < 0)
            return sg_proc_gone((int)n);
        if ((r = sg_parse_proc_stat(buf, fs->proc_path, rel, stat, err)) < 0)
            return r;
    }
    return 0;
}

bool sg_parse_vcpu_comm(const char *comm, int *vcpu, char accel[8])
{
    const char *p = comm, *slash;
    long n = 0;

    if (strncmp(p, "CPU ", 4) != 0)
        return false;
    p += 4;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p)) {
        n = n * 10 + (*p - '0');
        if (n > 1000000)
            return false;
        p++;
    }
    if (*p != '/')
        return false;
    slash = p + 1;
    if (strlen(slash) == 0 || strlen(slash) >= 8)
        return false;
    for (const char *q = slash; *q; q++)
        if (!isalnum((unsigned char)*q))
            return false;
    *vcpu = (int)n;
    snprintf(accel, 8, "%s", slash);
    return true;
}

static int cmp_vcpu(const void *a, const void *b)
{
    const struct sg_vcpu_thread *x = a, *y = b;
    return (x->vcpu > y->vcpu) - (x->vcpu < y->vcpu);
}

int sg_vcpu_threads_read(const struct sg_fs *fs, pid_t pid, struct sg_vcpu_thread **out,
                         struct sg_error *err)
{
    _cleanup_closedir_ DIR *d = NULL;
    _cleanup_free_ struct sg_vcpu_thread *v = NULL;
    size_t n = 0, cap = 0;
    char rel[64];
    struct dirent *de;

    snprintf(rel, sizeof(rel), "%d/task", (int)pid);
    d = sg_opendir_at(fs->proc_fd, rel);
    if (!d) {
        int r = -errno;
        sg_error_set(err, fs->proc_path, rel, 0, "%s", strerror(-r));
        return sg_proc_gone(r);
    }
    while ((de = readdir(d))) {
        char path[96], comm[64];
        struct sg_vcpu_thread t = {0};
        pid_t tid = sg_dirent_pid(de);
        ssize_t len;
        int r;

        if (!tid)
            continue;
        snprintf(path, sizeof(path), "%d/task/%d/comm", (int)pid, (int)tid);
        len = sg_read_file(fs->proc_fd, fs->proc_path, path, comm, sizeof(comm), err);
        if (len < 0) {
            if (sg_proc_gone((int)len) == -ESRCH)
                continue; /* the thread exited after the listing */
            return (int)len;
        }
        if (len > 0 && comm[len - 1] == '\n')
            comm[len - 1] = '\0';
        if (!sg_parse_vcpu_comm(comm, &t.vcpu, t.accel))
            continue;
        snprintf(path, sizeof(path), "%d/task/%d/stat", (int)pid, (int)tid);
        {
            char buf[4096];
            len = sg_read_file(fs->proc_fd, fs->proc_path, path, buf, sizeof(buf), err);
            if (len < 0) {
                if (sg_proc_gone((int)len) == -ESRCH)
                    continue;
                return (int)len;
            }
            r = sg_parse_proc_stat(buf, fs->proc_path, path, &t.stat, err);
            if (r < 0)
                return r;
        }
        t.tid = (pid_t)tid;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct sg_vcpu_thread *nv = realloc(v, ncap * sizeof(*v));
            if (!nv)
                return -ENOMEM;
            v = nv;
            cap = ncap;
        }
        v[n++] = t;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), cmp_vcpu);
    *out = TAKE_PTR(v);
    return (int)n;
}

/* Decodes the octal escapes seq_file uses for ' ', '\t', '\n' and '\\' in paths. */
static void unescape_octal(char *s)
{
    char *w = s;

    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

int sg_parse_swaps(const char *buf, const char *base, const char *rel,
                   struct sg_swap_device **out, struct sg_error *err)
{
    _cleanup_free_ struct sg_swap_device *v = NULL;
    size_t n = 0, cap = 0;
    unsigned lineno = 0;

    for (const char *line = buf; line && *line;) {
        const char *start = line, *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char copy[PATH_MAX + 128], name[PATH_MAX], type[16];
        unsigned long long size, used;
        int prio, consumed = 0;

        lineno++;
        line = eol ? eol + 1 : NULL;
        if (lineno == 1) {
            if (strncmp(buf, "Filename", 8) != 0) {
                sg_error_set(err, base, rel, 1, "no 'Filename Type Size Used Priority' header");
                return -EINVAL;
            }
            continue;
        }
        if (len == 0)
            continue;
        if (len >= sizeof(copy)) {
            sg_error_set(err, base, rel, lineno, "line too long");
            return -EINVAL;
        }
        memcpy(copy, start, len);
        copy[len] = '\0';
        if (sscanf(copy, "%4095s %15s %llu %llu %d %n", name, type, &size, &used, &prio,
                   &consumed) != 5 ||
            copy[consumed] != '\0') {
            sg_error_set(err, base, rel, lineno,
                         "expected 'FILENAME TYPE SIZE USED PRIORITY'");
            return -EINVAL;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct sg_swap_device *nv = realloc(v, ncap * sizeof(*v));
            if (!nv)
                return -ENOMEM;
            v = nv;
            cap = ncap;
        }
        unescape_octal(name);
        snprintf(v[n].filename, sizeof(v[n].filename), "%s", name);
        snprintf(v[n].type, sizeof(v[n].type), "%s", type);
        v[n].size_kib = size;
        v[n].used_kib = used;
        v[n].priority = prio;
        n++;
    }
    *out = TAKE_PTR(v);
    return (int)n;
}

bool sg_cmdline_has_uuid(const char *cmdline, size_t len, const char *uuid)
{
    const char *prev = NULL;

    for (size_t i = 0; i < len;) {
        const char *arg = cmdline + i;
        size_t alen = strnlen(arg, len - i);

        if (prev && (strcmp(prev, "-uuid") == 0 || strcmp(prev, "--uuid") == 0) &&
            strlen(uuid) == alen && strncasecmp(arg, uuid, alen) == 0)
            return true;
        prev = arg;
        i += alen + 1;
        if (i > len)
            break;
    }
    return false;
}

#define CMDLINE_MAX (256 * 1024)

static bool read_cmdline(const struct sg_fs *fs, const char *pid_str, char **buf, size_t *len)
{
    char rel[64];
    ssize_t n;

    snprintf(rel, sizeof(rel), "%s/cmdline", pid_str);
    n = sg_read_at_alloc(fs->proc_fd, rel, CMDLINE_MAX, buf);
    if (n <= 0) {
        if (n == 0)
            free(*buf);
        *buf = NULL;
        return false;
    }
    *len = (size_t)n;
    return true;
}

/* FNV-1a of a UUID, case-folded (libvirt prints lower case; QEMU takes either). */
static uint64_t uuid_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)tolower((unsigned char)s[i]);
        h *= 1099511628211ULL;
    }
    return h;
}

/* The value of the first "-uuid VALUE" / "--uuid VALUE" of a NUL-separated argv, or NULL. */
static const char *cmdline_uuid(const char *cmd, size_t len, size_t *vlen)
{
    const char *prev = NULL;

    for (size_t i = 0; i < len;) {
        const char *arg = cmd + i;
        size_t alen = strnlen(arg, len - i);

        if (prev && (strcmp(prev, "-uuid") == 0 || strcmp(prev, "--uuid") == 0)) {
            *vlen = alen;
            return arg;
        }
        prev = alen < len - i ? arg : NULL; /* the last word may lack its NUL */
        i += alen + 1;
    }
    return NULL;
}

int sg_find_qemu_pids(const struct sg_fs *fs, const char *const *uuids, size_t n, pid_t *pids)
{
    _cleanup_closedir_ DIR *d = NULL;
    _cleanup_free_ size_t *slot = NULL;
    _cleanup_free_ char *cmd = NULL;
    size_t nslots = 16, left = 0, cap = 64 * 1024;
    struct dirent *de;

    for (size_t i = 0; i < n; i++) {
        pids[i] = 0;
        if (uuids[i])
            left++;
    }
    if (left == 0)
        return 0;
    /*
     * The UUIDs in an open-addressing table (at most half full): each command
     * line is parsed once and its -uuid looked up, so the scan costs one read
     * per process whatever the number of domains.
     */
    while (nslots < 2 * left)
        nslots *= 2;
    slot = malloc(nslots * sizeof(*slot));
    cmd = malloc(cap);
    if (!slot || !cmd)
        return -ENOMEM;
    for (size_t k = 0; k < nslots; k++)
        slot[k] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t k;

        if (!uuids[i])
            continue;
        k = (size_t)uuid_hash(uuids[i], strlen(uuids[i])) & (nslots - 1);
        while (slot[k] != SIZE_MAX)
            k = (k + 1) & (nslots - 1);
        slot[k] = i;
    }
    d = sg_opendir_at(fs->proc_fd, ".");
    if (!d)
        return -errno;
    while (left > 0 && (de = readdir(d))) {
        char rel[64];
        const char *u;
        uint64_t pid;
        size_t len = 0, ulen, k;
        ssize_t got;
        int cfd;

        pid = sg_dirent_pid(de);
        if (!pid)
            continue;
        snprintf(rel, sizeof(rel), "%s/cmdline", de->d_name);
        cfd = openat(fs->proc_fd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (cfd < 0)
            continue; /* gone, or not ours to read */
        /* One read holds a QEMU command line; a longer one is read on, up to CMDLINE_MAX. */
        while ((got = read(cfd, cmd + len, cap - len)) > 0) {
            len += (size_t)got;
            if (len == cap) {
                char *bigger = cap < CMDLINE_MAX ? realloc(cmd, cap * 2) : NULL;
                if (!bigger)
                    break;
                cmd = bigger;
                cap *= 2;
            }
        }
        close(cfd);
        u = len ? cmdline_uuid(cmd, len, &ulen) : NULL;
        if (!u || ulen == 0)
            continue;
        for (k = (size_t)uuid_hash(u, ulen) & (nslots - 1); slot[k] != SIZE_MAX;
             k = (k + 1) & (nslots - 1)) {
            size_t i = slot[k];

            if (!pids[i] && strlen(uuids[i]) == ulen && strncasecmp(uuids[i], u, ulen) == 0) {
                pids[i] = (pid_t)pid;
                left--;
            }
        }
    }
    return 0;
}

bool sg_pid_has_uuid(const struct sg_fs *fs, pid_t pid, const char *uuid)
{
    _cleanup_free_ char *cmd = NULL;
    char pid_str[24];
    size_t len;

    snprintf(pid_str, sizeof(pid_str), "%d", (int)pid);
    if (!read_cmdline(fs, pid_str, &cmd, &len))
        return false;
    return sg_cmdline_has_uuid(cmd, len, uuid);
}

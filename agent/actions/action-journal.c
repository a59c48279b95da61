/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The action journal (journal.h): one JSON document, replaced atomically, under a flock. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/core/context.h"
#include "util/fmt.h"
#include "util/log.h"
#include "agent/actions/action-journal.h"
#include "agent/actions/action-step.h"

/* The largest journal accepted: far above years of remedies, small enough to read whole. */
#define JOURNAL_MAX (64u << 20)

static const char *const statuses[] = { "applying", "applied", "failed", "rolled-back" };

static double unix_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)(t.tv_nsec / 1000000) / 1e3;
}

static bool is_status(const char *s)
{
    for (size_t i = 0; i < SG_ELEMENTSOF(statuses); i++)
        if (strcmp(s, statuses[i]) == 0)
            return true;
    return false;
}

const char *sg_action_entry_str(json_object *e, const char *key)
{
    json_object *v;

    if (!e || !json_object_object_get_ex(e, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

json_object *sg_action_entry_obj(json_object *e, const char *key)
{
    json_object *v;

    if (!e || !json_object_object_get_ex(e, key, &v) || !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

int64_t sg_action_entry_int(json_object *e, const char *key, int64_t dflt)
{
    json_object *v;

    if (!e || !json_object_object_get_ex(e, key, &v) || !json_object_is_type(v, json_type_int))
        return dflt;
    return json_object_get_int64(v);
}

const char *sg_action_journal_who(char *buf, size_t size)
{
    uid_t uid = getuid();
    struct passwd *pw = getpwuid(uid);
    const char *sudo = getenv("SUDO_USER");
    char name[64];
    size_t n;

    snprintf(name, sizeof(name), "%s", pw ? pw->pw_name : "?");
    n = (size_t)snprintf(buf, size, "%s (uid %u)", name, (unsigned)uid);
    if (sudo && *sudo && n < size) {
        char safe[96];

        sg_fmt_safe(sudo, safe, sizeof(safe));
        snprintf(buf + n, size - n, " via sudo by %s", safe);
    }
    return buf;
}

/* Checks one entry's shape; why names the entry and the key. */
static bool entry_valid(json_object *e, size_t i, char *why, size_t why_size)
{
    static const char *const strings[] = { "action", "target", "who", "status" };
    json_object *v;

    if (!json_object_is_type(e, json_type_object)) {
        snprintf(why, why_size, "entries[%zu]: not an object", i);
        return false;
    }
    if (sg_action_entry_int(e, "id", -1) <= 0) {
        snprintf(why, why_size, "entries[%zu]: \"id\" missing or not a positive integer", i);
        return false;
    }
    for (size_t k = 0; k < SG_ELEMENTSOF(strings); k++) {
        if (!sg_action_entry_str(e, strings[k])) {
            snprintf(why, why_size, "entries[%zu]: \"%s\" missing or not a string", i, strings[k]);
            return false;
        }
    }
    if (!is_status(sg_action_entry_str(e, "status"))) {
        snprintf(why, why_size, "entries[%zu]: \"status\" is not applying, applied, failed or rolled-back", i);
        return false;
    }
    if (!json_object_object_get_ex(e, "time", &v) ||
        !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) {
        snprintf(why, why_size, "entries[%zu]: \"time\" missing or not a number", i);
        return false;
    }
    if (!sg_action_entry_obj(e, "before") || !sg_action_entry_obj(e, "after")) {
        snprintf(why, why_size, "entries[%zu]: \"before\" or \"after\" missing or not an object", i);
        return false;
    }
    if (json_object_object_get_ex(e, "uuid", &v) && !json_object_is_type(v, json_type_null) &&
        !json_object_is_type(v, json_type_string)) {
        snprintf(why, why_size, "entries[%zu]: \"uuid\" is neither a string nor null", i);
        return false;
    }
    return true;
}

static bool document_valid(json_object *root, char *why, size_t why_size)
{
    json_object *entries;
    int64_t next;
    size_t n;

    if (!json_object_is_type(root, json_type_object)) {
        snprintf(why, why_size, "not a JSON object");
        return false;
    }
    if (sg_action_entry_int(root, "version", -1) != 1) {
        snprintf(why, why_size, "\"version\" is not 1 (a journal of another swapguard version?)");
        return false;
    }
    next = sg_action_entry_int(root, "next_id", -1);
    if (next <= 0) {
        snprintf(why, why_size, "\"next_id\" missing or not a positive integer");
        return false;
    }
    /* Ids are unsigned (journal.h); json-c clamps larger numbers to INT64_MAX. */
    if (next > (int64_t)UINT_MAX) {
        snprintf(why, why_size, "\"next_id\" %lld is above the largest id %u", (long long)next, UINT_MAX);
        return false;
    }
    if (!json_object_object_get_ex(root, "entries", &entries) ||
        !json_object_is_type(entries, json_type_array)) {
        snprintf(why, why_size, "\"entries\" missing or not an array");
        return false;
    }
    n = json_object_array_length(entries);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(entries, i);

        if (!entry_valid(e, i, why, why_size))
            return false;
        if (sg_action_entry_int(e, "id", -1) >= next) {
            snprintf(why, why_size, "entries[%zu]: \"id\" is not below \"next_id\"", i);
            return false;
        }
        for (size_t k = 0; k < i; k++)
            if (sg_action_entry_int(json_object_array_get_idx(entries, k), "id", -1) == sg_action_entry_int(e, "id", -1)) {
                snprintf(why, why_size, "entries[%zu]: \"id\" %lld used twice", i,
                         (long long)sg_action_entry_int(e, "id", -1));
                return false;
            }
    }
    return true;
}

int sg_action_journal_parse(const char *buf, size_t len, json_object **root_out, char *why,
                            size_t why_size)
{
    json_tokener *tok;
    json_object *root;

    if (memchr(buf, '\0', len)) {
        sg_why(why, why_size, "NUL byte: not a JSON journal");
        return -EINVAL;
    }
    if (len > JOURNAL_MAX) {
        sg_why(why, why_size, "larger than %u MiB", JOURNAL_MAX >> 20);
        return -EFBIG;
    }
    tok = json_tokener_new();
    if (!tok)
        return -ENOMEM;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT); /* no trailing commas, no leading zeros */
    root = json_tokener_parse_ex(tok, buf, (int)len);
    if (root && json_tokener_get_error(tok) == json_tokener_success) {
        /* Only whitespace may follow the document. */
        for (size_t end = json_tokener_get_parse_end(tok); end < len; end++)
            if (!strchr(" \t\r\n", buf[end])) {
                json_object_put(root);
                root = NULL;
                break;
            }
    }
    if (!root || json_tokener_get_error(tok) != json_tokener_success) {
        sg_why(why, why_size, "not valid JSON (%s)",
               json_tokener_get_error(tok) == json_tokener_success
                   ? "trailing bytes after the document"
                   : json_tokener_error_desc(json_tokener_get_error(tok)));
        json_object_put(root);
        json_tokener_free(tok);
        return -EINVAL;
    }
    json_tokener_free(tok);
    if (!document_valid(root, why, why_size)) {
        json_object_put(root);
        return -EINVAL;
    }
    *root_out = root;
    return 0;
}

/*
 * Reads and checks the journal document of the open file fd (named dir/name in
 * errors) into *out: a regular file, not group/other-writable, at most
 * JOURNAL_MAX bytes, strict JSON of the documented shape.
 */
static int read_document(int fd, const char *dir, const char *name, json_object **out,
                         struct sg_error *err)
{
    _cleanup_free_ char *buf = NULL;
    struct stat st;
    char why[160];
    size_t len = 0;
    int r;

    if (fstat(fd, &st) < 0)
        return sg_error_set(err, dir, name, 0, "%s", strerror(errno)), -errno;
    if (!S_ISREG(st.st_mode)) {
        sg_error_set(err, dir, name, 0, "not a regular file");
        return -EINVAL;
    }
    if (st.st_mode & 022) {
        sg_error_set(err, dir, name, 0,
                     "writable by group or others (mode %04o; expected 0600): refusing to trust it",
                     (unsigned)(st.st_mode & 07777));
        return -EINVAL;
    }
    if ((uint64_t)st.st_size > JOURNAL_MAX) {
        sg_error_set(err, dir, name, 0, "larger than %u MiB", JOURNAL_MAX >> 20);
        return -EFBIG;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return -ENOMEM;
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sg_error_set(err, dir, name, 0, "%s", strerror(errno)), -errno;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    r = sg_action_journal_parse(buf, len, out, why, sizeof(why));
    if (r < 0)
        sg_error_set(err, dir, name, 0, "%s", why);
    return r;
}

static json_object *empty_document(void)
{
    json_object *root = json_object_new_object();

    json_object_object_add(root, "version", json_object_new_int(1));
    json_object_object_add(root, "next_id", json_object_new_int(1));
    json_object_object_add(root, "entries", json_object_new_array());
    return root;
}

/*
 * Reads the journal file name under dfd (dfd may be AT_FDCWD; errors name
 * dir/name, name NULL when dir is the file) into *out; a missing file gives an
 * empty document when missing_empty, else -ENOENT.
 */
static int read_at(int dfd, const char *dir, const char *name, bool missing_empty, json_object **out,
                   struct sg_error *err)
{
    _cleanup_close_ int fd = -1;

    /* O_NONBLOCK: a FIFO planted there must be refused below, not wait for a writer. */
    fd = openat(dfd, name ? name : dir, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        int r = -errno;

        if (r == -ENOENT && missing_empty) {
            *out = empty_document();
            return 0;
        }
        sg_error_set(err, dir, name, 0, "%s", strerror(-r));
        return r == -ELOOP ? -EINVAL : r;
    }
    return read_document(fd, dir, name, out, err);
}

int sg_action_journal_read(const char *path, unsigned flags, json_object **out, struct sg_error *err)
{
    _cleanup_close_ int dfd = -1;
    bool missing_empty = flags & SG_ACTION_JOURNAL_MISSING_EMPTY;

    *out = NULL;
    if (!(flags & SG_ACTION_JOURNAL_IN_DIR))
        return read_at(AT_FDCWD, path, NULL, missing_empty, out, err);
    dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int r = -errno;

        sg_error_set(err, path, NULL, 0, "%s", strerror(-r));
        return r;
    }
    return read_at(dfd, path, SG_ACTION_JOURNAL_FILE, missing_empty, out, err);
}

/* Writes text and a newline to fd, then fsyncs it. 0 or -errno (-EIO for a short write without one). */
static int write_synced(int fd, const char *text)
{
    size_t len = strlen(text), off = 0;

    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        off += (size_t)n;
    }
    errno = 0;
    if (write(fd, "\n", 1) != 1 || fsync(fd) < 0)
        return errno ? -errno : -EIO;
    return 0;
}

/* Writes j->root to a temporary file in the directory, fsyncs it, renames it over the journal. */
static int save(struct sg_action_journal *j, struct sg_error *err)
{
    _cleanup_close_ int dfd = -1, fd = -1;
    char tmp[64];
    int r;

    dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return sg_error_set(err, j->dir, NULL, 0, "%s", strerror(errno)), -errno;
    snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", SG_ACTION_JOURNAL_FILE, (long)getpid());
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return sg_error_set(err, j->dir, tmp, 0, "%s", strerror(errno)), -errno;
    r = write_synced(fd, json_object_to_json_string_ext(j->root, JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    if (r == 0 && renameat(dfd, tmp, dfd, SG_ACTION_JOURNAL_FILE) < 0)
        r = -errno;
    if (r < 0) {
        sg_error_set(err, j->dir, tmp, 0, "%s", strerror(-r));
        (void)unlinkat(dfd, tmp, 0);
        return r;
    }
    (void)fsync(dfd);
    return 0;
}

int sg_action_journal_open(struct sg_action_journal *j, const char *dir, struct sg_error *err)
{
    _cleanup_close_ int dfd = -1;
    struct stat st;
    size_t len = strlen(dir);
    int r;

    memset(j, 0, sizeof(*j));
    j->lock_fd = -1;
    if (len == 0 || len >= sizeof(j->dir)) {
        sg_error_set(err, dir, NULL, 0, "state directory path empty or too long");
        return -EINVAL;
    }
    memcpy(j->dir, dir, len + 1);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return sg_error_set(err, dir, NULL, 0, "cannot create the state directory: %s", strerror(errno)), -errno;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return sg_error_set(err, dir, NULL, 0, "%s", strerror(errno)), -errno;
    if (fstat(dfd, &st) < 0)
        return sg_error_set(err, dir, NULL, 0, "%s", strerror(errno)), -errno;
    if (st.st_mode & 022) {
        sg_error_set(err, dir, NULL, 0, "state directory writable by group or others (mode %04o; "
                     "expected 0700)", (unsigned)(st.st_mode & 07777));
        return -EINVAL;
    }
    j->lock_fd = openat(dfd, "journal.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (j->lock_fd < 0)
        return sg_error_set(err, dir, "journal.lock", 0, "%s", strerror(errno)), -errno;
    while (flock(j->lock_fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            r = -errno;
            sg_error_set(err, dir, "journal.lock", 0, "flock: %s", strerror(-r));
            sg_action_journal_close(j);
            return r;
        }
    }
    r = read_at(dfd, j->dir, SG_ACTION_JOURNAL_FILE, true, &j->root, err);
    if (r < 0)
        sg_action_journal_close(j);
    return r;
}

void sg_action_journal_close(struct sg_action_journal *j)
{
    if (!j)
        return;
    json_object_put(j->root);
    j->root = NULL;
    if (j->lock_fd >= 0)
        close(j->lock_fd); /* releases the flock */
    j->lock_fd = -1;
}

json_object *sg_action_journal_entries(const struct sg_action_journal *j)
{
    json_object *a = NULL;

    if (j->root)
        json_object_object_get_ex(j->root, "entries", &a);
    return a;
}

json_object *sg_action_journal_get(const struct sg_action_journal *j, unsigned id)
{
    json_object *a = sg_action_journal_entries(j);
    size_t n = a ? json_object_array_length(a) : 0;

    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(a, i);

        if (sg_action_entry_int(e, "id", -1) == (int64_t)id)
            return e;
    }
    return NULL;
}

int sg_action_journal_add(struct sg_action_journal *j, const char *action, const char *target, const char *uuid,
                   json_object *before, json_object *after, unsigned *id, struct sg_error *err)
{
    json_object *e, *next;
    char who[256];
    int64_t n;
    int r;

    if (!j->root || !before || !after) {
        json_object_put(before);
        json_object_put(after);
        return -EINVAL;
    }
    json_object_object_get_ex(j->root, "next_id", &next);
    n = json_object_get_int64(next);
    if (n >= (int64_t)UINT_MAX) { /* *id is unsigned, and next_id must stay <= UINT_MAX */
        json_object_put(before);
        json_object_put(after);
        sg_error_set(err, j->dir, SG_ACTION_JOURNAL_FILE, 0, "no id left (\"next_id\" %lld)", (long long)n);
        return -EOVERFLOW;
    }
    e = json_object_new_object();
    json_object_object_add(e, "id", json_object_new_int64(n));
    json_object_object_add(e, "action", json_object_new_string(action));
    json_object_object_add(e, "target", json_object_new_string(target));
    json_object_object_add(e, "uuid", uuid ? json_object_new_string(uuid) : NULL);
    json_object_object_add(e, "time", json_object_new_double(unix_now()));
    json_object_object_add(e, "who", json_object_new_string(sg_action_journal_who(who, sizeof(who))));
    json_object_object_add(e, "status", json_object_new_string("applying"));
    json_object_object_add(e, "before", before);
    json_object_object_add(e, "after", after);
    json_object_array_add(sg_action_journal_entries(j), e);
    json_object_object_add(j->root, "next_id", json_object_new_int64(n + 1));
    r = save(j, err);
    if (r < 0) {
        /* Not recorded: take it out again so that memory and disk agree. */
        json_object *a = sg_action_journal_entries(j);

        json_object_array_del_idx(a, json_object_array_length(a) - 1, 1);
        json_object_object_add(j->root, "next_id", json_object_new_int64(n));
        return r;
    }
    if (id)
        *id = (unsigned)n;
    sg_action_step("journal: entry recorded, status applying");
    return 0;
}

int sg_action_journal_set_status(struct sg_action_journal *j, unsigned id, const char *status, const char *note,
                          struct sg_error *err)
{
    json_object *e = sg_action_journal_get(j, id);
    int r;

    if (!e) {
        sg_error_set(err, j->dir, SG_ACTION_JOURNAL_FILE, 0, "no entry %u", id);
        return -ENOENT;
    }
    if (!is_status(status)) {
        sg_error_set(err, j->dir, SG_ACTION_JOURNAL_FILE, 0, "entry %u: '%s' is not a status", id, status);
        return -EINVAL;
    }
    json_object_object_add(e, "status", json_object_new_string(status));
    if (strcmp(status, "rolled-back") == 0)
        json_object_object_add(e, "rolled_back_time", json_object_new_double(unix_now()));
    if (note)
        json_object_object_add(e, "note", json_object_new_string(note));
    r = save(j, err);
    if (r == 0) {
        char what[64];

        snprintf(what, sizeof(what), "journal: entry marked %s", status);
        sg_action_step(what);
    }
    return r;
}

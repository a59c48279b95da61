/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The action journal of `swapguard apply` (agent/actions/action-journal.c): what an operator
 * relies on when `swapguard rollback` and `swapguard history` read it back.
 *
 * Every journal.json here is HAND-WRITTEN, on purpose: one valid journal, and
 * hostile or broken ones (not JSON, trailing bytes, NUL bytes, another
 * version, wrong shapes, duplicate or out-of-range ids, loose modes, a
 * symlink) that must be refused without being rewritten. Each test works in
 * a fresh mkdtemp() directory; the journal's state directory is BASE/state.
 * The lock is checked against forked processes, synchronised by pipes (no
 * sleep decides a result); a failing save is made by replacing the state
 * directory with a file, which stops root too. Tests of known bugs in
 * action-journal.c are at the end of the hostile cases, disabled until fixed.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/actions/action-journal.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

static char base[64];
static char state[96];
static char jpath[128];
static char lpath[128];

static void make_base(void)
{
    snprintf(base, sizeof(base), "/tmp/sg-journal-XXXXXX");
    cr_assert_not_null(mkdtemp(base), "mkdtemp: %s", strerror(errno));
    snprintf(state, sizeof(state), "%s/state", base);
    snprintf(jpath, sizeof(jpath), "%s/" SG_ACTION_JOURNAL_FILE, state);
    snprintf(lpath, sizeof(lpath), "%s/journal.lock", state);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static int open_up(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_D || flag == FTW_DNR)
        (void)chmod(p, 0700);
    return 0;
}

static void remove_base(void)
{
    /* Tests change the modes of directories: open them up so that a non-root run can clean up too. */
    (void)nftw(base, open_up, 16, FTW_PHYS);
    (void)nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A journal that never unlocks would hang the next open: fail such a test instead. */
TestSuite(journal, .init = make_base, .fini = remove_base, .timeout = 60);

/*
 * Under ASan, a test ends with a leak check: LeakSanitizer's own report at
 * exit comes after Criterion has counted the test as passed (and a failure in
 * .fini is only a warning), so a leak (before/after taken over by a failed
 * add, a refused journal's document, a journal not freed by close ...) would
 * pass unnoticed. JTest(name) is Test(journal, name) followed by that check.
 */
static void no_leaks(void)
{
#ifdef __SANITIZE_ADDRESS__
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "LeakSanitizer found leaks (report above)");
#endif
}

#define JTest(name)                 \
    static void name##_body(void);  \
    Test(journal, name)             \
    {                               \
        name##_body();              \
        no_leaks();                 \
    }                               \
    static void name##_body(void)

/* ---- helpers ---------------------------------------------------------------------------- */

static void make_state(mode_t mode)
{
    cr_assert_eq(mkdir(state, 0700), 0, "%s: %s", state, strerror(errno));
    cr_assert_eq(chmod(state, mode), 0);
}

/* Writes len bytes (len so that NUL bytes can be written) to state/journal.json, then chmods it. */
static void write_journal(const char *text, size_t len, mode_t mode)
{
    int fd;

    if (access(state, F_OK) != 0)
        make_state(0700);
    fd = open(jpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "%s: %s", jpath, strerror(errno));
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    cr_assert_eq(close(fd), 0);
    cr_assert_eq(chmod(jpath, mode), 0);
}

/* The bytes of path (malloc'd, NUL-terminated); *len gets the size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void assert_same_bytes(const char *path, const char *want, size_t want_len)
{
    size_t len;
    char *got = slurp(path, &len);

    cr_assert_eq(len, want_len, "%s: %zu bytes, was %zu: rewritten?", path, len, want_len);
    cr_assert_eq(memcmp(got, want, len), 0, "%s: rewritten", path);
    free(got);
}

/* The directory holds exactly the NULL-terminated names given (no temporary files left). */
static void assert_dir_holds(const char *d, ...)
{
    const char *want[8];
    size_t n_want = 0, n_got = 0;
    struct dirent *de;
    va_list ap;
    DIR *dp;

    va_start(ap, d);
    for (const char *s; (s = va_arg(ap, const char *)) && n_want < SG_ELEMENTSOF(want);)
        want[n_want++] = s;
    va_end(ap);
    dp = opendir(d);
    cr_assert_not_null(dp, "%s: %s", d, strerror(errno));
    while ((de = readdir(dp))) {
        bool known = false;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        for (size_t i = 0; i < n_want; i++)
            known = known || strcmp(de->d_name, want[i]) == 0;
        cr_assert(known, "unexpected '%s' left in %s", de->d_name, d);
        n_got++;
    }
    closedir(dp);
    cr_assert_eq(n_got, n_want, "%s holds %zu names, want %zu", d, n_got, n_want);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    cr_assert_eq(lstat(path, &st), 0, "%s: %s", path, strerror(errno));
    return st.st_mode;
}

static void open_ok(struct sg_action_journal *j)
{
    struct sg_error err = { 0 };
    char msg[sizeof(err.file) + 300];
    int r = sg_action_journal_open(j, state, &err);

    cr_assert_eq(r, 0, "open %s: %d %s", state, r, sg_error_format(&err, msg, sizeof(msg)));
    cr_assert_not_null(j->root);
    cr_assert_geq(j->lock_fd, 0);
}

/* Adds an entry with before {"v": b} and after {"v": a}; returns its id. */
static unsigned add_ok(struct sg_action_journal *j, const char *action, const char *target, const char *uuid,
                       int b, int a)
{
    struct sg_error err = { 0 };
    char msg[sizeof(err.file) + 300];
    json_object *before = json_object_new_object(), *after = json_object_new_object();
    unsigned id = 0;
    int r;

    json_object_object_add(before, "v", json_object_new_int(b));
    json_object_object_add(after, "v", json_object_new_int(a));
    r = sg_action_journal_add(j, action, target, uuid, before, after, &id, &err);
    cr_assert_eq(r, 0, "add: %d %s", r, sg_error_format(&err, msg, sizeof(msg)));
    return id;
}

static void set_status_ok(struct sg_action_journal *j, unsigned id, const char *status, const char *note)
{
    struct sg_error err = { 0 };
    char msg[sizeof(err.file) + 300];
    int r = sg_action_journal_set_status(j, id, status, note, &err);

    cr_assert_eq(r, 0, "set_status %u %s: %d %s", id, status, r, sg_error_format(&err, msg, sizeof(msg)));
}

static size_t n_entries(const struct sg_action_journal *j)
{
    json_object *a = sg_action_journal_entries(j);

    cr_assert_not_null(a);
    cr_assert(json_object_is_type(a, json_type_array));
    return json_object_array_length(a);
}

static int64_t int_of(json_object *o, const char *key)
{
    json_object *v;

    cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
    cr_assert(json_object_is_type(v, json_type_int), "\"%s\" is not an integer", key);
    return json_object_get_int64(v);
}

static double num_of(json_object *o, const char *key)
{
    json_object *v;

    cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
    cr_assert(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int),
              "\"%s\" is not a number", key);
    return json_object_get_double(v);
}

/* The "v" of e's object key ("before" or "after", as add_ok makes them). */
static int v_of(json_object *e, const char *key)
{
    json_object *o = sg_action_entry_obj(e, key);

    cr_assert_not_null(o, "no object \"%s\"", key);
    return (int)int_of(o, "v");
}

/* Whether another open file description can take the journal's flock right now. */
static bool lock_free(void)
{
    int fd = open(lpath, O_RDWR | O_CLOEXEC);
    bool got;

    cr_assert_geq(fd, 0, "%s: %s", lpath, strerror(errno));
    got = flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (!got)
        cr_assert_eq(errno, EWOULDBLOCK, "flock: %s", strerror(errno));
    close(fd);
    return got;
}

/* ---- creating, round trip, the file on disk ---------------------------------------------- */

JTest(open_creates_missing_dir_0700)
{
    struct sg_action_journal j;
    mode_t old = umask(0); /* so that the modes asked for are what is seen */

    cr_assert_neq(access(state, F_OK), 0);
    open_ok(&j);
    umask(old);
    cr_assert(S_ISDIR(mode_of(state)));
    cr_assert_eq(mode_of(state) & 07777, 0700, "state dir mode %04o", mode_of(state) & 07777);
    cr_assert(S_ISREG(mode_of(lpath)));
    cr_assert_eq(mode_of(lpath) & 07777, 0600, "lock file mode %04o", mode_of(lpath) & 07777);
    cr_assert_eq(n_entries(&j), 0);
    cr_assert_null(sg_action_journal_get(&j, 1));
    sg_action_journal_close(&j);
    cr_assert_null(j.root);
    cr_assert_eq(j.lock_fd, -1);
    sg_action_journal_close(&j); /* a closed journal is fine */
}

JTest(add_and_set_status_round_trip)
{
    struct sg_action_journal j;
    json_object *e;
    char who[256];
    time_t t0 = time(NULL), t1;
    unsigned id1, id2, id3, id4;

    unsetenv("SUDO_USER");
    open_ok(&j);
    id1 = add_ok(&j, "swap-limit", "vm1", "5f0c8a1e-2b7d-4c3a-9e61-0d2f4b8a7c55", 0, 1048576);
    id2 = add_ok(&j, "swapoff", "/dev/vdb", NULL, 2, 3);
    id3 = add_ok(&j, "oom-protect", "vm2", "11111111-2222-3333-4444-555555555555", -5, -1000);
    cr_assert_eq(id1, 1);
    cr_assert_gt(id2, id1);
    cr_assert_gt(id3, id2);
    set_status_ok(&j, id1, "applied", NULL);
    set_status_ok(&j, id2, "failed", "swapoff: Cannot allocate memory");
    set_status_ok(&j, id3, "applied", NULL);
    set_status_ok(&j, id3, "rolled-back", NULL);
    sg_action_journal_close(&j);
    t1 = time(NULL) + 1;

    open_ok(&j);
    cr_assert_eq(n_entries(&j), 3);
    cr_assert_eq(int_of(j.root, "next_id"), (int64_t)id3 + 1);

    e = sg_action_journal_get(&j, id1);
    cr_assert_not_null(e);
    cr_assert_eq(int_of(e, "id"), id1);
    cr_assert_str_eq(sg_action_entry_str(e, "action"), "swap-limit");
    cr_assert_str_eq(sg_action_entry_str(e, "target"), "vm1");
    cr_assert_str_eq(sg_action_entry_str(e, "uuid"), "5f0c8a1e-2b7d-4c3a-9e61-0d2f4b8a7c55");
    cr_assert_str_eq(sg_action_entry_str(e, "who"), sg_action_journal_who(who, sizeof(who)));
    cr_assert_str_eq(sg_action_entry_str(e, "status"), "applied");
    cr_assert_eq(v_of(e, "before"), 0);
    cr_assert_eq(v_of(e, "after"), 1048576);
    cr_assert_geq(num_of(e, "time"), (double)t0);
    cr_assert_leq(num_of(e, "time"), (double)t1);
    cr_assert_null(sg_action_entry_str(e, "note"));
    cr_assert_not(json_object_object_get_ex(e, "rolled_back_time", NULL));

    e = sg_action_journal_get(&j, id2);
    cr_assert_not_null(e);
    cr_assert_str_eq(sg_action_entry_str(e, "action"), "swapoff");
    cr_assert_str_eq(sg_action_entry_str(e, "target"), "/dev/vdb");
    cr_assert(json_object_object_get_ex(e, "uuid", NULL), "uuid must be there (null) for host actions");
    cr_assert_null(sg_action_entry_str(e, "uuid"));
    cr_assert_str_eq(sg_action_entry_str(e, "status"), "failed");
    cr_assert_str_eq(sg_action_entry_str(e, "note"), "swapoff: Cannot allocate memory");
    cr_assert_eq(v_of(e, "before"), 2);
    cr_assert_eq(v_of(e, "after"), 3);
    cr_assert_not(json_object_object_get_ex(e, "rolled_back_time", NULL));

    e = sg_action_journal_get(&j, id3);
    cr_assert_not_null(e);
    cr_assert_str_eq(sg_action_entry_str(e, "status"), "rolled-back");
    cr_assert_eq(v_of(e, "before"), -5);
    cr_assert_eq(v_of(e, "after"), -1000);
    cr_assert_geq(num_of(e, "rolled_back_time"), num_of(e, "time"));
    cr_assert_leq(num_of(e, "rolled_back_time"), (double)t1);

    /* next_id was persisted: the next entry continues the sequence. */
    id4 = add_ok(&j, "prefetch", "vm1", NULL, 0, 0);
    cr_assert_eq(id4, id3 + 1);
    sg_action_journal_close(&j);
}

/* Each key of an entry and its JSON type, as journal.h documents them. */
static void assert_entry_shape(json_object *e, size_t i)
{
    static const char *const keys[] = { "id", "action", "target", "uuid", "time", "who", "status",
                                        "before", "after", "rolled_back_time", "note" };
    static const char *const required[] = { "id", "action", "target", "uuid", "time", "who", "status",
                                            "before", "after" };
    const char *status;
    json_object *v;

    cr_assert(json_object_is_type(e, json_type_object), "entries[%zu]", i);
    json_object_object_foreach(e, key, val) {
        bool known = false;

        (void)val;
        for (size_t k = 0; k < SG_ELEMENTSOF(keys); k++)
            known = known || strcmp(key, keys[k]) == 0;
        cr_assert(known, "entries[%zu]: undocumented key \"%s\"", i, key);
    }
    for (size_t k = 0; k < SG_ELEMENTSOF(required); k++)
        cr_assert(json_object_object_get_ex(e, required[k], NULL), "entries[%zu]: no \"%s\"", i, required[k]);
    cr_assert_gt(int_of(e, "id"), 0);
    cr_assert_not_null(sg_action_entry_str(e, "action"));
    cr_assert_not_null(sg_action_entry_str(e, "target"));
    cr_assert_not_null(sg_action_entry_str(e, "who"));
    json_object_object_get_ex(e, "uuid", &v);
    cr_assert(v == NULL || json_object_is_type(v, json_type_string), "entries[%zu]: uuid", i);
    cr_assert_gt(num_of(e, "time"), 1.6e9);
    cr_assert_not_null(sg_action_entry_obj(e, "before"));
    cr_assert_not_null(sg_action_entry_obj(e, "after"));
    status = sg_action_entry_str(e, "status");
    cr_assert_not_null(status);
    cr_assert(strcmp(status, "applying") == 0 || strcmp(status, "applied") == 0 ||
              strcmp(status, "failed") == 0 || strcmp(status, "rolled-back") == 0, "status %s", status);
    cr_assert_eq(json_object_object_get_ex(e, "rolled_back_time", NULL), strcmp(status, "rolled-back") == 0,
                 "entries[%zu]: rolled_back_time exactly when rolled back", i);
    if (json_object_object_get_ex(e, "note", &v))
        cr_assert(json_object_is_type(v, json_type_string));
}

JTest(file_is_0600_json_of_the_documented_shape)
{
    struct sg_action_journal j;
    json_tokener *tok;
    json_object *root, *entries;
    char *text;
    size_t len;
    mode_t old = umask(0); /* a permissive umask must not loosen the journal */
    unsigned id;

    open_ok(&j);
    id = add_ok(&j, "swap-limit", "vm1", "5f0c8a1e-2b7d-4c3a-9e61-0d2f4b8a7c55", 0, 1);
    set_status_ok(&j, id, "applied", NULL);
    id = add_ok(&j, "swapoff", "/dev/vdb", NULL, 0, 1);
    set_status_ok(&j, id, "failed", "no");
    id = add_ok(&j, "oom-protect", "vm2", NULL, 0, 1);
    set_status_ok(&j, id, "rolled-back", "by hand");
    add_ok(&j, "prefetch", "vm3", NULL, 0, 1); /* left "applying" */
    umask(old);

    cr_assert(S_ISREG(mode_of(jpath)));
    cr_assert_eq(mode_of(jpath) & 07777, 0600, "journal mode %04o", mode_of(jpath) & 07777);
    /* Saves leave no temporary file behind, and open/close none either. */
    assert_dir_holds(state, SG_ACTION_JOURNAL_FILE, "journal.lock", NULL);
    sg_action_journal_close(&j);
    assert_dir_holds(state, SG_ACTION_JOURNAL_FILE, "journal.lock", NULL);

    /* The whole file is one JSON document (nothing but whitespace after it). */
    text = slurp(jpath, &len);
    cr_assert_eq(strlen(text), len, "NUL byte in the journal");
    tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    root = json_tokener_parse_ex(tok, text, (int)len);
    cr_assert_not_null(root, "%s: %s", jpath, json_tokener_error_desc(json_tokener_get_error(tok)));
    for (size_t k = json_tokener_get_parse_end(tok); k < len; k++)
        cr_assert(strchr(" \t\r\n", text[k]), "trailing byte 0x%02x at %zu", (unsigned char)text[k], k);
    json_tokener_free(tok);
    free(text);

    cr_assert(json_object_is_type(root, json_type_object));
    cr_assert_eq(json_object_object_length(root), 3, "top level: version, next_id, entries only");
    cr_assert_eq(int_of(root, "version"), 1);
    cr_assert_eq(int_of(root, "next_id"), 5);
    cr_assert(json_object_object_get_ex(root, "entries", &entries));
    cr_assert(json_object_is_type(entries, json_type_array));
    cr_assert_eq(json_object_array_length(entries), 4);
    for (size_t i = 0; i < 4; i++) {
        json_object *e = json_object_array_get_idx(entries, i);

        assert_entry_shape(e, i);
        cr_assert_eq(int_of(e, "id"), (int64_t)i + 1, "entries in order of their ids");
    }
    cr_assert_str_eq(sg_action_entry_str(json_object_array_get_idx(entries, 3), "status"), "applying");
    json_object_put(root);
}

JTest(get_finds_by_id)
{
    struct sg_action_journal j;
    json_object *e;

    open_ok(&j);
    add_ok(&j, "swap-limit", "a", NULL, 0, 1);
    add_ok(&j, "swap-limit", "b", NULL, 0, 2);
    add_ok(&j, "swap-limit", "c", NULL, 0, 3);
    for (int pass = 0; pass < 2; pass++) {
        e = sg_action_journal_get(&j, 2);
        cr_assert_not_null(e);
        cr_assert_eq(int_of(e, "id"), 2);
        cr_assert_str_eq(sg_action_entry_str(e, "target"), "b");
        cr_assert_eq(v_of(e, "after"), 2);
        cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 1), "target"), "a");
        cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 3), "target"), "c");
        cr_assert_null(sg_action_journal_get(&j, 0));
        cr_assert_null(sg_action_journal_get(&j, 4));
        cr_assert_null(sg_action_journal_get(&j, UINT_MAX));
        /* Again from disk. */
        sg_action_journal_close(&j);
        open_ok(&j);
    }
    sg_action_journal_close(&j);
    cr_assert_null(sg_action_journal_get(&j, 1), "a closed journal has no entries");
}

JTest(set_status_unknown_id_or_status)
{
    struct sg_action_journal j;
    struct sg_error err = { 0 };
    char msg[sizeof(err.file) + 300], *before;
    size_t len;

    open_ok(&j);
    add_ok(&j, "swap-limit", "vm1", NULL, 0, 1);
    before = slurp(jpath, &len);
    cr_assert_eq(sg_action_journal_set_status(&j, 7, "applied", NULL, &err), -ENOENT);
    sg_error_format(&err, msg, sizeof(msg));
    cr_assert(strstr(msg, jpath), "%s", msg);
    cr_assert(strstr(msg, "no entry 7"), "%s", msg);
    cr_assert_eq(sg_action_journal_set_status(&j, 1, "done", NULL, &err), -EINVAL);
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 1), "status"), "applying");
    assert_same_bytes(jpath, before, len);
    free(before);
    sg_action_journal_close(&j);
}

/* ---- hand-written journals, valid and hostile ------------------------------------------ */

#define ENTRY(id, status)                                                                        \
    "{\"id\": " id ", \"action\": \"swap-limit\", \"target\": \"vm1\", "                          \
    "\"uuid\": \"5f0c8a1e-2b7d-4c3a-9e61-0d2f4b8a7c55\", \"time\": 1763800000.25, "              \
    "\"who\": \"root (uid 0) via sudo by alice\", " status                                        \
    "\"before\": {\"swap_hard_limit_kib\": null}, \"after\": {\"swap_hard_limit_kib\": 1048576}}"
#define APPLIED "\"status\": \"applied\", "
#define ROLLED "\"status\": \"rolled-back\", \"rolled_back_time\": 1763800100.5, \"note\": \"by hand\", "
#define DOC(version, next, entries) \
    "{\n  \"version\": " version ",\n  \"next_id\": " next ",\n  \"entries\": " entries "\n}\n"
#define VALID DOC("1", "3", "[" ENTRY("1", APPLIED) ", " ENTRY("2", ROLLED) "]")

JTest(hand_written_valid_journal_opens_unchanged)
{
    struct sg_action_journal j;

    write_journal(VALID, sizeof(VALID) - 1, 0600);
    open_ok(&j);
    cr_assert_eq(n_entries(&j), 2);
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 1), "who"), "root (uid 0) via sudo by alice");
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 2), "status"), "rolled-back");
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 2), "note"), "by hand");
    sg_action_journal_close(&j);
    /* Opening and closing does not rewrite it. */
    assert_same_bytes(jpath, VALID, sizeof(VALID) - 1);
    open_ok(&j);
    cr_assert_eq(add_ok(&j, "swap-limit", "vm1", NULL, 0, 1), 3);
    sg_action_journal_close(&j);
}

/*
 * Opens the journal that is there, expects -EINVAL, an error naming `names`
 * and containing each of the NULL-terminated want strings, the journal closed
 * and its lock released, and nothing on disk changed or added.
 */
static void expect_refused_at(const char *path, const char *names, ...)
{
    struct sg_action_journal j;
    struct sg_error err = { 0 };
    char msg[sizeof(err.file) + 300], *before = NULL;
    struct stat st0, st1;
    size_t len = 0;
    va_list ap;
    int r;

    cr_assert_eq(lstat(path, &st0), 0);
    if (S_ISREG(st0.st_mode))
        before = slurp(path, &len);
    r = sg_action_journal_open(&j, state, &err);
    sg_error_format(&err, msg, sizeof(msg));
    cr_assert_eq(r, -EINVAL, "open: %d (%s), want -EINVAL", r, msg);
    cr_assert(strstr(msg, names), "error does not name %s: '%s'", names, msg);
    va_start(ap, names);
    for (const char *want; (want = va_arg(ap, const char *));)
        cr_assert(strstr(msg, want), "want '%s' in '%s'", want, msg);
    va_end(ap);
    for (const char *p = msg; *p; p++)
        cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte 0x%02x in '%s'",
                  (unsigned char)*p, msg);
    cr_assert_null(j.root);
    cr_assert_eq(j.lock_fd, -1);
    sg_action_journal_close(&j);
    if (access(lpath, F_OK) == 0)
        cr_assert(lock_free(), "a refused open left the journal locked");

    /* Not rewritten: same bytes, same inode, same mode, no temporary file. */
    cr_assert_eq(lstat(path, &st1), 0);
    cr_assert_eq(st1.st_ino, st0.st_ino, "%s replaced", path);
    cr_assert_eq(st1.st_mode, st0.st_mode);
    if (before) {
        assert_same_bytes(path, before, len);
        free(before);
    }
}

#define EXPECT_REFUSED(...) expect_refused_at(jpath, jpath, __VA_ARGS__, NULL)

static void refuse_text(const char *text, size_t len, const char *want)
{
    if (access(jpath, F_OK) == 0)
        cr_assert_eq(unlink(jpath), 0);
    write_journal(text, len, 0600);
    EXPECT_REFUSED(want);
    assert_dir_holds(state, SG_ACTION_JOURNAL_FILE, "journal.lock", NULL);
}

#define REFUSE(text, want) refuse_text(text, sizeof(text) - 1, want)

JTest(refuses_not_json)
{
    static const char valid[] = VALID;

    REFUSE("swapguard journal\n", "not valid JSON");
    REFUSE("", "not valid JSON");                      /* empty */
    refuse_text(valid, sizeof(valid) / 2, "not valid JSON"); /* truncated */
    REFUSE("[]\n", "not a JSON object");
}

/* (journal.c says "trailing bytes after the document"; a strict json-c tokener says "unexpected character".) */
JTest(refuses_trailing_garbage)
{
    REFUSE(VALID "x", "not valid JSON");
    REFUSE(VALID "{}\n", "not valid JSON");
    REFUSE(DOC("1", "1", "[]") "]", "not valid JSON");
    REFUSE(DOC("1", "1", "[]") "\n\n  \t0", "not valid JSON");
}

JTest(refuses_nul_byte)
{
    REFUSE(VALID "\0", "NUL byte");
    REFUSE(DOC("1", "3", "[" ENTRY("1", APPLIED) ", " ENTRY("2", "\"status\": \"appl\0ied\", ") "]"), "NUL byte");
    REFUSE("\0" VALID, "NUL byte");
}

JTest(refuses_wrong_version)
{
    REFUSE(DOC("2", "3", "[" ENTRY("1", APPLIED) ", " ENTRY("2", ROLLED) "]"), "\"version\" is not 1");
    REFUSE(DOC("0", "1", "[]"), "\"version\" is not 1");
    REFUSE(DOC("\"1\"", "1", "[]"), "\"version\" is not 1");
    REFUSE("{\"next_id\": 1, \"entries\": []}\n", "\"version\" is not 1");
}

JTest(refuses_bad_next_id)
{
    REFUSE(DOC("1", "0", "[]"), "\"next_id\" missing or not a positive integer");
    REFUSE(DOC("1", "-3", "[]"), "\"next_id\" missing or not a positive integer");
    REFUSE(DOC("1", "1.5", "[]"), "\"next_id\" missing or not a positive integer");
    REFUSE("{\"version\": 1, \"entries\": []}\n", "\"next_id\" missing or not a positive integer");
}

JTest(refuses_entries_not_an_array)
{
    REFUSE(DOC("1", "3", "{\"1\": " ENTRY("1", APPLIED) "}"), "\"entries\" missing or not an array");
    REFUSE(DOC("1", "1", "null"), "\"entries\" missing or not an array");
    REFUSE("{\"version\": 1, \"next_id\": 1}\n", "\"entries\" missing or not an array");
    REFUSE(DOC("1", "3", "[" ENTRY("1", APPLIED) ", 2]"), "entries[1]: not an object");
}

JTest(refuses_entry_without_status)
{
    REFUSE(DOC("1", "3", "[" ENTRY("1", APPLIED) ", " ENTRY("2", "") "]"),
           "entries[1]: \"status\" missing or not a string");
    REFUSE(DOC("1", "3", "[" ENTRY("1", "\"status\": 1, ") "]"), "entries[0]: \"status\" missing or not a string");
    REFUSE(DOC("1", "3", "[" ENTRY("1", "\"status\": null, ") "]"), "entries[0]: \"status\" missing or not a string");
}

JTest(refuses_unknown_status)
{
    REFUSE(DOC("1", "3", "[" ENTRY("1", APPLIED) ", " ENTRY("2", "\"status\": \"done\", ") "]"),
           "entries[1]: \"status\" is not applying, applied, failed or rolled-back");
    REFUSE(DOC("1", "3", "[" ENTRY("1", "\"status\": \"APPLIED\", ") "]"), "entries[0]: \"status\" is not");
    REFUSE(DOC("1", "3", "[" ENTRY("1", "\"status\": \"\", ") "]"), "entries[0]: \"status\" is not");
}

JTest(refuses_duplicate_ids)
{
    REFUSE(DOC("1", "3", "[" ENTRY("1", APPLIED) ", " ENTRY("1", ROLLED) "]"), "entries[1]: \"id\" 1 used twice");
    REFUSE(DOC("1", "9", "[" ENTRY("2", APPLIED) ", " ENTRY("5", APPLIED) ", " ENTRY("2", APPLIED) "]"),
           "entries[2]: \"id\" 2 used twice");
}

JTest(refuses_id_not_below_next_id)
{
    REFUSE(DOC("1", "2", "[" ENTRY("1", APPLIED) ", " ENTRY("2", APPLIED) "]"),
           "entries[1]: \"id\" is not below \"next_id\"");
    REFUSE(DOC("1", "3", "[" ENTRY("7", APPLIED) "]"), "entries[0]: \"id\" is not below \"next_id\"");
    REFUSE(DOC("1", "3", "[" ENTRY("0", APPLIED) "]"), "entries[0]: \"id\" missing or not a positive integer");
}

JTest(refuses_group_or_world_writable_journal)
{
    static const mode_t modes[] = { 0666, 0620, 0602 };
    char want[64];

    for (size_t i = 0; i < SG_ELEMENTSOF(modes); i++) {
        if (access(jpath, F_OK) == 0)
            cr_assert_eq(unlink(jpath), 0);
        write_journal(VALID, sizeof(VALID) - 1, modes[i]);
        snprintf(want, sizeof(want), "mode %04o", (unsigned)modes[i]);
        EXPECT_REFUSED("writable by group or others", want);
        cr_assert_eq(mode_of(jpath) & 07777, modes[i], "mode not \"repaired\" behind the operator's back");
    }
}

JTest(refuses_symlink_journal)
{
    char real[160];
    size_t len;
    char *text;

    /* A valid journal elsewhere, reached through a symlink: O_NOFOLLOW refuses it. */
    make_state(0700);
    snprintf(real, sizeof(real), "%s/real.json", base);
    {
        FILE *f = fopen(real, "w");

        cr_assert_not_null(f);
        cr_assert_geq(fputs(VALID, f), 0);
        cr_assert_eq(fclose(f), 0);
    }
    cr_assert_eq(chmod(real, 0600), 0);
    cr_assert_eq(symlink(real, jpath), 0, "%s", strerror(errno));
    EXPECT_REFUSED("symbolic link");
    cr_assert(S_ISLNK(mode_of(jpath)), "the symlink was replaced");
    text = slurp(real, &len);
    cr_assert_str_eq(text, VALID, "the symlink's target was rewritten");
    free(text);
    assert_dir_holds(state, SG_ACTION_JOURNAL_FILE, "journal.lock", NULL);
}

JTest(refuses_state_dir_writable_by_others)
{
    static const mode_t modes[] = { 0777, 0770, 0703 };
    char want[64];

    write_journal(VALID, sizeof(VALID) - 1, 0600);
    for (size_t i = 0; i < SG_ELEMENTSOF(modes); i++) {
        cr_assert_eq(chmod(state, modes[i]), 0);
        snprintf(want, sizeof(want), "mode %04o", (unsigned)modes[i]);
        expect_refused_at(jpath, state, "state directory writable by group or others", want, NULL);
        cr_assert_eq(mode_of(state) & 07777, modes[i]);
        assert_same_bytes(jpath, VALID, sizeof(VALID) - 1);
    }
    assert_dir_holds(state, SG_ACTION_JOURNAL_FILE, NULL); /* refused before it even made journal.lock */
}

JTest(refuses_journal_that_is_a_directory)
{
    make_state(0700);
    cr_assert_eq(mkdir(jpath, 0700), 0);
    EXPECT_REFUSED("not a regular file");
    cr_assert(S_ISDIR(mode_of(jpath)));
    assert_dir_holds(state, SG_ACTION_JOURNAL_FILE, "journal.lock", NULL);
}

/* Found by these tests and fixed in agent/actions/action-journal.c: ids beyond unsigned, a FIFO, json-c's extensions. */

/*
 * Ids are unsigned (journal.h), but next_id is only checked to be positive:
 * next_id 4294967297 makes sg_action_journal_add hand out *id 1 for an entry whose id
 * is 4294967297 (set_status(1) then marks another entry), and next_id
 * INT64_MAX (or any larger number, which json-c clamps) overflows n + 1.
 */
Test(journal, refuses_next_id_beyond_unsigned)
{
    REFUSE(DOC("1", "4294967297", "[" ENTRY("1", APPLIED) "]"), "\"next_id\"");
    REFUSE(DOC("1", "9223372036854775807", "[]"), "\"next_id\"");
    REFUSE(DOC("1", "99999999999999999999999", "[]"), "\"next_id\"");
    REFUSE(DOC("1", "4294967299", "[" ENTRY("4294967298", APPLIED) "]"), "\"next_id\"");
}

/* The last id: sg_action_journal_add must refuse rather than write a next_id beyond what *id can hold. */
Test(journal, add_refuses_when_ids_run_out)
{
    static const char text[] = DOC("1", "4294967295", "[" ENTRY("4294967294", APPLIED) "]");
    struct sg_action_journal j;
    struct sg_error err = { 0 };
    unsigned id = 9;
    int r;

    write_journal(text, sizeof(text) - 1, 0600);
    open_ok(&j);
    r = sg_action_journal_add(&j, "swap-limit", "vm1", NULL, json_object_new_object(), json_object_new_object(), &id, &err);
    cr_assert_lt(r, 0, "add handed out id %u with next_id 4294967295", id);
    cr_assert_eq(id, 9);
    cr_assert_eq(n_entries(&j), 1);
    sg_action_journal_close(&j);
    assert_same_bytes(jpath, text, sizeof(text) - 1);
}

/* A FIFO where the journal should be: open(O_RDONLY) waits for a writer (until the suite's timeout). */
Test(journal, refuses_fifo_journal)
{
    make_state(0700);
    cr_assert_eq(mkfifo(jpath, 0600), 0);
    EXPECT_REFUSED("not a regular file");
}

/* json-c's default parser takes trailing commas and leading zeros: not JSON. */
Test(journal, refuses_json_c_extensions)
{
    REFUSE(DOC("1", "3", "[" ENTRY("1", APPLIED) ",]"), "not valid JSON");
    REFUSE("{\"version\": 1, \"next_id\": 1, \"entries\": [],}\n", "not valid JSON");
    REFUSE(DOC("1", "03", "[]"), "not valid JSON");
}

/* ---- the lock ------------------------------------------------------------------------------ */

static void xwrite(int fd, char c)
{
    while (write(fd, &c, 1) != 1)
        if (errno != EINTR)
            _exit(90);
}

static char xread(int fd)
{
    char c;
    ssize_t n;

    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    return n == 1 ? c : 0;
}

/*
 * In a forked child: die with the test worker (a Criterion timeout or a failed
 * assertion must not leave it behind, blocked in flock or on a pipe).
 */
static void child_setup(pid_t parent)
{
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(80);
}

static void wait_child_ok(pid_t pid)
{
    int status;

    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

JTest(open_holds_the_lock_until_close)
{
    int to_child[2], to_parent[2];
    pid_t pid, self = getpid();

    make_state(0700);
    cr_assert_eq(pipe(to_child), 0);
    cr_assert_eq(pipe(to_parent), 0);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct sg_action_journal j;

        child_setup(self);
        close(to_child[1]);
        close(to_parent[0]);
        if (sg_action_journal_open(&j, state, NULL) != 0)
            _exit(3);
        xwrite(to_parent[1], 'o');
        if (xread(to_child[0]) != 'c')
            _exit(4);
        sg_action_journal_close(&j);
        xwrite(to_parent[1], 'c');
        if (xread(to_child[0]) != 'x')
            _exit(5);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    cr_assert_eq(xread(to_parent[0]), 'o', "the child could not open the journal");
    cr_assert_not(lock_free(), "another process holds the journal open, yet its lock is free");
    xwrite(to_child[1], 'c');
    cr_assert_eq(xread(to_parent[0]), 'c');
    cr_assert(lock_free(), "sg_action_journal_close did not release the lock");
    xwrite(to_child[1], 'x');
    wait_child_ok(pid);
    cr_assert(lock_free());
    close(to_child[1]);
    close(to_parent[0]);
}

/* Whether process pid is inside the flock(2) system call (it is blocked there). */
static bool in_flock(pid_t pid)
{
    char path[64], buf[64] = "";
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return false;
    if (!fgets(buf, sizeof(buf), f))
        buf[0] = '\0';
    fclose(f);
    return strtol(buf, NULL, 10) == SYS_flock && buf[0] >= '0' && buf[0] <= '9';
}

JTest(second_open_waits_for_the_first_close)
{
    struct sg_action_journal j;
    int to_parent[2];
    struct pollfd pfd;
    struct timespec tick = { 0, 2000000 };
    char report[2];
    pid_t pid, self = getpid();
    FILE *f;

    f = fopen("/proc/self/syscall", "r");
    if (!f)
        cr_skip_test("/proc/PID/syscall unreadable here (%s): cannot see a process wait in flock",
                     strerror(errno));
    fclose(f);

    open_ok(&j);
    add_ok(&j, "swap-limit", "vm1", NULL, 0, 1);
    cr_assert_eq(pipe(to_parent), 0);
    pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        struct sg_action_journal k;
        json_object *e;

        child_setup(self);
        close(to_parent[0]);
        /* Drop the inherited lock fd (the parent's flock stays on its own), not through the code under test. */
        close(j.lock_fd);
        if (sg_action_journal_open(&k, state, NULL) != 0)
            _exit(3);
        e = sg_action_journal_get(&k, 1);
        xwrite(to_parent[1], (char)('0' + json_object_array_length(sg_action_journal_entries(&k))));
        xwrite(to_parent[1], e && strcmp(sg_action_entry_str(e, "status"), "applied") == 0 ? 'A' : '?');
        sg_action_journal_close(&k);
        _exit(0);
    }
    close(to_parent[1]);

    /* Wait (a condition, not a time) until the child is blocked in flock; 10 s at most. */
    for (int i = 0; !in_flock(pid); i++) {
        if (i == 5000) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            cr_assert_fail("the child never waited in flock while the journal was open");
        }
        pfd = (struct pollfd){ .fd = to_parent[0], .events = POLLIN };
        if (poll(&pfd, 1, 0) == 1) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            cr_assert_fail("the second open returned while the first was still open");
        }
        nanosleep(&tick, NULL);
    }
    pfd = (struct pollfd){ .fd = to_parent[0], .events = POLLIN };
    cr_assert_eq(poll(&pfd, 1, 0), 0, "the second open returned while the first was still open");

    /* While it waits: record more, then close. It must see all of it. */
    set_status_ok(&j, 1, "applied", NULL);
    add_ok(&j, "swap-limit", "vm2", NULL, 0, 1);
    sg_action_journal_close(&j);
    pfd = (struct pollfd){ .fd = to_parent[0], .events = POLLIN };
    if (poll(&pfd, 1, 20000) != 1) { /* a bound, not a wait: it answers at once when all is well */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        cr_assert_fail("the second open did not return within 20 s of the first close");
    }
    report[0] = xread(to_parent[0]);
    report[1] = xread(to_parent[0]);
    wait_child_ok(pid);
    cr_assert_eq(report[0], '2', "the second open read %c entries, not the 2 the first saved", report[0]);
    cr_assert_eq(report[1], 'A', "the second open did not see entry 1 applied");
    close(to_parent[0]);
}

/* ---- who ---------------------------------------------------------------------------------- */

JTest(who_names_uid_and_sudo_user)
{
    char buf[256], want[64], small[8];
    struct passwd *pw = getpwuid(getuid());
    struct sg_action_journal j;

    unsetenv("SUDO_USER");
    snprintf(want, sizeof(want), "(uid %u)", (unsigned)getuid());
    sg_action_journal_who(buf, sizeof(buf));
    cr_assert(strstr(buf, want), "'%s' lacks '%s'", buf, want);
    if (pw) {
        cr_assert_eq(strncmp(buf, pw->pw_name, strlen(pw->pw_name)), 0, "'%s' does not start with %s", buf,
                     pw->pw_name);
    }
    cr_assert_null(strstr(buf, "sudo"), "'%s'", buf);

    setenv("SUDO_USER", "", 1);
    cr_assert_null(strstr(sg_action_journal_who(buf, sizeof(buf)), "sudo"), "empty SUDO_USER: '%s'", buf);

    setenv("SUDO_USER", "alice", 1);
    sg_action_journal_who(buf, sizeof(buf));
    cr_assert(strstr(buf, want), "'%s' lacks '%s'", buf, want);
    cr_assert_eq(strlen(buf) > strlen(" via sudo by alice") &&
                     strcmp(buf + strlen(buf) - strlen(" via sudo by alice"), " via sudo by alice") == 0,
                 1, "'%s' does not end in ' via sudo by alice'", buf);

    /* What the entry records. */
    open_ok(&j);
    add_ok(&j, "swap-limit", "vm1", NULL, 0, 1);
    sg_action_journal_close(&j);
    unsetenv("SUDO_USER");
    open_ok(&j);
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 1), "who"), buf);
    sg_action_journal_close(&j);

    /* A short buffer is truncated, not overrun. */
    setenv("SUDO_USER", "alice", 1);
    memset(small, 'x', sizeof(small));
    sg_action_journal_who(small, sizeof(small));
    cr_assert_lt(strlen(small), sizeof(small));
    unsetenv("SUDO_USER");
}

JTest(who_escapes_control_bytes_in_sudo_user)
{
    char buf[256];

    setenv("SUDO_USER", "ev\x1b[31mil\nroot (uid 0)\x7f\r", 1);
    sg_action_journal_who(buf, sizeof(buf));
    cr_assert(strstr(buf, " via sudo by ev\\x1b[31mil\\x0aroot (uid 0)\\x7f\\x0d"), "'%s'", buf);
    for (const char *p = buf; *p; p++)
        cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "raw byte 0x%02x in '%s'",
                  (unsigned char)*p, buf);
    setenv("SUDO_USER", "\xc3\xa9mile", 1); /* bytes above 0x7e are escaped too */
    cr_assert(strstr(sg_action_journal_who(buf, sizeof(buf)), " via sudo by \\xc3\\xa9mile"), "'%s'", buf);
    unsetenv("SUDO_USER");
}

/* ---- failures while saving ------------------------------------------------------------------ */

JTest(failed_add_leaves_memory_and_disk_consistent)
{
    struct sg_action_journal j;
    struct sg_error err = { 0 };
    char msg[sizeof(err.file) + 300], moved[128], *before;
    json_object *b, *a;
    unsigned id = 0;
    size_t len;
    int fd, r;

    open_ok(&j);
    cr_assert_eq(add_ok(&j, "swap-limit", "vm1", NULL, 0, 1), 1);
    before = slurp(jpath, &len);

    /*
     * Make every save fail, also for root: the state directory is moved away
     * and a regular file takes its place, so opening it as a directory fails
     * with ENOTDIR (permissions would not stop root).
     */
    snprintf(moved, sizeof(moved), "%s/moved", base);
    cr_assert_eq(rename(state, moved), 0);
    fd = open(state, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0);
    close(fd);

    b = json_object_new_object();
    a = json_object_new_object();
    json_object_object_add(b, "v", json_object_new_int(5));
    json_object_object_add(a, "v", json_object_new_int(6));
    id = 77;
    r = sg_action_journal_add(&j, "swap-limit", "vm2", NULL, b, a, &id, &err); /* takes b and a over: ASan checks */
    sg_error_format(&err, msg, sizeof(msg));
    cr_assert_eq(r, -ENOTDIR, "add: %d (%s), want -ENOTDIR", r, msg);
    cr_assert(strstr(msg, state), "error does not name %s: '%s'", state, msg);
    cr_assert_eq(id, 77, "*id set for an entry that was not recorded");

    /* Memory: the failed entry is not there, next_id did not move. */
    cr_assert_eq(n_entries(&j), 1);
    cr_assert_null(sg_action_journal_get(&j, 2));
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 1), "target"), "vm1");
    cr_assert_eq(int_of(j.root, "next_id"), 2);
    /* Disk: the journal is what it was, and no temporary file was left. */
    snprintf(msg, sizeof(msg), "%s/" SG_ACTION_JOURNAL_FILE, moved);
    assert_same_bytes(msg, before, len);
    assert_dir_holds(moved, SG_ACTION_JOURNAL_FILE, "journal.lock", NULL);

    /* Put the directory back: the next add gets id 2, and a fresh open agrees with memory. */
    cr_assert_eq(unlink(state), 0);
    cr_assert_eq(rename(moved, state), 0);
    cr_assert_eq(add_ok(&j, "swap-limit", "vm3", NULL, 0, 1), 2);
    sg_action_journal_close(&j);
    open_ok(&j);
    cr_assert_eq(n_entries(&j), 2);
    cr_assert_str_eq(sg_action_entry_str(sg_action_journal_get(&j, 2), "target"), "vm3");
    cr_assert_eq(int_of(j.root, "next_id"), 3);
    sg_action_journal_close(&j);
    assert_dir_holds(state, SG_ACTION_JOURNAL_FILE, "journal.lock", NULL);
    free(before);
}

JTest(add_refused_takes_over_before_and_after)
{
    struct sg_action_journal j = { .lock_fd = -1 };
    unsigned id = 9;

    /* A journal that is not open, and a missing after: -EINVAL, and nothing leaks (ASan). */
    cr_assert_eq(sg_action_journal_add(&j, "swap-limit", "vm1", NULL, json_object_new_object(), json_object_new_object(),
                                &id, NULL),
                 -EINVAL);
    open_ok(&j);
    cr_assert_eq(sg_action_journal_add(&j, "swap-limit", "vm1", NULL, json_object_new_object(), NULL, &id, NULL), -EINVAL);
    cr_assert_eq(sg_action_journal_add(&j, "swap-limit", "vm1", NULL, NULL, json_object_new_object(), &id, NULL), -EINVAL);
    cr_assert_eq(id, 9);
    cr_assert_eq(n_entries(&j), 0);
    sg_action_journal_close(&j);
    cr_assert_eq(access(jpath, F_OK), -1, "a refused add wrote a journal");
}

/* ---- the read-only reader (plot: a file; completion: a state directory) ---------------- */

JTest(read_file_and_dir_give_the_same_document_and_missing_differs_by_flag)
{
    struct sg_error err = { 0 };
    json_object *a = NULL, *b = NULL;
    char missing[160];

    write_journal(VALID, sizeof(VALID) - 1, 0600);
    cr_assert_eq(sg_action_journal_read(jpath, 0, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(sg_action_journal_read(state, SG_ACTION_JOURNAL_IN_DIR, &b, &err), 0, "%s", err.msg);
    cr_assert(json_object_equal(a, b), "the file and the directory read differ");
    json_object_put(a);
    json_object_put(b);
    /* Reading neither locks nor rewrites. */
    cr_assert(access(lpath, F_OK) != 0, "a reader created the lock file");
    assert_same_bytes(jpath, VALID, sizeof(VALID) - 1);

    cr_assert_eq(unlink(jpath), 0);
    a = (json_object *)1;
    cr_assert_eq(sg_action_journal_read(jpath, 0, &a, &err), -ENOENT);
    cr_assert_null(a);
    cr_assert_eq(sg_action_journal_read(state, SG_ACTION_JOURNAL_IN_DIR, &a, NULL), -ENOENT);
    cr_assert_eq(sg_action_journal_read(state, SG_ACTION_JOURNAL_IN_DIR | SG_ACTION_JOURNAL_MISSING_EMPTY, &a, NULL),
                 0);
    cr_assert_eq(sg_action_entry_int(a, "next_id", 0), 1);
    cr_assert_eq(json_object_array_length(json_object_object_get(a, "entries")), 0);
    json_object_put(a);
    cr_assert_eq(sg_action_journal_read(jpath, SG_ACTION_JOURNAL_MISSING_EMPTY, &a, NULL), 0);
    json_object_put(a);
    cr_assert(access(jpath, F_OK) != 0, "a reader created the journal");
    /* No such state directory: -ENOENT even with MISSING_EMPTY (a missing file only). */
    snprintf(missing, sizeof(missing), "%s/nothing", base);
    cr_assert_eq(sg_action_journal_read(missing, SG_ACTION_JOURNAL_IN_DIR | SG_ACTION_JOURNAL_MISSING_EMPTY, &a, &err),
                 -ENOENT);
    cr_assert(strstr(err.file, "nothing"), "the error names %s: '%s'", missing, err.file);
}

JTest(read_refuses_what_open_refuses)
{
    struct sg_error err = { 0 };
    json_object *a = NULL;

    write_journal(VALID, sizeof(VALID) - 1, 0622);
    cr_assert_eq(sg_action_journal_read(jpath, 0, &a, &err), -EINVAL);
    cr_assert(strstr(err.msg, "writable by group or others"), "%s", err.msg);
    cr_assert_eq(sg_action_journal_read(state, SG_ACTION_JOURNAL_IN_DIR | SG_ACTION_JOURNAL_MISSING_EMPTY, &a, &err),
                 -EINVAL);
    cr_assert_null(a);
    cr_assert_eq(unlink(jpath), 0);
    cr_assert_eq(symlink("/etc/hostname", jpath), 0);
    cr_assert_eq(sg_action_journal_read(state, SG_ACTION_JOURNAL_IN_DIR | SG_ACTION_JOURNAL_MISSING_EMPTY, &a, &err),
                 -EINVAL, "a symlink is refused, not followed");
}

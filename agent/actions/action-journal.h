/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The action journal: what `swapguard apply` changed, so that `swapguard
 * rollback` can undo it and `swapguard history` can show it.
 *
 * One file, STATE_DIR/journal.json (0600, in a 0700 directory), rewritten
 * whole for every change: written to a temporary file in the same directory,
 * fsync()ed, then rename()d over the old one, so a crash leaves the old or the
 * new journal, never a torn one. STATE_DIR/journal.lock (flock, exclusive)
 * serialises swapguard processes for the whole of an apply or rollback.
 *
 * The document:
 *   { "version": 1, "next_id": N, "entries": [ ENTRY ... ] }
 * ENTRY:
 *   { "id": 1,                       unique, increasing
 *     "action": "swap-limit",        the apply action
 *     "target": "NAME" | "DEVICE",   what it acted on
 *     "uuid": "..." | null,          the domain's UUID (null for host actions)
 *     "time": 1763800000.25,         Unix seconds when it was recorded
 *     "who": "root (uid 0) via sudo by alice",
 *     "status": "applying" | "applied" | "failed" | "rolled-back",
 *     "before": {...}, "after": {...},  action-specific old and new values
 *     "rolled_back_time": 1763800100.5 (only when rolled back),
 *     "note": "..." (optional: why it failed) }
 *
 * An action records "applying" with before and after *before* it changes
 * anything, then marks the entry "applied" or "failed": after a crash in
 * between, the entry still says what to restore.
 */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "util/sg-util.h"

#define SG_ACTION_JOURNAL_FILE "journal.json"

struct sg_action_journal {
    char dir[4096];
    int lock_fd;           /* -1 when not open */
    json_object *root;     /* the document */
};

/*
 * Opens (creating dir 0700 and an empty journal when absent) and locks the
 * journal of dir; waits for another swapguard holding the lock. Refuses a
 * journal that is not a regular file, is group/other-writable, or does not
 * parse into the shape above: -EINVAL, err names the file and what is wrong
 * (nothing is rewritten then). -EACCES/-EPERM when not allowed (non-root).
 */
int sg_action_journal_open(struct sg_action_journal *j, const char *dir, struct sg_error *err);
/* How sg_action_journal_read() finds the file and treats a missing one. */
enum sg_action_journal_read_flags {
    SG_ACTION_JOURNAL_IN_DIR = 1 << 0,        /* path is a state directory: read path/journal.json */
    SG_ACTION_JOURNAL_MISSING_EMPTY = 1 << 1, /* no journal file: an empty document, not -ENOENT */
};

/*
 * Reads a journal document without creating, locking or changing anything
 * (for views such as `plot` and completion, which must never wait): every
 * save replaces the file by rename, so a reader sees the old or the new
 * journal. path is the journal file, or with SG_ACTION_JOURNAL_IN_DIR the
 * state directory holding journal.json. The checks are those of
 * sg_action_journal_open. *out gets the document (json_object_put() it).
 * Errors: -ENOENT when there is no journal file (unless
 * SG_ACTION_JOURNAL_MISSING_EMPTY: then an empty document and 0) or no such
 * directory; -EINVAL (a symlink, not a regular file, group/other-writable,
 * not the documented shape; err, which may be NULL, says which), -EFBIG,
 * -errno of open/read.
 */
int sg_action_journal_read(const char *path, unsigned flags, json_object **out, struct sg_error *err);

/*
 * Parses the text of a journal file, buf[0..len) (NUL bytes refused), and
 * checks it has the shape above. Returns 0 and *root (a new document, to
 * json_object_put), or -EINVAL (not strict JSON, bytes after the document,
 * wrong shape), -EFBIG (over 64 MiB), -ENOMEM; why (may be NULL) says what is wrong.
 */
int sg_action_journal_parse(const char *buf, size_t len, json_object **root, char *why,
                            size_t why_size);

/* Unlocks and frees. A closed journal, one a failed sg_action_journal_open left, or one initialised with
 * { .lock_fd = -1 } is fine (a zeroed one is not: fd 0). */
void sg_action_journal_close(struct sg_action_journal *j);

/*
 * Appends an entry with status "applying" and saves. before/after are taken
 * over (json_object_put'd on failure too). *id gets its id. -errno (err).
 */
int sg_action_journal_add(struct sg_action_journal *j, const char *action, const char *target, const char *uuid,
                   json_object *before, json_object *after, unsigned *id, struct sg_error *err);

/*
 * Sets entry id's status ("applied", "failed", "rolled-back"; the latter also
 * sets rolled_back_time) and note (may be NULL), and saves. -ENOENT when there
 * is no such entry.
 */
int sg_action_journal_set_status(struct sg_action_journal *j, unsigned id, const char *status, const char *note,
                          struct sg_error *err);

/* Entry id (borrowed), or NULL. */
json_object *sg_action_journal_get(const struct sg_action_journal *j, unsigned id);
/* The entries array (borrowed). */
json_object *sg_action_journal_entries(const struct sg_action_journal *j);

/* "root (uid 0)", plus " via sudo by USER" when SUDO_USER is set: who acted, for the entry. */
const char *sg_action_journal_who(char *buf, size_t size);

/* Convenience readers of an entry (NULL / 0 when absent or of another type). */
const char *sg_action_entry_str(json_object *e, const char *key);
json_object *sg_action_entry_obj(json_object *e, const char *key);
int64_t sg_action_entry_int(json_object *e, const char *key, int64_t dflt); /* dflt when absent or not an integer */

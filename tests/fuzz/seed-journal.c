/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes seed journals for fuzz-action-journal with the journal's own writer
 * (agent/actions/action-journal.h): `seed-journal DIR` leaves DIR/journal-N.json, journals of
 * one to three entries in each status, written as `swapguard apply` and `rollback` write them
 * (the before/after objects hold illustrative keys: the journal checks only that they are
 * objects).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/actions/action-journal.h"

static json_object *obj2(const char *k1, json_object *v1, const char *k2, json_object *v2)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, k1, v1);
    if (k2)
        json_object_object_add(o, k2, v2);
    return o;
}

static int copy(const char *from, const char *to)
{
    char buf[65536];
    FILE *in = fopen(from, "re"), *out = fopen(to, "we");
    size_t n;

    if (!in || !out)
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        fwrite(buf, 1, n, out);
    fclose(in);
    return fclose(out);
}

int main(int argc, char **argv)
{
    char tmpl[] = "/tmp/sg-seed-journal-XXXXXX", state[64], from[96], to[4096];
    struct sg_action_journal j;
    struct sg_error err = { .line = 0 };
    unsigned id;

    if (argc != 2 || !mkdtemp(tmpl))
        return 1;
    snprintf(state, sizeof(state), "%s/state", tmpl);
    snprintf(from, sizeof(from), "%s/" SG_ACTION_JOURNAL_FILE, state);
    if (sg_action_journal_open(&j, state, &err) < 0)
        return fprintf(stderr, "%s\n", err.msg), 1;
    if (sg_action_journal_add(&j, "swap-limit", "sgcap-squeezed", "8f02a90a-ebaf-4195-a377-dc9e0bb83e30",
                              obj2("memory.memsw.limit_in_bytes", json_object_new_int64(9223372036854771712LL),
                                   "cgroup", json_object_new_string("/machine/qemu-8-sgcap-squeezed.libvirt-qemu")),
                              obj2("memory.memsw.limit_in_bytes", json_object_new_int64(293601280), NULL, NULL),
                              &id, &err) < 0 ||
        sg_action_journal_set_status(&j, id, "applied", NULL, &err) < 0)
        return fprintf(stderr, "%s\n", err.msg), 1;
    snprintf(to, sizeof(to), "%s/journal-1.json", argv[1]);
    copy(from, to);
    if (sg_action_journal_add(&j, "lock-memory", "sgxm-apply", "2ab9e5b4-5d06-4c51-9d58-1f6c4b31d5a0",
                              obj2("xml", json_object_new_string("<domain type='kvm'><name>sgxm-apply</name></domain>\n"), NULL, NULL),
                              obj2("xml", json_object_new_string("<domain type='kvm'><name>sgxm-apply</name><memoryBacking><locked/></memoryBacking></domain>\n"), NULL, NULL),
                              &id, &err) < 0 ||
        sg_action_journal_set_status(&j, id, "rolled-back", NULL, &err) < 0)
        return fprintf(stderr, "%s\n", err.msg), 1;
    snprintf(to, sizeof(to), "%s/journal-2.json", argv[1]);
    copy(from, to);
    if (sg_action_journal_add(&j, "swapoff", "/swapfile", NULL, obj2("priority", json_object_new_int(-2), NULL, NULL),
                              json_object_new_object(), &id, &err) < 0 ||
        sg_action_journal_set_status(&j, id, "failed", "swapoff: Cannot allocate memory", &err) < 0 ||
        sg_action_journal_add(&j, "oom-protect", "sgcap-squeezed", "8f02a90a-ebaf-4195-a377-dc9e0bb83e30",
                              obj2("oom_score_adj", json_object_new_int(0), NULL, NULL),
                              obj2("oom_score_adj", json_object_new_int(-500), NULL, NULL), &id, &err) < 0)
        return fprintf(stderr, "%s\n", err.msg), 1;
    snprintf(to, sizeof(to), "%s/journal-3.json", argv[1]);
    copy(from, to);
    sg_action_journal_close(&j);
    unlink(from);
    snprintf(from, sizeof(from), "%s/journal.lock", state);
    unlink(from);
    rmdir(state);
    rmdir(tmpl);
    return 0;
}

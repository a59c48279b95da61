/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "replies.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qga.h"
#include "util/fmt.h"

#define WHY(...) do { if (why && why_size) snprintf(why, why_size, __VA_ARGS__); } while (0)

static bool get_typed(json_object *o, const char *key, enum json_type t, json_object **v)
{
    return json_object_object_get_ex(o, key, v) && json_object_is_type(*v, t);
}

/* An optional member: absent is fine, present must have type t. */
static bool opt_typed(json_object *o, const char *key, enum json_type t, json_object **v)
{
    if (!json_object_object_get_ex(o, key, v)) {
        *v = NULL;
        return true;
    }
    return json_object_is_type(*v, t);
}

static int parse_return(const char *reply, enum json_type t, json_object **ret, const char *what,
                        char *why, size_t why_size)
{
    int r = gp_reply_parse(reply, ret, why, why_size);
    if (r < 0)
        return r;
    if (!json_object_is_type(*ret, t)) {
        WHY("%s: \"return\" has the wrong type", what);
        json_object_put(*ret);
        *ret = NULL;
        return -EBADMSG;
    }
    return 0;
}

int gp_parse_exec(const char *reply, int64_t *pid, char *why, size_t why_size)
{
    json_object *ret, *p;
    int r = parse_return(reply, json_type_object, &ret, "guest-exec", why, why_size);

    if (r < 0)
        return r;
    r = 0;
    if (!get_typed(ret, "pid", json_type_int, &p) || json_object_get_int64(p) <= 0) {
        WHY("guest-exec: \"pid\" missing or not a positive integer");
        r = -EBADMSG;
    } else {
        *pid = json_object_get_int64(p);
    }
    json_object_put(ret);
    return r;
}

void gp_exec_status_clear(struct gp_exec_status *s)
{
    free(s->out);
    memset(s, 0, sizeof(*s));
}

int gp_parse_exec_status(const char *reply, struct gp_exec_status *out, char *why, size_t why_size)
{
    _cleanup_json_ json_object *ret = NULL;
    json_object *ex, *code, *sig, *data, *trunc;
    int r;

    memset(out, 0, sizeof(*out));
    out->exitcode = out->signal = -1;
    r = parse_return(reply, json_type_object, &ret, "guest-exec-status", why, why_size);
    if (r < 0)
        return r;
    r = -EBADMSG;
    if (!get_typed(ret, "exited", json_type_boolean, &ex) ||
        !opt_typed(ret, "exitcode", json_type_int, &code) ||
        !opt_typed(ret, "signal", json_type_int, &sig) ||
        !opt_typed(ret, "out-data", json_type_string, &data) ||
        !opt_typed(ret, "out-truncated", json_type_boolean, &trunc)) {
        WHY("guest-exec-status: \"exited\" missing, or a member has the wrong type");
        return r;
    }
    out->exited = json_object_get_boolean(ex);
    if (code)
        out->exitcode = json_object_get_int64(code);
    if (sig)
        out->signal = json_object_get_int64(sig);
    out->out_truncated = trunc && json_object_get_boolean(trunc);
    if (data) {
        r = gp_base64_decode(json_object_get_string(data), (size_t)json_object_get_string_len(data),
                             GP_DATA_MAX, &out->out, &out->out_len);
        if (r == -EBADMSG)
            WHY("guest-exec-status: \"out-data\" is not valid base64");
        else if (r == -EFBIG)
            WHY("guest-exec-status: \"out-data\" larger than %d bytes", GP_DATA_MAX);
        if (r < 0) {
            gp_exec_status_clear(out);
            return r == -ENOMEM ? r : -EBADMSG;
        }
    }
    return 0;
}

int gp_parse_file_open(const char *reply, int64_t *handle, char *why, size_t why_size)
{
    json_object *ret;
    int r = parse_return(reply, json_type_int, &ret, "guest-file-open", why, why_size);

    if (r < 0)
        return r;
    *handle = json_object_get_int64(ret);
    json_object_put(ret);
    if (*handle < 0) {
        WHY("guest-file-open: negative handle");
        return -EBADMSG;
    }
    return 0;
}

int gp_parse_file_read(const char *reply, size_t max, char **data, size_t *len, bool *eof,
                       char *why, size_t why_size)
{
    _cleanup_json_ json_object *ret = NULL;
    json_object *cnt, *b64, *e;
    int r;

    *data = NULL;
    *len = 0;
    r = parse_return(reply, json_type_object, &ret, "guest-file-read", why, why_size);
    if (r < 0)
        return r;
    r = -EBADMSG;
    if (!get_typed(ret, "count", json_type_int, &cnt) || !get_typed(ret, "buf-b64", json_type_string, &b64) ||
        !get_typed(ret, "eof", json_type_boolean, &e)) {
        WHY("guest-file-read: \"count\", \"buf-b64\" or \"eof\" missing or of the wrong type");
        return r;
    }
    r = gp_base64_decode(json_object_get_string(b64), (size_t)json_object_get_string_len(b64), max,
                         data, len);
    if (r < 0) {
        WHY("guest-file-read: \"buf-b64\" %s", r == -EFBIG ? "too large" : "is not valid base64");
        return r == -ENOMEM ? r : -EBADMSG;
    }
    if (json_object_get_int64(cnt) != (int64_t)*len) {
        WHY("guest-file-read: \"count\" does not match the data");
        free(*data);
        *data = NULL;
        *len = 0;
        return -EBADMSG;
    }
    *eof = json_object_get_boolean(e);
    return 0;
}

static bool get_u64(json_object *o, const char *key, uint64_t *v)
{
    json_object *x;
    int64_t i;

    if (!json_object_object_get_ex(o, key, &x)) {
        *v = UINT64_MAX; /* SG_NONE */
        return true;
    }
    if (!json_object_is_type(x, json_type_int))
        return false;
    i = json_object_get_int64(x);
    if (i < 0)
        return false;
    *v = (uint64_t)i;
    return true;
}

int gp_parse_cpustats(const char *reply, struct gp_cpustat **out, char *why, size_t why_size)
{
    _cleanup_json_ json_object *ret = NULL;
    _cleanup_free_ struct gp_cpustat *v = NULL;
    size_t n, k = 0;
    int r;

    *out = NULL;
    r = parse_return(reply, json_type_array, &ret, "guest-get-cpustats", why, why_size);
    if (r < 0)
        return r;
    n = json_object_array_length(ret);
    r = -EBADMSG;
    if (n > GP_MAX_CPUS) {
        WHY("guest-get-cpustats: %zu entries (more than %d)", n, GP_MAX_CPUS);
        return r;
    }
    v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(ret, i), *type, *cpu;
        struct gp_cpustat *c = &v[k];

        if (!json_object_is_type(e, json_type_object) || !get_typed(e, "type", json_type_string, &type)) {
            WHY("guest-get-cpustats: entry %zu is not an object with a string \"type\"", i);
            return r;
        }
        if (strcmp(json_object_get_string(type), "linux") != 0)
            continue;
        if (!get_typed(e, "cpu", json_type_int, &cpu) || json_object_get_int64(cpu) < 0 ||
            !get_u64(e, "user", &c->user_ms) || !get_u64(e, "system", &c->system_ms) ||
            !get_u64(e, "idle", &c->idle_ms) || !get_u64(e, "iowait", &c->iowait_ms) ||
            !get_u64(e, "steal", &c->steal_ms)) {
            WHY("guest-get-cpustats: entry %zu: \"cpu\" or a counter is not a non-negative integer", i);
            return r;
        }
        c->cpu = json_object_get_int64(cpu);
        k++;
    }
    *out = TAKE_PTR(v);
    return (int)k;
}

int gp_parse_osinfo(const char *reply, char *kernel_release, size_t size, char *why, size_t why_size)
{
    json_object *ret, *kr;
    int r = parse_return(reply, json_type_object, &ret, "guest-get-osinfo", why, why_size);

    if (size)
        kernel_release[0] = '\0';
    if (r < 0)
        return r;
    r = 0;
    if (!opt_typed(ret, "kernel-release", json_type_string, &kr)) {
        WHY("guest-get-osinfo: \"kernel-release\" is not a string");
        r = -EBADMSG;
    } else if (kr) {
        gp_copy_clean(kernel_release, size, json_object_get_string(kr),
                      (size_t)json_object_get_string_len(kr));
    }
    json_object_put(ret);
    return r;
}

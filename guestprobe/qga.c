/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qga.h"

#include <errno.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fmt.h"
#include "util/sg-util.h"

static const char *const cmd_names[GP_CMD__MAX] = {
    [GP_CMD_EXEC] = "guest-exec",
    [GP_CMD_EXEC_STATUS] = "guest-exec-status",
    [GP_CMD_FILE_OPEN] = "guest-file-open",
    [GP_CMD_FILE_READ] = "guest-file-read",
    [GP_CMD_FILE_CLOSE] = "guest-file-close",
    [GP_CMD_GET_CPUSTATS] = "guest-get-cpustats",
    [GP_CMD_GET_OSINFO] = "guest-get-osinfo",
};

const char *gp_cmd_name(enum gp_cmd c)
{
    return (unsigned)c < GP_CMD__MAX ? cmd_names[c] : "unknown";
}

const char *gp_cmd_avail_name(enum gp_cmd_avail a)
{
    static const char *const names[] = {
        [GP_CMD_ABSENT] = "absent",
        [GP_CMD_ENABLED] = "enabled",
        [GP_CMD_DISABLED] = "blocked",
    };
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "unknown";
}

const char *gp_qga_state_name(enum gp_qga_state s)
{
    static const char *const names[] = {
        [GP_QGA_OK] = "connected",
        [GP_QGA_NO_CHANNEL] = "not configured",
        [GP_QGA_NOT_CONNECTED] = "not connected",
        [GP_QGA_BLOCKED] = "blocked",
        [GP_QGA_TIMED_OUT] = "timed out",
        [GP_QGA_INVALID_REPLY] = "invalid reply",
        [GP_QGA_FAILED] = "failed",
        [GP_QGA_UNSUPPORTED] = "not supported",
    };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

char *gp_copy_clean(char *dst, size_t size, const char *src, size_t n)
{
    size_t i;

    if (size == 0)
        return dst;
    for (i = 0; i < n && i + 1 < size; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[i] = '\0';
    return dst;
}

/* Parses text (<= GP_REPLY_MAX, checked) as exactly one JSON value. */
static int json_parse_capped(const char *text, json_object **out, char *why, size_t why_size)
{
    size_t len = strnlen(text, (size_t)GP_REPLY_MAX + 1);
    struct json_tokener *tok;
    json_object *o;
    size_t end;

    *out = NULL;
    if (len > GP_REPLY_MAX) {
        sg_why(why, why_size, "reply longer than %d bytes", GP_REPLY_MAX);
        return -EBADMSG;
    }
    tok = json_tokener_new_ex(GP_JSON_MAX_DEPTH);
    if (!tok)
        return -ENOMEM;
    o = json_tokener_parse_ex(tok, text, (int)len);
    if (!o || json_tokener_get_error(tok) != json_tokener_success) {
        enum json_tokener_error e = json_tokener_get_error(tok);
        sg_why(why, why_size, "not JSON: %s",
                e == json_tokener_continue ? "truncated" : json_tokener_error_desc(e));
        json_object_put(o);
        json_tokener_free(tok);
        return -EBADMSG;
    }
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (end < len && (text[end] == ' ' || text[end] == '\n' || text[end] == '\r' ||
                         text[end] == '\t'))
        end++;
    if (end != len) {
        sg_why(why, why_size, "garbage after the JSON value");
        json_object_put(o);
        return -EBADMSG;
    }
    *out = o;
    return 0;
}

int gp_reply_parse(const char *reply, json_object **ret, char *why, size_t why_size)
{
    json_object *o, *v, *cls, *desc;
    int r;

    *ret = NULL;
    if (!reply) {
        sg_why(why, why_size, "no reply");
        return -EBADMSG;
    }
    r = json_parse_capped(reply, &o, why, why_size);
    if (r < 0)
        return r;
    if (!json_object_is_type(o, json_type_object)) {
        sg_why(why, why_size, "reply is not a JSON object");
        json_object_put(o);
        return -EBADMSG;
    }
    if (json_object_object_get_ex(o, "return", &v)) {
        *ret = json_object_get(v);
        json_object_put(o);
        return 0;
    }
    if (json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_object)) {
        char c[64] = "", d[160] = "";
        if (json_object_object_get_ex(v, "class", &cls) && json_object_is_type(cls, json_type_string))
            gp_copy_clean(c, sizeof(c), json_object_get_string(cls),
                          (size_t)json_object_get_string_len(cls));
        if (json_object_object_get_ex(v, "desc", &desc) && json_object_is_type(desc, json_type_string))
            gp_copy_clean(d, sizeof(d), json_object_get_string(desc),
                          (size_t)json_object_get_string_len(desc));
        sg_why(why, why_size, "%s: %s", c[0] ? c : "error", d[0] ? d : "(no description)");
        json_object_put(o);
        return -EREMOTEIO;
    }
    sg_why(why, why_size, "reply has neither \"return\" nor an \"error\" object");
    json_object_put(o);
    return -EBADMSG;
}

int gp_parse_guest_info(const char *reply, struct gp_guest_info *out, char *why, size_t why_size)
{
    _cleanup_json_ json_object *ret = NULL;
    json_object *ver, *cmds;
    size_t n;
    int r;

    memset(out, 0, sizeof(*out));
    r = gp_reply_parse(reply, &ret, why, why_size);
    if (r < 0)
        return r;
    r = -EBADMSG;
    if (!json_object_is_type(ret, json_type_object)) {
        sg_why(why, why_size, "guest-info: \"return\" is not an object");
        return r;
    }
    if (!json_object_object_get_ex(ret, "version", &ver) || !json_object_is_type(ver, json_type_string)) {
        sg_why(why, why_size, "guest-info: \"version\" missing or not a string");
        return r;
    }
    gp_copy_clean(out->version, sizeof(out->version), json_object_get_string(ver),
                  (size_t)json_object_get_string_len(ver));
    if (!json_object_object_get_ex(ret, "supported_commands", &cmds) ||
        !json_object_is_type(cmds, json_type_array)) {
        sg_why(why, why_size, "guest-info: \"supported_commands\" missing or not an array");
        return r;
    }
    n = json_object_array_length(cmds);
    if (n > 4096) {
        sg_why(why, why_size, "guest-info: %zu supported_commands (more than 4096)", n);
        return r;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(cmds, i), *name, *en;
        const char *s;
        size_t len;

        if (!json_object_is_type(c, json_type_object) ||
            !json_object_object_get_ex(c, "name", &name) || !json_object_is_type(name, json_type_string) ||
            !json_object_object_get_ex(c, "enabled", &en) || !json_object_is_type(en, json_type_boolean)) {
            sg_why(why, why_size,
                    "guest-info: supported_commands[%zu] lacks a string \"name\" or a boolean \"enabled\"", i);
            return r;
        }
        out->n_supported++;
        if (!json_object_get_boolean(en))
            out->n_disabled++;
        s = json_object_get_string(name);
        len = (size_t)json_object_get_string_len(name);
        for (int k = 0; k < GP_CMD__MAX; k++)
            if (strlen(cmd_names[k]) == len && memcmp(cmd_names[k], s, len) == 0)
                out->cmds[k] = json_object_get_boolean(en) ? GP_CMD_ENABLED : GP_CMD_DISABLED;
    }
    return 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int gp_base64_decode(const char *in, size_t len, size_t max, char **out, size_t *out_len)
{
    size_t n, w = 0;
    _cleanup_free_ char *buf = NULL;

    *out = NULL;
    *out_len = 0;
    if (len % 4 != 0)
        return -EBADMSG;
    n = len / 4 * 3;
    if (len >= 4 && in[len - 1] == '=')
        n -= in[len - 2] == '=' ? 2 : 1;
    if (n > max)
        return -EFBIG;
    buf = malloc(n + 1);
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int v[4];
        int pad = 0;

        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)in[i + k];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad) /* data after padding */
                return -EBADMSG;
            v[k] = b64_value(c);
            if (v[k] < 0)
                return -EBADMSG;
        }
        /* Canonical form: the bits that padding drops must be zero. */
        if ((pad == 1 && (v[2] & 0x3)) || (pad == 2 && (v[1] & 0xf)))
            return -EBADMSG;
        buf[w++] = (char)((v[0] << 2) | (v[1] >> 4));
        if (pad < 2)
            buf[w++] = (char)(((v[1] & 0xf) << 4) | (v[2] >> 2));
        if (pad < 1)
            buf[w++] = (char)(((v[2] & 0x3) << 6) | v[3]);
    }
    buf[w] = '\0';
    *out = TAKE_PTR(buf);
    *out_len = w;
    return 0;
}

void gp_qga_init(struct gp_agent *a, virDomainPtr dom, int timeout_s)
{
    memset(a, 0, sizeof(*a));
    a->dom = dom;
    clock_gettime(CLOCK_MONOTONIC, &a->deadline);
    a->deadline.tv_sec += timeout_s > 0 ? timeout_s : GP_TIMEOUT_DEFAULT_S;
}

double gp_qga_remaining_s(const struct gp_agent *a)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(a->deadline.tv_sec - now.tv_sec) +
           (double)(a->deadline.tv_nsec - now.tv_nsec) / 1e9;
}

enum gp_qga_state gp_qga_classify_error(int code, const char *message)
{
    const char *m = message ? message : "";

    if (code == VIR_ERR_AGENT_UNRESPONSIVE)
        return GP_QGA_NOT_CONNECTED;
    if (code == VIR_ERR_OPERATION_TIMEOUT)
        return GP_QGA_TIMED_OUT;
    /* qemu-ga answers a blocked command with {"error": {"class": "CommandNotFound",
     * "desc": "The command guest-exec has been disabled for this instance"}}, which
     * libvirt turns into an error carrying that desc. */
    if (strstr(m, "has been disabled") || strstr(m, "CommandDisabled"))
        return GP_QGA_BLOCKED;
    return GP_QGA_FAILED;
}

enum gp_qga_state gp_qga_command(struct gp_agent *a, const char *cmd_json, char **reply)
{
    double left = gp_qga_remaining_s(a);
    char tmsg[GP_WHY_MAX] = "";
    int timeout, code = 0;
    char *r;

    *reply = NULL;
    a->last_error[0] = '\0';
    if (left < 0.5) {
        snprintf(a->last_error, sizeof(a->last_error), "probe deadline reached");
        return GP_QGA_TIMED_OUT;
    }
    /* libvirt may spend up to `timeout` on its guest-sync, then up to `timeout`
     * on the command itself: give each half of what is left. */
    timeout = (int)(left / 2);
    if (timeout < 1)
        timeout = 1;
    if (a->transport) {
        r = a->transport->command(a->transport->data, cmd_json, timeout, &code, tmsg, sizeof(tmsg));
        if (!r) {
            enum gp_qga_state s = gp_qga_classify_error(code, tmsg);
            gp_copy_clean(a->last_error, sizeof(a->last_error), tmsg, strlen(tmsg));
            return s;
        }
    } else {
        r = virDomainQemuAgentCommand(a->dom, cmd_json, timeout, 0);
    }
    if (!r) {
        virErrorPtr e = virGetLastError();
        enum gp_qga_state s = gp_qga_classify_error(e ? e->code : 0, e ? e->message : NULL);
        const char *msg = e && e->message ? e->message : "unknown libvirt error";
        gp_copy_clean(a->last_error, sizeof(a->last_error), msg, strlen(msg));
        if (s == GP_QGA_NOT_CONNECTED && gp_qga_remaining_s(a) <= 0 &&
            strstr(msg, "not connected") == NULL)
            s = GP_QGA_TIMED_OUT;
        return s;
    }
    if (strnlen(r, (size_t)GP_REPLY_MAX + 1) > GP_REPLY_MAX) {
        snprintf(a->last_error, sizeof(a->last_error), "reply longer than %d bytes", GP_REPLY_MAX);
        free(r);
        return GP_QGA_INVALID_REPLY;
    }
    *reply = r;
    return GP_QGA_OK;
}

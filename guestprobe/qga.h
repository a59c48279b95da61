/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A small channel to the QEMU guest agent through libvirt-qemu's
 * virDomainQemuAgentCommand, and the parsers of its replies.
 *
 * Everything the agent returns is controlled by the guest: every reply is
 * capped at GP_REPLY_MAX bytes before it is parsed, every JSON type is
 * checked, and a reply that does not fit yields -EBADMSG ("invalid reply")
 * for that probe only. The parsers take the reply string and do no I/O, so
 * tests feed them canned replies.
 */
#pragma once

#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Largest agent reply we parse, in bytes (the whole JSON text). */
#define GP_REPLY_MAX (1024 * 1024)
/* Default time the whole probe of one domain may take, seconds. */
#define GP_TIMEOUT_DEFAULT_S 5
/* Largest JSON nesting we accept. */
#define GP_JSON_MAX_DEPTH 16

/* The agent commands guestprobe uses. */
enum gp_cmd {
    GP_CMD_EXEC = 0,
    GP_CMD_EXEC_STATUS,
    GP_CMD_FILE_OPEN,
    GP_CMD_FILE_READ,
    GP_CMD_FILE_CLOSE,
    GP_CMD_GET_CPUSTATS,
    GP_CMD_GET_OSINFO,
    GP_CMD__MAX,
};

/* "guest-exec", ... */
const char *gp_cmd_name(enum gp_cmd c);

/* What guest-info says of one command. */
enum gp_cmd_avail {
    GP_CMD_ABSENT = 0, /* not in supported_commands: the agent is too old */
    GP_CMD_ENABLED,    /* listed with "enabled": true */
    GP_CMD_DISABLED,   /* listed with "enabled": false: blocked by the operator (qemu-ga -b/--allow-rpcs) */
};

const char *gp_cmd_avail_name(enum gp_cmd_avail a);

/* guest-info: the agent's version and what it allows. */
struct gp_guest_info {
    char version[64];                   /* "7.2.0"; control bytes replaced by '?' */
    enum gp_cmd_avail cmds[GP_CMD__MAX];
    unsigned n_supported;               /* entries of supported_commands */
    unsigned n_disabled;                /* of which "enabled": false */
};

/* Size of the message buffers the parsers fill ("why" a reply is invalid). */
#define GP_WHY_MAX 256

/*
 * Parses one agent reply: {"return": VALUE} or {"error": {"class": S, "desc": S}}.
 * Returns 0 and *ret (a new reference to VALUE, to json_object_put), or
 * -EBADMSG when the reply is longer than GP_REPLY_MAX, not JSON, nested
 * deeper than GP_JSON_MAX_DEPTH, followed by garbage, or neither form
 * (why says which); -EREMOTEIO when the agent answered an error (why holds
 * "CLASS: DESC", control bytes replaced). why may be NULL.
 */
int gp_reply_parse(const char *reply, json_object **ret, char *why, size_t why_size);

/*
 * Parses a guest-info reply into out. Returns 0, -EBADMSG (malformed or
 * wrong types: version must be a string, supported_commands an array of
 * objects with string "name" and boolean "enabled"), or -EREMOTEIO.
 * Caps: at most 4096 supported_commands entries.
 */
int gp_parse_guest_info(const char *reply, struct gp_guest_info *out, char *why, size_t why_size);

/* Copies at most n bytes of src to dst (size > 0), NUL-terminated, with every
 * control byte (< 0x20, 0x7f) replaced by '?'. Returns dst. */
char *gp_copy_clean(char *dst, size_t size, const char *src, size_t n);

/*
 * Strict base64 (RFC 4648, with '=' padding, no whitespace): decodes in[0..len)
 * into a new buffer of *out_len bytes plus a NUL (for the parsers' convenience).
 * Returns 0, -EBADMSG when the text is not canonical base64, -EFBIG when the
 * decoded size would exceed max, -ENOMEM.
 */
int gp_base64_decode(const char *in, size_t len, size_t max, char **out, size_t *out_len);

/* Outcome of talking to the agent, as the report shows it. */
enum gp_qga_state {
    GP_QGA_OK = 0,          /* answered */
    GP_QGA_NO_CHANNEL,      /* no org.qemu.guest_agent.0 channel in the domain XML */
    GP_QGA_NOT_CONNECTED,   /* libvirt: VIR_ERR_AGENT_UNRESPONSIVE (qemu-ga not running/answering) */
    GP_QGA_BLOCKED,         /* the command is disabled in qemu-ga */
    GP_QGA_TIMED_OUT,       /* our deadline passed */
    GP_QGA_INVALID_REPLY,   /* the reply failed the checks above */
    GP_QGA_FAILED,          /* any other libvirt or agent error */
    GP_QGA_UNSUPPORTED,     /* the agent does not list the command (too old) */
};

const char *gp_qga_state_name(enum gp_qga_state s);

/* A transport for tests: answers one agent command like virDomainQemuAgentCommand
 * (a malloc'd reply, or NULL with *code = a virErrorNumber and msg filled). */
struct gp_transport {
    char *(*command)(void *data, const char *cmd_json, int timeout_s, int *code, char *msg,
                     size_t msg_size);
    void *data;
};

/* One domain's agent, with a deadline shared by every command of a probe. */
struct gp_agent {
    virDomainPtr dom;
    const struct gp_transport *transport; /* NULL: virDomainQemuAgentCommand on dom */
    struct timespec deadline; /* CLOCK_MONOTONIC */
    char last_error[GP_WHY_MAX];
};

/* Starts a probe of dom that must end within timeout_s seconds (>= 1). */
void gp_qga_init(struct gp_agent *a, virDomainPtr dom, int timeout_s);

/* Seconds left before the deadline (may be <= 0). */
double gp_qga_remaining_s(const struct gp_agent *a);

/*
 * Sends one JSON command with virDomainQemuAgentCommand (or a->transport). The libvirt timeout
 * is half of the time left (at least 1 s), because libvirt may first spend up
 * to that long on a guest-sync. Returns GP_QGA_OK and *reply (malloc'd,
 * at most GP_REPLY_MAX bytes), or another state, with a->last_error saying
 * why (libvirt's message, control bytes replaced).
 */
enum gp_qga_state gp_qga_command(struct gp_agent *a, const char *cmd_json, char **reply);

/* Maps a libvirt error (code, message) of virDomainQemuAgentCommand to a state. */
enum gp_qga_state gp_qga_classify_error(int code, const char *message);

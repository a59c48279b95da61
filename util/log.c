/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Messages carry operator and guest input (domain names, URIs, file contents):
 * control and non-ASCII bytes are printed as \xNN, so that a message stays one
 * line and cannot drive the terminal. Backslashes stay as they are (cgroup
 * paths such as machine-qemu\x2d1 are printed as the kernel names them).
 */
static void log_line(const char *prefix, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void log_line(const char *prefix, const char *fmt, va_list ap)
{
    char *msg = NULL, *line;
    size_t plen = strlen(prefix), len = plen;

    if (vasprintf(&msg, fmt, ap) < 0) {
        static const char oom[] = "swapguard: (out of memory formatting this message)\n";
        (void)!write(STDERR_FILENO, oom, sizeof(oom) - 1);
        return;
    }
    /* The whole line is built first and goes out in one write(2): lines of the
     * agent never interleave and cost one system call each. */
    line = malloc(plen + strlen(msg) * 4 + 2);
    if (!line) {
        free(msg);
        return;
    }
    memcpy(line, prefix, plen);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f)
            len += (size_t)sprintf(line + len, "\\x%02x", *p);
        else
            line[len++] = (char)*p;
    }
    line[len++] = '\n';
    fflush(stderr); /* whatever went through stdio before stays in order */
    for (size_t off = 0; off < len;) {
        ssize_t w = write(STDERR_FILENO, line + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    free(line);
    free(msg);
}

void sg_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("swapguard: ", fmt, ap);
    va_end(ap);
}

void sg_log_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("swapguard: warning: ", fmt, ap);
    va_end(ap);
}

void sg_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("swapguard: ", fmt, ap);
    va_end(ap);
}

int sg_log_error_errno(int r, const struct sg_error *err)
{
    char msg[PATH_MAX + 512];

    if (err && (err->file[0] || err->msg[0])) {
        sg_error_format(err, msg, sizeof(msg));
        if (r == -EACCES && !strstr(msg, "run as root"))
            sg_log_error("%s (run as root)", msg);
        else
            sg_log_error("%s", msg);
    } else {
        sg_log_error("%s", strerror(r < 0 ? -r : r));
    }
    return r < 0 ? r : -EIO;
}

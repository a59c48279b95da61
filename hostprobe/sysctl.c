/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hostprobe/sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/sg-util.h"

int sg_sysctl_read_u64(const struct sg_fs *fs, const char *name, uint64_t max, uint64_t *out)
{
    char rel[128], buf[32];
    ssize_t n;
    size_t len;
    uint64_t v;
    int w;

    if (!name || !*name || name[0] == '/' || strstr(name, ".."))
        return -EINVAL;
    w = snprintf(rel, sizeof(rel), "sys/%s", name);
    if (w < 0 || (size_t)w >= sizeof(rel))
        return -EINVAL;
    n = sg_read_at(fs->proc_fd, rel, buf, sizeof(buf));
    if (n < 0)
        return n == -EFBIG ? -EINVAL : (int)n;
    len = (size_t)n;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
        len--;
    if (sg_parse_u64(buf, len, &v) < 0)
        return -EINVAL;
    if (v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

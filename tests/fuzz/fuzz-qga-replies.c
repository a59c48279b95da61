/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every qemu-ga reply parser (guestprobe/qga.h, guestprobe/replies.h) over the same input, as
 * the text virDomainQemuAgentCommand returns (capped at GP_REPLY_MAX like gp_qga_command):
 * the envelope, guest-info, guest-exec, guest-exec-status (with its base64 output),
 * guest-file-open, guest-file-read, guest-get-cpustats, guest-get-osinfo; and the strict
 * base64 decoder on the raw bytes. Seeds: the captured replies of tests/data/guest-agent.
 */
#include "fuzz.h"

#include "guestprobe/qga.h"
#include "guestprobe/replies.h"

/* The why buffers must come back NUL-terminated and free of control bytes
 * (they are printed: gp_copy_clean / sg_why). */
static void check_why(const char *why)
{
    FUZZ_CHECK(memchr(why, '\0', GP_WHY_MAX) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *reply = fuzz_cstr(data, size > GP_REPLY_MAX ? GP_REPLY_MAX : size);
    char why[GP_WHY_MAX] = "", kernel[128], *fdata = NULL, *dec = NULL, clean[64];
    struct gp_guest_info info;
    struct gp_exec_status es = { .out = NULL };
    struct gp_cpustat *cpus = NULL;
    json_object *ret = NULL;
    int64_t v;
    size_t len;
    bool eof;
    int n;

    if (gp_reply_parse(reply, &ret, why, sizeof(why)) == 0)
        json_object_put(ret);
    check_why(why);
    (void)gp_parse_guest_info(reply, &info, why, sizeof(why));
    check_why(why);
    if (gp_parse_exec(reply, &v, why, sizeof(why)) == 0)
        FUZZ_CHECK(v > 0);
    if (gp_parse_exec_status(reply, &es, why, sizeof(why)) == 0 && es.out) {
        FUZZ_CHECK(es.out_len <= GP_DATA_MAX);
        FUZZ_CHECK(es.out[es.out_len] == '\0');
    }
    gp_exec_status_clear(&es);
    if (gp_parse_file_open(reply, &v, why, sizeof(why)) == 0)
        FUZZ_CHECK(v >= 0);
    if (gp_parse_file_read(reply, 4096, &fdata, &len, &eof, why, sizeof(why)) == 0) {
        FUZZ_CHECK(len <= 4096);
        FUZZ_CHECK(fdata[len] == '\0');
        free(fdata);
    }
    n = gp_parse_cpustats(reply, &cpus, why, sizeof(why));
    if (n >= 0) {
        FUZZ_CHECK(n <= GP_MAX_CPUS);
        free(cpus);
    }
    if (gp_parse_osinfo(reply, kernel, sizeof(kernel), why, sizeof(why)) == 0)
        for (const char *p = kernel; *p; p++)
            FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    check_why(why);
    if (gp_base64_decode((const char *)data, size, 1024, &dec, &len) == 0) {
        FUZZ_CHECK(len <= 1024 && dec[len] == '\0');
        free(dec);
    }
    gp_copy_clean(clean, sizeof(clean), (const char *)data, size);
    free(reply);
    return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One domain, its QEMU process and memory cgroup (domain.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libvirt/virterror.h>

#include "agent/core/domain.h"
#include "util/fmt.h"
#include "util/sg-util.h"

void sg_dom_clear(struct sg_dom *x)
{
    if (!x)
        return;
    sg_lv_slot_release(&x->lv);
    if (x->dom)
        virDomainFree(x->dom);
    sg_domain_clear(&x->d);
    free(x->vcpus);
    sg_tp_close(x->apf);
    free(x->meta);
    free(x->apf_missing);
    free(x->taskstats_missing);
    free(x->console_missing);
    free(x->vcpu_tids);
    free(x->vcpu_acc);
    sg_dom_reader_close(&x->rd);
    sg_cgroup_clear(&x->cg);
    memset(x, 0, sizeof(*x));
}

int sg_dom_read_meta(struct sg_dom *x, struct sg_error *err)
{
    _cleanup_free_ struct sg_domxml *m = NULL;
    char *xml, why[256] = "";
    int r;

    if (x->meta)
        return 0;
    if (!x->dom) {
        sg_error_set(err, NULL, NULL, 0, "no libvirt handle to read the domain XML with");
        return -EINVAL;
    }
    xml = virDomainGetXMLDesc(x->dom, 0);
    if (!xml) {
        sg_error_set(err, NULL, NULL, 0, "virDomainGetXMLDesc: %s", virGetLastErrorMessage());
        return -EIO;
    }
    m = calloc(1, sizeof(*m)); /* parsed whole, kept as its strings (sg_dom_meta_new) */
    r = m ? sg_domxml_parse_nova(xml, m, why, sizeof(why)) : -ENOMEM;
    free(xml);
    if (r < 0) {
        sg_error_set(err, NULL, NULL, 0, "domain XML: %s", m ? why : strerror(ENOMEM));
        return r;
    }
    x->meta = sg_dom_meta_new(m);
    if (!x->meta) {
        sg_error_set(err, NULL, NULL, 0, "domain XML: %s", strerror(ENOMEM));
        return -ENOMEM;
    }
    return 0;
}

struct sg_dom_meta *sg_dom_meta_new(const struct sg_domxml *m)
{
    const char *src[] = { m->nova ? m->nova_name : "", m->nova ? m->nova_project_uuid : "",
                          m->nova ? m->nova_project_name : "", m->nova ? m->nova_flavor : "",
                          m->console_log };
    const char **dst[SG_ELEMENTSOF(src)];
    size_t len[SG_ELEMENTSOF(src)], size = sizeof(struct sg_dom_meta);
    struct sg_dom_meta *out;
    char *p;

    for (size_t k = 0; k < SG_ELEMENTSOF(src); k++) {
        len[k] = strlen(src[k]);
        size += len[k] + 1;
    }
    out = malloc(size);
    if (!out)
        return NULL;
    *out = (struct sg_dom_meta){ .nova = m->nova };
    dst[0] = &out->nova_name;
    dst[1] = &out->nova_project_uuid;
    dst[2] = &out->nova_project_name;
    dst[3] = &out->nova_flavor;
    dst[4] = &out->console_log;
    p = (char *)(out + 1);
    for (size_t k = 0; k < SG_ELEMENTSOF(src); k++) {
        memcpy(p, src[k], len[k] + 1);
        *dst[k] = p;
        p += len[k] + 1;
    }
    return out;
}

void sg_dom_set_why(char **why, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    free(*why);
    *why = s;
}

int sg_dom_read_vcpus(const struct sg_fs *fs, struct sg_dom *x, struct sg_error *err)
{
    struct sg_vcpu_thread *vcpus = NULL;
    int n;

    if (!x->located) {
        sg_error_set(err, NULL, NULL, 0, "domain not located: no QEMU process to read vCPU threads of");
        return -EINVAL;
    }
    n = sg_vcpu_threads_read(fs, x->d.pid, &vcpus, err);
    if (n < 0)
        return n;
    free(x->vcpus);
    x->vcpus = vcpus;
    x->n_vcpus = (size_t)n;
    return n;
}

int sg_dom_lookup(struct sg_ctx *ctx, const char *ref, unsigned flags, struct sg_dom *out,
                  struct sg_error *err)
{
    char safe[300];
    int r;

    memset(out, 0, sizeof(*out));
    r = sg_domain_lookup(ctx->conn, ref, &out->d, &out->dom, err);
    if (r < 0) {
        sg_domain_clear(&out->d);
        return r;
    }
    if (!(flags & SG_DOM_LOCATE))
        return 0;
    sg_fmt_safe(out->d.name, safe, sizeof(safe));
    if (out->d.id < 0) {
        sg_error_set(err, NULL, NULL, 0, "domain '%s' is not running", safe);
        return -ESRCH;
    }
    r = sg_domains_find_pids(&ctx->fs, &out->d, 1);
    if (r < 0 || out->d.pid <= 0) {
        sg_error_set(err, NULL, NULL, 0, "domain '%s': no process under %s carries its UUID %s (wrong "
                     "--proc-root, or not allowed to read other processes)", safe, ctx->fs.proc_path,
                     out->d.uuid);
        return r < 0 ? r : -ESRCH;
    }
    r = sg_cgroup_locate(&ctx->fs, out->d.pid, &out->cg, err);
    if (r == -ESRCH)
        sg_error_set(err, NULL, NULL, 0, "domain '%s': its QEMU process exited", safe);
    if (r < 0)
        return r;
    out->located = true;
    if (flags & SG_DOM_VCPUS) {
        r = sg_dom_read_vcpus(&ctx->fs, out, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qga-channel.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>

const char *gp_qga_channel_state_name(enum gp_qga_channel_state s)
{
    static const char *const names[] = {
        [GP_QGA_NOT_CONFIGURED] = "not configured",
        [GP_QGA_UNKNOWN] = "configured",
        [GP_QGA_CONNECTED] = "connected",
        [GP_QGA_DISCONNECTED] = "not connected",
    };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

int gp_qga_channel_state(const char *xml)
{
    xmlDocPtr doc;
    xmlXPathContextPtr ctx = NULL;
    xmlXPathObjectPtr obj = NULL;
    int ret = -EINVAL;

    doc = xmlReadMemory(xml, (int)strnlen(xml, 16 * 1024 * 1024), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return -EINVAL;
    if (!xmlDocGetRootElement(doc) ||
        !xmlStrEqual(xmlDocGetRootElement(doc)->name, BAD_CAST "domain"))
        goto out;
    ctx = xmlXPathNewContext(doc);
    if (!ctx)
        goto out;
    obj = xmlXPathEvalExpression(
        BAD_CAST "/domain/devices/channel/target[@type='virtio' and @name='org.qemu.guest_agent.0']",
        ctx);
    if (!obj)
        goto out;
    if (!obj->nodesetval || obj->nodesetval->nodeNr == 0) {
        ret = GP_QGA_NOT_CONFIGURED;
    } else {
        xmlChar *state = xmlGetProp(obj->nodesetval->nodeTab[0], BAD_CAST "state");
        if (!state)
            ret = GP_QGA_UNKNOWN;
        else if (xmlStrEqual(state, BAD_CAST "connected"))
            ret = GP_QGA_CONNECTED;
        else
            ret = GP_QGA_DISCONNECTED;
        xmlFree(state);
    }
out:
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return ret;
}

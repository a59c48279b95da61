/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "qga-channel.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>

#include "util/xml-cleanup.h"

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
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    _cleanup_xpathobj_ xmlXPathObjectPtr obj = NULL;
    _cleanup_xmlchar_ xmlChar *state = NULL;

    doc = xmlReadMemory(xml, (int)strnlen(xml, 16 * 1024 * 1024), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !xmlDocGetRootElement(doc) ||
        !xmlStrEqual(xmlDocGetRootElement(doc)->name, BAD_CAST "domain"))
        return -EINVAL;
    ctx = xmlXPathNewContext(doc);
    if (!ctx)
        return -EINVAL;
    obj = xmlXPathEvalExpression(
        BAD_CAST "/domain/devices/channel/target[@type='virtio' and @name='org.qemu.guest_agent.0']",
        ctx);
    if (!obj)
        return -EINVAL;
    if (!obj->nodesetval || obj->nodesetval->nodeNr == 0)
        return GP_QGA_NOT_CONFIGURED;
    state = xmlGetProp(obj->nodesetval->nodeTab[0], BAD_CAST "state");
    if (!state)
        return GP_QGA_UNKNOWN;
    return xmlStrEqual(state, BAD_CAST "connected") ? GP_QGA_CONNECTED : GP_QGA_DISCONNECTED;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * _cleanup_ helpers for libxml2 objects (header only: the layers that parse
 * XML link libxml2 themselves). `_cleanup_xmldoc_ xmlDocPtr doc = NULL;`
 */
#pragma once

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "util/sg-util.h"

static inline void sg_xml_free_docp(xmlDocPtr *p) { if (*p) xmlFreeDoc(*p); }
static inline void sg_xml_free_xpath_contextp(xmlXPathContextPtr *p) { if (*p) xmlXPathFreeContext(*p); }
static inline void sg_xml_free_xpath_objectp(xmlXPathObjectPtr *p) { if (*p) xmlXPathFreeObject(*p); }
static inline void sg_xml_freep(xmlChar **p) { if (*p) xmlFree(*p); }

#define _cleanup_xmldoc_ _cleanup_(sg_xml_free_docp)
#define _cleanup_xpathctx_ _cleanup_(sg_xml_free_xpath_contextp)
#define _cleanup_xpathobj_ _cleanup_(sg_xml_free_xpath_objectp)
#define _cleanup_xmlchar_ _cleanup_(sg_xml_freep)

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether a domain has a QEMU guest agent channel, from its libvirt XML. */
#pragma once

#include <stdbool.h>

enum gp_qga_channel_state {
    GP_QGA_NOT_CONFIGURED = 0, /* no <channel> with target name org.qemu.guest_agent.0 */
    GP_QGA_UNKNOWN,            /* configured; libvirt reports no state (inactive domain) */
    GP_QGA_CONNECTED,          /* <target ... state='connected'/>: qemu-ga has the port open */
    GP_QGA_DISCONNECTED,       /* state='disconnected' */
};

const char *gp_qga_channel_state_name(enum gp_qga_channel_state s);

/*
 * Parses domain XML (virDomainGetXMLDesc) with libxml2 and returns the state
 * of the guest agent channel: the <devices><channel> whose <target
 * type='virtio' name='org.qemu.guest_agent.0'>. Returns the state (>= 0), or
 * -EINVAL when xml is not well-formed domain XML.
 */
int gp_qga_channel_state(const char *xml);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "guestprobe/qga-channel.h"
#include "sg-test.h"

/* Hand-written: malformed XML and a domain without channels. Real domain XML
 * with an agent channel is the captured live XML of the squeezed guest. */
Test(agent_channel, malformed_xml)
{
    cr_assert_eq(gp_qga_channel_state("<domain><devices>"), -EINVAL);
    cr_assert_eq(gp_qga_channel_state("<notadomain/>"), -EINVAL);
    cr_assert_eq(gp_qga_channel_state(""), -EINVAL);
}

Test(agent_channel, no_channel)
{
    cr_assert_eq(gp_qga_channel_state("<domain type='qemu'><devices/></domain>"),
                 GP_QGA_NOT_CONFIGURED);
}

Test(agent_channel, entity_expansion_is_not_network)
{
    /* XML_PARSE_NONET: an external entity must not be fetched or expanded into a state. */
    const char *xml = "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY e SYSTEM 'http://127.0.0.1:1/x'>]>"
                      "<domain><devices><channel type='unix'><target type='virtio' "
                      "name='org.qemu.guest_agent.0' state='&e;'/></channel></devices></domain>";
    int r = gp_qga_channel_state(xml);
    cr_assert(r == GP_QGA_DISCONNECTED || r == -EINVAL, "got %d", r);
}

/* Captured by scripts/capture-fixtures.sh: the live XML of a running guest with qemu-ga up. */
Test(agent_channel, captured_live_domain_xml_is_connected)
{
    char *xml = sg_test_slurp("hybrid/domain-sgcap-squeezed.xml", NULL);

    cr_assert_eq(gp_qga_channel_state(xml), GP_QGA_CONNECTED);
    cr_assert(strstr(xml, "org.qemu.guest_agent.0"));
    free(xml);
}

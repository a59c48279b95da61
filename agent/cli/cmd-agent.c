/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swapguard agent: the command line of the daemon (agent/daemon). */
#include "agent/cli/cli.h"
#include "agent/core/config.h"
#include "agent/daemon/daemon.h"

enum { AG_OPT_CONFIG, AG_OPT_MATCH, AG_OPT_TICKS, AG_OPT_OBSERVE };
static const struct sg_opt_def sg_agent_opts[] = {
    [AG_OPT_CONFIG] = { "config", "FILE", "configuration file (default " SG_CONFIG_DEFAULT_PATH
                                          "; SIGHUP reloads it)" },
    [AG_OPT_MATCH] = { "match", "GLOB", "watch only the domains whose name matches the shell "
                                        "pattern GLOB (default: all)" },
    [AG_OPT_TICKS] = { "ticks", "N", "exit after N ticks (for tests; default: until SIGTERM)" },
    [AG_OPT_OBSERVE] = { "observe-only", NULL, "apply no remedy; refuse a config with auto_apply "
                                               "(as [agent] observe_only = yes)" },
    { NULL, NULL, NULL },
};

static int sg_cmd_agent(struct sg_ctx *ctx, const struct sg_cmd_args *args)
{
    struct sg_daemon_opts o = {
        .config_path = args->val[AG_OPT_CONFIG],
        .match = args->val[AG_OPT_MATCH],
        .observe_only = args->set[AG_OPT_OBSERVE],
    };
    double ticks = 0;

    if (sg_opt_number(sg_agent_opts, args, AG_OPT_TICKS, 1, 1e9, &ticks) < 0)
        return 1;
    o.max_ticks = (uint64_t)ticks;
    return sg_daemon_run(ctx, &o) < 0 ? 1 : 0;
}

const struct sg_cmd_def sg_cmd_def_agent = {
    .name = "agent",
    .synopsis_args = "",
    .opts = sg_agent_opts,
    .summary = "run continuously: sample, diagnose, report verdict changes",
    .help = "Runs the libvirt event loop: tracks domains through lifecycle events, samples\n"
            "every [sampler] interval, probes a few guests per tick in turn, reports when a\n"
            "verdict changes and, when [agent] auto_apply names them, applies live remedies.\n"
            "Reconnects to libvirtd with backoff; SIGHUP reloads the config, SIGTERM and\n"
            "SIGINT exit. One instance per host ([agent] lock_file).",
    .handler = sg_cmd_agent,
};

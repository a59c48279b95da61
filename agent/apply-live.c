/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PLACEHOLDER while issue #5 is built in parallel: replaced before the issue lands. */
#include "agent/apply.h"

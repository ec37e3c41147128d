// engramctl rollout status|wait|promote|abort: the host's own rollouts
// (GET /v1/rollouts, POST /v1/admin/rollout).
#pragma once

#include <string>
#include <vector>

#include "ctl/ctl_http.h"

namespace engram::ctl {

struct RolloutOptions {
    std::string action;                // status | wait | promote | abort
    std::vector<std::string> kernels;  // empty: every kernel with a rollout (status, wait)
    bool as_json = false;
    int wait_seconds = 600;  // wait: give up after this long (exit 4)
};

// Exit codes: 0 ok (wait: every rollout asked about is promoted); 1 wait: a
// rollout was rolled back or aborted, or promote/abort did not apply
// (E_ROLLOUT_STATE); 2 usage; 3 engramd unreachable; 4 wait timed out.
int rollout(const Endpoint& endpoint, const RolloutOptions& options);

}  // namespace engram::ctl

// The host's state as JSON: /health (what serves) and /v1/backends (every
// plugin of every live generation, and the last reload's outcome).
#pragma once

#include <nlohmann/json.hpp>

#include "app/host.h"
#include "arena/arena.h"

namespace engram::server {

// {"kernel":{"backend","version"}, ...} of one set: the short form /health uses.
nlohmann::json serving_json(const KernelSet& set);
// The full /v1/backends document.
nlohmann::json backends_json(const HostStatus& status);
// One reload outcome: ok, generation, errors[{code,message}], warnings,
// finished (ISO 8601 UTC), finished_unix, duration_ms.
nlohmann::json reload_json(const ReloadResult& result);
// /v1/arena: settings, totals and per-thread resets / overflows / high water.
nlohmann::json arena_json(const ArenaStats& stats);
// GET /v1/rollouts: the rollouts and watches of backends_json, with the last
// mismatch examples of compared calls.
nlohmann::json rollouts_json(const RolloutStatus& status,
                             const std::vector<MismatchExample>& mismatches);
nlohmann::json rollout_status_json(const RolloutStatus& status);

}  // namespace engram::server

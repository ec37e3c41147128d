// [rollout.<kernel>] (a candidate backend brought to live traffic in shadow,
// then canary steps) and [watchdog] (automatic rollback after a plain swap).
#include <algorithm>

#include "config/config_sections.h"
#include "config/config_values.h"

namespace engram::config_detail {

using config_values::quote;

namespace {

void read_steps(const Section& s, std::vector<double>& out) {
    const toml::node* n = s.node("steps");
    if (!n) return;
    const auto* array = n->as_array();
    if (!array || array->empty()) {
        s.type_error("steps", "a non-empty array of percentages");
        return;
    }
    std::vector<double> steps;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = *array->get(i);
        double v = -1;
        if (auto iv = item.value<int64_t>())
            v = static_cast<double>(*iv);
        else if (auto fv = item.value<double>())
            v = *fv;
        const std::string where = s.label() + " steps[" + std::to_string(i) + "]: ";
        if (!(v > 0.0 && v <= 100.0) || (!steps.empty() && v <= steps.back())) {
            s.report(ErrorCode::ConfigValue, pos_of(item.source()),
                     where + "each step is a percentage in (0, 100], larger than the one before");
            return;
        }
        steps.push_back(v);
    }
    if (steps.back() != 100.0) {
        s.error(ErrorCode::ConfigValue, "steps",
                "the last step must be 100 (the candidate then serves everything)");
        return;
    }
    out = std::move(steps);
}

}  // namespace

void read_rollouts(Diagnostics& diag, const toml::table& root,
                   const std::set<std::string>& plugin_keys, const BackendsConfig&,
                   std::array<RolloutConfig, 3>& out) {
    const toml::table* table = sub_table(diag, root, "rollout");
    if (!table) return;
    for (auto&& [key, value] : *table) {
        const std::string kernel(key.str());
        int index = -1;
        for (Kernel k : kAllKernels)
            if (kernel == kernel_name(k)) index = static_cast<int>(k);
        if (index < 0) {
            diag.add(ErrorCode::ConfigUnknownKey, pos_of(key, value),
                     "[rollout] unknown kernel " + quote(kernel) +
                         " (known: similarity, spreading, decay)");
            continue;
        }
        const auto* t = value.as_table();
        if (!t) {
            diag.add(ErrorCode::ConfigType, pos_of(value.source()),
                     "[rollout." + kernel + "]: expected a table, got " + type_name(value));
            continue;
        }
        const Section s(diag, t, "[rollout." + kernel + "]",
                        {"candidate", "mode", "shadow_sample", "steps", "step_requests",
                         "step_seconds", "min_comparisons", "max_mismatch_rate",
                         "max_latency_ratio", "max_error_rate", "max_nonfinite"});
        RolloutConfig r;
        if (auto v = s.string("candidate")) {
            // A candidate that [backends] already names is a finished
            // rollout (made permanent with engramctl use): accepted, and the
            // host runs no rollout for it.
            if (!plugin_keys.count(*v))
                s.error(ErrorCode::ConfigValue, "candidate", quote(*v) + " is not a [plugins] key");
            else
                r.candidate = *v;
        } else if (!s.has("candidate")) {
            s.report(ErrorCode::ConfigMissing, s.table_pos(), s.label() + " candidate: required");
        }
        if (auto v = s.one_of("mode", {"shadow", "canary"})) r.mode = *v;
        if (auto v = s.number("shadow_sample", 0.0, 1.0)) r.shadow_sample = *v;
        read_steps(s, r.steps);
        if (auto v = s.integer("step_requests", 1, 100000000))
            r.step_requests = static_cast<uint64_t>(*v);
        if (auto v = s.number("step_seconds", 0.0, 86400.0)) r.step_seconds = *v;
        if (auto v = s.integer("min_comparisons", 0, 100000000))
            r.min_comparisons = static_cast<uint64_t>(*v);
        if (auto v = s.number("max_mismatch_rate", 0.0, 1.0)) r.max_mismatch_rate = *v;
        if (auto v = s.number("max_latency_ratio", 1.0, 1000.0)) r.max_latency_ratio = *v;
        if (auto v = s.number("max_error_rate", 0.0, 1.0)) r.max_error_rate = *v;
        if (auto v = s.integer("max_nonfinite", 0, 1000000000))
            r.max_nonfinite = static_cast<uint64_t>(*v);
        if (r.mode == "shadow" && r.shadow_sample <= 0.0)
            s.error(ErrorCode::ConfigValue, "shadow_sample",
                    "must be > 0 in shadow mode (nothing would be compared)");
        out[static_cast<size_t>(index)] = r;
    }
}

void read_watchdog(Diagnostics& diag, const toml::table& root, WatchdogConfig& out) {
    const Section s(diag, sub_table(diag, root, "watchdog"), "[watchdog]",
                    {"enabled", "window_seconds", "min_calls", "max_error_rate", "max_nonfinite",
                     "max_latency_ratio", "compare_sample", "max_mismatch_rate"});
    if (auto v = s.boolean("enabled")) out.enabled = *v;
    if (auto v = s.number("window_seconds", 0.1, 86400.0)) out.window_seconds = *v;
    if (auto v = s.integer("min_calls", 1, 100000000)) out.min_calls = static_cast<uint64_t>(*v);
    if (auto v = s.number("max_error_rate", 0.0, 1.0)) out.max_error_rate = *v;
    if (auto v = s.integer("max_nonfinite", 0, 1000000000))
        out.max_nonfinite = static_cast<uint64_t>(*v);
    if (auto v = s.number("max_latency_ratio", 1.0, 1000.0)) out.max_latency_ratio = *v;
    if (auto v = s.number("compare_sample", 0.0, 1.0)) out.compare_sample = *v;
    if (auto v = s.number("max_mismatch_rate", 0.0, 1.0)) out.max_mismatch_rate = *v;
}

}  // namespace engram::config_detail

#include "server/status_json.h"

#include <cmath>
#include <ctime>
#include <string>

#include "platform/cpu_features.h"

namespace engram::server {

namespace {

using nlohmann::json;

std::string iso_time(double unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(std::floor(unix_seconds));
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>((unix_seconds - std::floor(unix_seconds)) * 1000.0));
    return buf;
}

json plugin_json(const Plugin& p) {
    const engram_kernel_table& t = p.table();
    return {{"backend", p.name()},
            {"version", p.version()},
            {"path", p.path().string()},
            {"sha256", p.sha256()},
            {"abi", std::to_string(t.abi_major) + "." + std::to_string(t.abi_minor)},
            {"required_features", cpu_feature_names(t.required_cpu_features)}};
}

json set_json(const KernelSet& set, bool serving) {
    json kernels = json::object();
    for (Kernel k : kAllKernels) kernels[kernel_name(k)] = plugin_json(set.backend(k));
    json plugins = json::object();
    for (const auto& [name, plugin] : set.loaded()) plugins[name] = plugin_json(*plugin);
    json skipped = json::array();
    for (const auto& s : set.skipped())
        skipped.push_back({{"plugin", s.plugin},
                           {"code", std::string(code_string(s.reason.code()))},
                           {"message", s.reason.what()}});
    return {{"generation", set.generation()},
            {"serving", serving},
            {"kernels", std::move(kernels)},
            {"plugins", std::move(plugins)},
            {"skipped", std::move(skipped)}};
}

}  // namespace

json serving_json(const KernelSet& set) {
    json kernels = json::object();
    for (Kernel k : kAllKernels)
        kernels[kernel_name(k)] = {{"backend", set.backend(k).name()},
                                   {"version", set.backend(k).version()}};
    return kernels;
}

json reload_json(const ReloadResult& r) {
    json errors = json::array();
    for (const auto& e : r.errors)
        errors.push_back({{"code", std::string(code_string(e.code()))}, {"message", e.what()}});
    return {{"ok", r.ok},
            {"generation", r.generation},
            {"errors", std::move(errors)},
            {"warnings", r.warnings},
            {"finished", r.finished_unix > 0 ? iso_time(r.finished_unix) : ""},
            {"finished_unix", r.finished_unix},
            {"duration_ms", r.duration_seconds * 1000.0}};
}

json rollout_status_json(const RolloutStatus& s) {
    json rollouts = json::object();
    for (const auto& r : s.rollouts)
        rollouts[r.kernel] = {{"candidate", r.candidate},
                              {"serving", r.serving},
                              {"mode", r.mode},
                              {"phase", phase_name(r.phase)},
                              {"step", r.step},
                              {"steps", r.steps},
                              {"percent", r.percent},
                              {"since", iso_time(r.since_unix)},
                              {"window",
                               {{"candidate_calls", r.candidate_calls},
                                {"candidate_errors", r.candidate_errors},
                                {"candidate_nonfinite", r.candidate_nonfinite},
                                {"comparisons", r.comparisons},
                                {"mismatches", r.mismatches},
                                {"candidate_p99_ms", r.candidate_p99_ms},
                                {"serving_p99_ms", r.serving_p99_ms}}},
                              {"reason", r.reason},
                              {"history", r.history}};
    json watches = json::object();
    for (const auto& w : s.watches)
        watches[w.kernel] = {{"backend", w.backend},
                             {"previous", w.previous},
                             {"until", iso_time(w.until_unix)},
                             {"calls", w.calls},
                             {"errors", w.errors},
                             {"nonfinite", w.nonfinite},
                             {"comparisons", w.comparisons},
                             {"mismatches", w.mismatches},
                             {"p99_ms", w.p99_ms},
                             {"baseline_p99_ms", w.baseline_p99_ms}};
    json rollbacks = json::array();
    for (const auto& a : s.auto_rollbacks)
        rollbacks.push_back({{"at", iso_time(a.unix_time)},
                             {"at_unix", a.unix_time},
                             {"kernel", a.kernel},
                             {"reason", a.reason},
                             {"detail", a.detail},
                             {"from", a.from},
                             {"to", a.to}});
    return {{"rollouts", std::move(rollouts)},
            {"watchdog", std::move(watches)},
            {"auto_rollbacks", std::move(rollbacks)}};
}

json rollouts_json(const RolloutStatus& s, const std::vector<MismatchExample>& mismatches) {
    json doc = rollout_status_json(s);
    json m = json::array();
    for (const auto& e : mismatches)
        m.push_back({{"at", iso_time(e.unix_time)},
                     {"kernel", e.kernel},
                     {"serving", e.serving},
                     {"candidate", e.candidate},
                     {"input_digest", e.digest},
                     {"difference", e.what}});
    doc["mismatches"] = std::move(m);
    return doc;
}

json backends_json(const HostStatus& s) {
    json doc;
    doc["generation"] = s.serving ? s.serving->generation() : 0;
    doc["config"] = s.config_file.string();
    doc["started_from_last_good"] = s.started_from_last_good;
    doc["state_write_error"] = s.state_write_error ? json(*s.state_write_error) : json(nullptr);
    if (s.state_write_error_unix) doc["state_write_error_at"] = iso_time(*s.state_write_error_unix);
    doc["kernels"] = s.serving ? set_json(*s.serving, true)["kernels"] : json::object();
    json gens = json::array();
    for (const auto& set : s.alive) gens.push_back(set_json(*set, set == s.serving));
    doc["generations"] = std::move(gens);
    json running = {{"in_progress", s.reload_in_progress_since_unix.has_value()}};
    if (s.reload_in_progress_since_unix) {
        running["since"] = iso_time(*s.reload_in_progress_since_unix);
        running["since_unix"] = *s.reload_in_progress_since_unix;
    }
    const json ro = rollout_status_json(s.rollouts);
    doc["rollouts"] = ro["rollouts"];
    doc["watchdog"] = ro["watchdog"];
    doc["auto_rollbacks"] = ro["auto_rollbacks"];
    doc["reloads"] = {{"ok", s.reloads_ok},
                      {"failed", s.reloads_failed},
                      {"running", std::move(running)},
                      {"last", s.last_reload ? reload_json(*s.last_reload) : json(nullptr)}};
    return doc;
}

nlohmann::json arena_json(const ArenaStats& stats) {
    nlohmann::json threads = nlohmann::json::array();
    for (const auto& t : stats.threads)
        threads.push_back({{"thread", t.thread_index},
                           {"resets", t.resets},
                           {"overflows", t.overflows},
                           {"high_water_bytes", t.high_water_bytes}});
    return {{"size_bytes", stats.settings.size},
            {"overflow_policy", overflow_policy_name(stats.settings.policy)},
            {"resets", stats.resets},
            {"overflows", stats.overflows},
            {"high_water_bytes", stats.high_water_bytes},
            {"threads", threads}};
}

}  // namespace engram::server

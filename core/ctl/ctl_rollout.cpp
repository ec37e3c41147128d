#include "ctl/ctl_rollout.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"

namespace engram::ctl {

namespace {

using nlohmann::json;

std::optional<json> get_rollouts(const Endpoint& e, int* exit_code) {
    httplib::Client c(e.url);
    c.set_connection_timeout(5);
    c.set_read_timeout(e.timeout_seconds);
    auto res = c.Get("/v1/rollouts");
    if (!res) {
        std::fprintf(stderr, "engramctl: %s: cannot reach engramd at %s: %s\n",
                     std::string(code_string(ErrorCode::CtlHttp)).c_str(), e.url.c_str(),
                     httplib::to_string(res.error()).c_str());
        *exit_code = 3;
        return std::nullopt;
    }
    json j = json::parse(res->body, nullptr, false);
    if (res->status != 200 || j.is_discarded()) {
        std::fprintf(stderr, "engramctl: %s: GET /v1/rollouts answered %d\n",
                     std::string(code_string(ErrorCode::CtlHttp)).c_str(), res->status);
        *exit_code = 3;
        return std::nullopt;
    }
    return j;
}

bool wanted(const RolloutOptions& o, const std::string& kernel) {
    if (o.kernels.empty()) return true;
    for (const auto& k : o.kernels)
        if (k == kernel) return true;
    return false;
}

void print(const json& j, const RolloutOptions& o) {
    bool any = false;
    for (const auto& [kernel, r] : j["rollouts"].items()) {
        if (!wanted(o, kernel)) continue;
        any = true;
        const json& w = r["window"];
        std::printf("%s: %s, candidate %s against %s, %g%% (steps", kernel.c_str(),
                    r.value("phase", "").c_str(), r.value("candidate", "").c_str(),
                    r.value("serving", "").c_str(), r.value("percent", 0.0));
        for (const auto& s : r["steps"]) std::printf(" %g", s.get<double>());
        std::printf("), since %s\n", r.value("since", "").c_str());
        std::printf(
            "  window: %llu candidate calls, %llu errors, %llu non-finite, %llu compared, %llu "
            "mismatches, "
            "p99 candidate %.3f ms / serving %.3f ms\n",
            w.value("candidate_calls", 0ULL), w.value("candidate_errors", 0ULL),
            w.value("candidate_nonfinite", 0ULL), w.value("comparisons", 0ULL),
            w.value("mismatches", 0ULL), w.value("candidate_p99_ms", 0.0),
            w.value("serving_p99_ms", 0.0));
        if (!r.value("reason", "").empty()) std::printf("  %s\n", r.value("reason", "").c_str());
        for (const auto& h : r["history"]) std::printf("  - %s\n", h.get<std::string>().c_str());
    }
    for (const auto& [kernel, w] : j["watchdog"].items()) {
        if (!wanted(o, kernel)) continue;
        any = true;
        std::printf(
            "%s: watchdog on %s (previous %s) until %s: %llu calls, %llu errors, p99 %.3f ms "
            "(before: %.3f ms)\n",
            kernel.c_str(), w.value("backend", "").c_str(), w.value("previous", "").c_str(),
            w.value("until", "").c_str(), w.value("calls", 0ULL), w.value("errors", 0ULL),
            w.value("p99_ms", 0.0), w.value("baseline_p99_ms", 0.0));
    }
    for (const auto& a : j["auto_rollbacks"])
        if (wanted(o, a.value("kernel", "")))
            std::printf("AUTO ROLLBACK %s %s: %s -> %s (%s): %s\n", a.value("at", "").c_str(),
                        a.value("kernel", "").c_str(), a.value("from", "").c_str(),
                        a.value("to", "").c_str(), a.value("reason", "").c_str(),
                        a.value("detail", "").c_str());
    for (const auto& m : j["mismatches"])
        if (wanted(o, m.value("kernel", "")))
            std::printf("mismatch %s %s (input %s): %s\n", m.value("at", "").c_str(),
                        m.value("kernel", "").c_str(), m.value("input_digest", "").c_str(),
                        m.value("difference", "").c_str());
    if (!any) std::printf("no rollout or watch in progress\n");
}

int wait(const Endpoint& e, const RolloutOptions& o) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(o.wait_seconds);
    for (;;) {
        int code = 0;
        const auto j = get_rollouts(e, &code);
        if (!j) return code;
        bool pending = false, failed = false, any = false;
        for (const auto& [kernel, r] : (*j)["rollouts"].items()) {
            if (!wanted(o, kernel)) continue;
            any = true;
            const std::string phase = r.value("phase", "");
            if (phase == "rolled_back" || phase == "aborted")
                failed = true;
            else if (phase != "promoted")
                pending = true;
        }
        if (!any) {
            std::fprintf(stderr, "engramctl: %s: no rollout to wait for\n",
                         std::string(code_string(ErrorCode::RolloutState)).c_str());
            return 1;
        }
        if (failed || !pending) {
            o.as_json ? (void)std::printf("%s\n", j->dump(2).c_str()) : print(*j, o);
            return failed ? 1 : 0;
        }
        if (std::chrono::steady_clock::now() >= end) {
            std::fprintf(stderr, "engramctl: rollout still in progress after %d s\n",
                         o.wait_seconds);
            return 4;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace

int rollout(const Endpoint& e, const RolloutOptions& o) {
    if (o.action == "status") {
        int code = 0;
        const auto j = get_rollouts(e, &code);
        if (!j) return code;
        o.as_json ? (void)std::printf("%s\n", j->dump(2).c_str()) : print(*j, o);
        return 0;
    }
    if (o.action == "wait") return wait(e, o);
    if (o.action != "promote" && o.action != "abort") {
        std::fprintf(stderr, "engramctl: rollout takes status, wait, promote or abort\n");
        return 2;
    }
    if (o.kernels.size() != 1) {
        std::fprintf(stderr, "engramctl: rollout %s needs exactly one --kernel\n",
                     o.action.c_str());
        return 2;
    }
    httplib::Client c(e.url);
    c.set_connection_timeout(5);
    c.set_read_timeout(e.timeout_seconds);
    auto res = c.Post(("/v1/admin/rollout?kernel=" + o.kernels[0] + "&action=" + o.action).c_str(),
                      "", "application/json");
    if (!res) {
        std::fprintf(stderr, "engramctl: %s: cannot reach engramd at %s\n",
                     std::string(code_string(ErrorCode::CtlHttp)).c_str(), e.url.c_str());
        return 3;
    }
    json j = json::parse(res->body, nullptr, false);
    if (res->status != 200) {
        const std::string code =
            j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
        const std::string msg =
            j.is_object() && j.contains("error") ? j["error"].value("message", "") : res->body;
        std::fprintf(stderr, "engramctl: rollout %s %s: %s: %s\n", o.action.c_str(),
                     o.kernels[0].c_str(), code.c_str(), msg.c_str());
        return res->status == 409 || res->status == 422 ? 1 : 3;
    }
    o.as_json ? (void)std::printf("%s\n", j.dump(2).c_str()) : print(j, o);
    return 0;
}

}  // namespace engram::ctl

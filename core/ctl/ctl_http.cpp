#include "ctl/ctl_http.h"

#include <httplib.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "config/config_values.h"

namespace engram::ctl {

namespace {

using nlohmann::json;

httplib::Client client(const Endpoint& e) {
    httplib::Client c(e.url);
    c.set_connection_timeout(5);
    c.set_read_timeout(e.timeout_seconds);
    c.set_write_timeout(30);
    c.set_tcp_nodelay(true);
    return c;
}

int unreachable(const Endpoint& e, httplib::Error err) {
    std::fprintf(stderr, "engramctl: %s: cannot reach engramd at %s: %s\n",
                 std::string(code_string(ErrorCode::CtlHttp)).c_str(), e.url.c_str(),
                 httplib::to_string(err).c_str());
    return 3;
}

std::optional<json> parse(const std::string& body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

std::string short_sha(const json& p) {
    const std::string s = p.value("sha256", "");
    return s.substr(0, 12);
}

void print_table(const json& j) {
    std::printf("generation %llu  config %s%s\n", j.value("generation", 0ULL),
                j.value("config", "").c_str(),
                j.value("started_from_last_good", false) ? "  (STARTED FROM LAST-GOOD COPY)" : "");
    std::printf("%-11s %-12s %-9s %-4s %-20s %-13s %s\n", "KERNEL", "BACKEND", "VERSION", "ABI",
                "FEATURES", "SHA-256", "PATH");
    for (const auto& [kernel, p] : j["kernels"].items())
        std::printf("%-11s %-12s %-9s %-4s %-20s %-13s %s\n", kernel.c_str(),
                    p.value("backend", "").c_str(), p.value("version", "").c_str(),
                    p.value("abi", "").c_str(), p.value("required_features", "").c_str(),
                    short_sha(p).c_str(), p.value("path", "").c_str());
    std::string gens;
    for (const auto& g : j["generations"])
        gens += (gens.empty() ? "" : ", ") + std::to_string(g.value("generation", 0ULL)) +
                (g.value("serving", false) ? " (serving)" : "");
    std::printf("live generations: %s\n", gens.c_str());
    const json& r = j["reloads"];
    std::printf("reloads: %llu ok, %llu failed\n", r.value("ok", 0ULL), r.value("failed", 0ULL));
    if (r.contains("last") && r["last"].is_object()) {
        const json& last = r["last"];
        std::printf("last reload: %s, generation %llu, at %s, %.1f ms\n",
                    last.value("ok", false) ? "ok" : "FAILED", last.value("generation", 0ULL),
                    last.value("finished", "").c_str(), last.value("duration_ms", 0.0));
        for (const auto& e : last["errors"])
            std::printf("  %s: %s\n", e.value("code", "").c_str(), e.value("message", "").c_str());
    }
}

}  // namespace

std::optional<std::string> url_for_listen(const std::string& listen, std::string* why) {
    const auto hp = config_values::parse_host_port(listen, /*allow_port_zero=*/false, why);
    if (!hp) return std::nullopt;
    const bool v6 = hp->host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + hp->host + "]" : hp->host) + ":" + std::to_string(hp->port);
}

int status(const Endpoint& e, bool as_json) {
    auto c = client(e);
    auto res = c.Get("/v1/backends");
    if (!res) return unreachable(e, res.error());
    const auto j = parse(res->body);
    if (res->status != 200 || !j) {
        std::fprintf(stderr, "engramctl: %s: GET /v1/backends answered %d: %s\n",
                     std::string(code_string(ErrorCode::CtlHttp)).c_str(), res->status,
                     res->body.c_str());
        return 3;
    }
    if (as_json)
        std::printf("%s\n", j->dump(2).c_str());
    else
        print_table(*j);
    return 0;
}

int reload(const Endpoint& e, bool as_json) {
    auto c = client(e);
    auto res = c.Post("/v1/admin/reload", "", "application/json");
    if (!res) return unreachable(e, res.error());
    const auto j = parse(res->body);
    if (!j) {
        std::fprintf(stderr, "engramctl: %s: reload answered %d: %s\n",
                     std::string(code_string(ErrorCode::CtlHttp)).c_str(), res->status,
                     res->body.c_str());
        return 3;
    }
    if (as_json) std::printf("%s\n", j->dump(2).c_str());
    if (res->status == 200 && j->value("ok", false)) {
        if (!as_json)
            std::printf("reload ok: generation %llu (%.1f ms)\n", j->value("generation", 0ULL),
                        j->value("duration_ms", 0.0));
        for (const auto& w : (*j)["warnings"])
            std::fprintf(stderr, "warning: %s\n", w.get<std::string>().c_str());
        return 0;
    }
    // Failure: every code, one per line, on stderr (the exit code says "failed").
    if (j->contains("errors") && !(*j)["errors"].empty()) {
        std::fprintf(stderr, "reload FAILED (HTTP %d), still serving generation %llu:\n",
                     res->status, j->value("generation", 0ULL));
        for (const auto& err : (*j)["errors"])
            std::fprintf(stderr, "%s: %s\n", err.value("code", "").c_str(),
                         err.value("message", "").c_str());
    } else if (j->contains("error")) {
        std::fprintf(stderr, "reload refused (HTTP %d): %s: %s\n", res->status,
                     (*j)["error"].value("code", "").c_str(),
                     (*j)["error"].value("message", "").c_str());
    } else {
        std::fprintf(stderr, "reload FAILED (HTTP %d)\n", res->status);
    }
    return 1;
}

}  // namespace engram::ctl

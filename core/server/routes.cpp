#include "server/routes.h"

#include <httplib.h>

#include <chrono>
#include <new>
#include <string>

#include "app/log.h"
#include "arena/arena.h"
#include "metrics/registry.h"
#include "server/http_status.h"
#include "server/json_codec.h"
#include "server/status_json.h"

namespace engram::server {

int status_for(ErrorCode code) {
    switch (code) {
        case ErrorCode::HttpBadJson:
            return 400;
        case ErrorCode::BadRequest:
            return 422;
        case ErrorCode::HttpForbidden:
            return 403;
        case ErrorCode::HttpNotFound:
            return 404;
        case ErrorCode::HttpMethod:
            return 405;
        case ErrorCode::RolloutState:
            return 409;
        case ErrorCode::HttpBodyTooLarge:
            return 413;
        case ErrorCode::HttpMediaType:
            return 415;
        case ErrorCode::ArenaOverflow:
            return 507;  // Insufficient Storage: this request only
        // Bad Gateway: engramd is fine, the backend it relayed the request
        // to (a plugin) gave an invalid answer, which was withheld. Not 500:
        // the fix is the plugin (roll back), not engramd, and proxies and
        // clients treat 502 as "the upstream misbehaved".
        case ErrorCode::KernelNonFinite:
            return 502;
        case ErrorCode::NoUsableBackend:
        case ErrorCode::HttpUnavailable:
        case ErrorCode::ReloadStopping:
            return 503;
        default:
            return 500;
    }
}

namespace {

using nlohmann::json;
constexpr const char* kJson = "application/json";

void send_error(httplib::Response& res, ErrorCode code, const std::string& message) {
    res.status = status_for(code);
    res.set_content(encode_error(code, message), kJson);
}

void send_json(httplib::Response& res, int status, const json& j) {
    res.status = status;
    res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), kJson);
}

// Every handler runs inside this: whatever goes wrong becomes a JSON error
// with a stable code, never a crash or an HTML page.
template <class F>
httplib::Server::Handler guarded(F f) {
    return [f](const httplib::Request& req, httplib::Response& res) {
        // Handler time per route; the path is the route here (exact matches).
        struct Timed {
            const std::string& route;
            std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
            ~Timed() {
                const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - start);
                metrics::Registry::global().http_latency(route).duration.observe_ns(
                    static_cast<uint64_t>(ns.count()));
            }
        } timed{req.path};
        try {
            f(req, res);
        } catch (const Error& e) {
            if (status_for(e.code()) >= 500)
                log::write(log::Level::Error, "request failed",
                           {{"path", req.path},
                            {"code", std::string(code_string(e.code()))},
                            {"error", e.what()}});
            send_error(res, e.code(), e.what());
        } catch (const std::bad_alloc&) {
            log::write(log::Level::Error, "request failed: out of memory", {{"path", req.path}});
            send_error(res, ErrorCode::HttpInternal, "out of memory");
        } catch (const std::exception& e) {
            log::write(log::Level::Error, "request failed",
                       {{"path", req.path}, {"error", e.what()}});
            send_error(res, ErrorCode::HttpInternal, e.what());
        }
    };
}

void not_serving(httplib::Response& res, const RouteContext& ctx) {
    send_error(res, ErrorCode::HttpUnavailable,
               ctx.stopping.load() ? "engramd is shutting down" : "no kernel set installed yet");
}

void method_not_allowed(httplib::Server& svr, const char* path, const char* allowed) {
    const httplib::Server::Handler h = [allowed](const httplib::Request& req,
                                                 httplib::Response& res) {
        res.set_header("Allow", allowed);
        send_error(res, ErrorCode::HttpMethod, req.method + " is not allowed here; use " + allowed);
    };
    if (std::string(allowed) == "POST") {
        svr.Get(path, h);
        svr.Put(path, h);
        svr.Delete(path, h);
    } else {
        svr.Post(path, h);
        svr.Put(path, h);
        svr.Delete(path, h);
    }
}

}  // namespace

std::string route_label(const std::string& path) {
    static const char* const kRoutes[] = {"/health",          "/ready",           "/v1/backends",
                                          "/v1/arena",        "/metrics",         "/v1/similar",
                                          "/v1/spread",       "/v1/retention",    "/v1/rollouts",
                                          "/v1/admin/reload", "/v1/admin/rollout"};
    for (const char* r : kRoutes)
        if (path == r) return r;
    return "other";
}

bool is_loopback(const std::string& a) {
    return a == "::1" || a.rfind("127.", 0) == 0 || a.rfind("::ffff:127.", 0) == 0;
}

void install_routes(httplib::Server& svr, RouteContext& ctx) {
    RouteContext* c = &ctx;

    svr.Get("/health", guarded([c](const httplib::Request&, httplib::Response& res) {
                const auto set = c->host.engine().snapshot();
                if (!set || c->stopping.load()) return not_serving(res, *c);
                send_json(res, 200,
                          {{"status", "serving"},
                           {"generation", set->generation()},
                           {"kernels", serving_json(*set)}});
            }));
    svr.Get("/ready", guarded([c](const httplib::Request&, httplib::Response& res) {
                const auto set = c->host.engine().snapshot();
                if (!set || c->stopping.load()) return not_serving(res, *c);
                send_json(res, 200, {{"ready", true}, {"generation", set->generation()}});
            }));
    svr.Get("/v1/backends", guarded([c](const httplib::Request&, httplib::Response& res) {
                send_json(res, 200, backends_json(c->host.status()));
            }));
    svr.Get("/v1/arena", guarded([](const httplib::Request&, httplib::Response& res) {
                send_json(res, 200, arena_json(arena_stats()));
            }));
    svr.Get("/metrics", guarded([](const httplib::Request&, httplib::Response& res) {
                res.set_content(metrics::Registry::global().render(),
                                "text/plain; version=0.0.4; charset=utf-8");
            }));

    svr.Post("/v1/similar", guarded([c](const httplib::Request& req, httplib::Response& res) {
                 const SimilarRequest r = parse_similar(req.body);
                 res.set_content(
                     encode_answer(c->host.engine().find_similar(r.vector, r.k), "score"), kJson);
             }));
    svr.Post("/v1/spread", guarded([c](const httplib::Request& req, httplib::Response& res) {
                 const SpreadRequest r = parse_spread(req.body);
                 res.set_content(encode_answer(c->host.engine().spread(r), "activation"), kJson);
             }));
    svr.Post("/v1/retention", guarded([c](const httplib::Request& req, httplib::Response& res) {
                 const RetentionRequest r = parse_retention(req.body);
                 res.set_content(
                     encode_answer(c->host.engine().retention(r.ids, r.now), "retention"), kJson);
             }));

    svr.Post(
        "/v1/admin/reload", guarded([c](const httplib::Request& req, httplib::Response& res) {
            if (!is_loopback(req.remote_addr) && !c->host.config().server.allow_remote_admin) {
                log::write(log::Level::Warn, "admin request refused", {{"peer", req.remote_addr}});
                return send_error(res, ErrorCode::HttpForbidden,
                                  "admin endpoints accept loopback peers only ([server] "
                                  "allow_remote_admin = false)");
            }
            if (c->stopping.load())
                return send_error(res, ErrorCode::ReloadStopping, "engramd is shutting down");
            const ReloadResult r = c->reloader.wait(c->reloader.request());
            json body = reload_json(r);
            int status = 200;
            if (!r.ok) {
                const ErrorCode first =
                    r.errors.empty() ? ErrorCode::HttpInternal : r.errors.front().code();
                status = first == ErrorCode::ReloadStopping ? 503 : 422;
                body["error"] = error_json(
                    first, r.errors.empty() ? "reload failed" : r.errors.front().what())["error"];
            }
            send_json(res, status, body);
        }));

    svr.Get("/v1/rollouts", guarded([c](const httplib::Request&, httplib::Response& res) {
                send_json(res, 200,
                          rollouts_json(c->host.status().rollouts, c->host.engine().mismatches()));
            }));
    // POST /v1/admin/rollout?kernel=K&action=promote|abort
    svr.Post(
        "/v1/admin/rollout", guarded([c](const httplib::Request& req, httplib::Response& res) {
            if (!is_loopback(req.remote_addr) && !c->host.config().server.allow_remote_admin) {
                log::write(log::Level::Warn, "admin request refused", {{"peer", req.remote_addr}});
                return send_error(res, ErrorCode::HttpForbidden,
                                  "admin endpoints accept loopback peers only ([server] "
                                  "allow_remote_admin = false)");
            }
            const std::string kernel = req.get_param_value("kernel"),
                              action = req.get_param_value("action");
            std::optional<Kernel> k;
            for (Kernel each : kAllKernels)
                if (kernel == kernel_name(each)) k = each;
            if (!k)
                return send_error(res, ErrorCode::BadRequest,
                                  "kernel must be similarity, spreading or decay");
            if (action != "promote" && action != "abort")
                return send_error(res, ErrorCode::BadRequest, "action must be promote or abort");
            std::string why;
            const bool ok = action == "promote" ? c->host.promote_rollout(*k, &why)
                                                : c->host.abort_rollout(*k, &why);
            if (!ok) return send_error(res, ErrorCode::RolloutState, why);
            send_json(res, 200,
                      rollouts_json(c->host.status().rollouts, c->host.engine().mismatches()));
        }));

    method_not_allowed(svr, "/v1/similar", "POST");
    method_not_allowed(svr, "/v1/spread", "POST");
    method_not_allowed(svr, "/v1/retention", "POST");
    method_not_allowed(svr, "/v1/admin/reload", "POST");
    method_not_allowed(svr, "/v1/admin/rollout", "POST");
    method_not_allowed(svr, "/v1/rollouts", "GET");
    method_not_allowed(svr, "/health", "GET");
    method_not_allowed(svr, "/ready", "GET");
    method_not_allowed(svr, "/v1/backends", "GET");
    method_not_allowed(svr, "/v1/arena", "GET");
    method_not_allowed(svr, "/metrics", "GET");

    // engram_http_requests_total{route, code}: after every response, ours or
    // httplib's. Unknown paths count as route="other" so a scanner cannot
    // grow the series without bound.
    svr.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        const std::string route = route_label(req.path);
        metrics::Registry::global().http(route, res.status).requests.add();
    });

    // Statuses httplib decides itself (no route, body too large, unparsable
    // request line) get the same JSON error shape as ours.
    const size_t max_body = ctx.max_body_bytes;
    const httplib::Server::HandlerWithResponse on_error = [max_body](const httplib::Request& req,
                                                                     httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (res.status == 404)
            send_error(res, ErrorCode::HttpNotFound, "no endpoint " + req.method + " " + req.path);
        else if (res.status == 413)
            send_error(res, ErrorCode::HttpBodyTooLarge,
                       "the request body exceeds " + std::to_string(max_body) + " bytes");
        else if (res.status < 500)
            res.set_content(encode_error(ErrorCode::HttpBadJson, "malformed HTTP request"), kJson);
        else
            res.set_content(encode_error(ErrorCode::HttpInternal, "internal error"), kJson);
        return httplib::Server::HandlerResponse::Handled;
    };
    svr.set_error_handler(on_error);
    svr.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
            send_error(res, ErrorCode::HttpInternal, "unexpected exception");
        });
}

}  // namespace engram::server

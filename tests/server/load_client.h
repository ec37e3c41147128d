// Client threads that keep engramd busy with random similar/spread/retention
// requests and check every answer against the oracle. Each failure (no
// response, a non-200 status, a wrong answer) is recorded with its reason.
#pragma once

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon.h"
#include "oracle_check.h"

namespace engram::testing {

class LoadClients {
  public:
    LoadClients(const Daemon& d, const OracleCheck& oracle, int threads) : d_(d), oracle_(oracle) {
        // One keep-alive request from this thread first: libcpp-httplib's
        // function-local static regexes are then built before the client
        // threads exist. (The library is not TSan-instrumented, so TSan cannot
        // see the guard of a static first built on one client thread and read
        // on another, and reports a false race.)
        auto warm = d_.client();
        warm->set_keep_alive(true);
        warm->Post("/v1/retention", R"({"ids":[0],"now":0})", "application/json");
        warm->Post("/v1/retention", R"({"ids":[0],"now":0})", "application/json");
        for (int t = 0; t < threads; ++t)
            threads_.emplace_back([this, t] { loop(static_cast<unsigned>(t)); });
    }
    ~LoadClients() { stop(); }
    void stop() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }
    uint64_t ok() const { return ok_.load(); }
    uint64_t retries() const { return retries_.load(); }
    std::vector<std::string> failures() const {
        std::lock_guard<std::mutex> l(mutex_);
        return failures_;
    }
    std::set<std::string> backends() const {
        std::lock_guard<std::mutex> l(mutex_);
        return backends_;
    }

  private:
    void fail(const std::string& why) {
        std::lock_guard<std::mutex> l(mutex_);
        if (failures_.size() < 20)
            failures_.push_back(why);
        else
            failures_.back() = "... and more";
    }

    void loop(unsigned seed) {
        std::mt19937 rng(seed * 7919 + 1);
        auto c = d_.client();
        c->set_keep_alive(true);
        const auto& s = oracle_.store();
        std::uniform_int_distribution<uint32_t> any_id(0, static_cast<uint32_t>(s.n - 1));
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (uint64_t i = 0; !stop_; ++i) {
            const int kind = static_cast<int>(i % 3);
            std::string body, why, path;
            json parsed;
            std::vector<float> q;
            std::vector<uint32_t> ids;
            std::vector<double> want;
            uint32_t k = 0;
            if (kind == 0) {
                q.resize(s.dim);
                for (auto& v : q) v = normal(rng);
                k = 1 + rng() % 20;
                body = json{{"vector", q}, {"k", k}}.dump();
                path = "/v1/similar";
            } else if (kind == 1) {
                ids = {any_id(rng), any_id(rng)};
                const engram_spread_params p{3, 0.5f, 0.05f};
                if (!oracle_.spread_askable(ids, p, &want)) continue;
                k = 10;
                body = json{
                    {"seeds", ids},
                    {"iterations", 3},
                    {"decay", 0.5},
                    {"threshold", 0.05},
                    {"top",
                     k}}.dump();
                path = "/v1/spread";
            } else {
                for (int j = 0; j < 16; ++j) ids.push_back(any_id(rng));
                body = json{{"ids", ids}, {"now", 0}}.dump();
                path = "/v1/retention";
            }
            auto res = c->Post(path.c_str(), body, "application/json");
            if (!res &&
                (res.error() == httplib::Error::Read || res.error() == httplib::Error::Write)) {
                // HTTP/1.1 allows one retry on a fresh connection when a
                // kept-alive one was closed by the server's idle timeout just
                // as the request went out (RFC 9112, 9.3.1). A host that is
                // down or drops the request fails the retry too.
                ++retries_;
                c = d_.client();
                c->set_keep_alive(true);
                res = c->Post(path.c_str(), body, "application/json");
            }
            if (!res) {
                fail(path + ": no response: " + httplib::to_string(res.error()));
                continue;
            }
            if (res->status != 200) {
                fail(path + ": HTTP " + std::to_string(res->status) + " " + res->body);
                continue;
            }
            const json a = json::parse(res->body, nullptr, false);
            if (a.is_discarded()) {
                fail(path + ": not JSON");
                continue;
            }
            why = kind == 0   ? oracle_.similar(q, k, a)
                  : kind == 1 ? oracle_.spread(want, k, a)
                              : oracle_.retention(ids, a);
            if (!why.empty()) {
                fail(path + " (" + a.value("backend", "?") + "): " + why);
                continue;
            }
            {
                std::lock_guard<std::mutex> l(mutex_);
                backends_.insert(a.value("backend", "?"));
            }
            ++ok_;
        }
    }

    const Daemon& d_;
    const OracleCheck& oracle_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> ok_{0};
    std::atomic<uint64_t> retries_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> failures_;
    std::set<std::string> backends_;
    std::vector<std::thread> threads_;
};

}  // namespace engram::testing

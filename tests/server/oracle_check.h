// Checks engramd's answers against the double-precision oracle, on the same
// synthetic store the daemon built (same shape and seed: same memories).
#pragma once

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon.h"
#include "oracle/oracle.h"
#include "oracle/tolerances.h"
#include "store/memory_store.h"

namespace engram::testing {

class OracleCheck {
  public:
    explicit OracleCheck(const StoreShape& s)
        : store_(make_synthetic_store(s.memories, s.dim, s.degree, s.seed, 86400.0, 1.7e9)) {}
    const MemoryStore& store() const { return store_; }

    // "" when the answer is right, else what is wrong.
    std::string similar(const std::vector<float>& q, uint32_t k, const json& a) const {
        const auto want =
            oracle::similarity(q.data(), store_.embeddings.data(), store_.n, store_.dim);
        return top_k(
            want, k, a, "score",
            [](double got, double w, double) { return tolerance::similarity_ok(got, w); },
            2 * tolerance::kSimilarityAbs);
    }

    // nullopt-like: false when the case is too close to the threshold to ask.
    bool spread_askable(const std::vector<uint32_t>& seeds, const engram_spread_params& p,
                        std::vector<double>* want) const {
        std::vector<float> act(store_.n, 0.0f);
        for (uint32_t s : seeds) act[s] = 1.0f;
        const auto r = oracle::spread(store_.offsets.data(), store_.sources.data(),
                                      store_.weights.data(), store_.n, p, act.data());
        if (r.status != ENGRAM_OK || r.threshold_margin < tolerance::kSpreadMinThresholdMargin)
            return false;
        *want = r.activation;
        return true;
    }
    std::string spread(const std::vector<double>& want, uint32_t top, const json& a) const {
        double max_abs = 0;
        for (double v : want) max_abs = std::max(max_abs, std::fabs(v));
        return top_k(
            want, top, a, "activation",
            [max_abs](double got, double w, double) {
                return tolerance::spread_ok(got, w, max_abs);
            },
            2 * (tolerance::kSpreadAbsOfMax * max_abs) + 1e-5 * max_abs, /*skip_zero=*/true);
    }

    // With now = 0 every age is negative, which the kernel contract clamps
    // to 0: retention = strength exactly (the store's access times are the
    // daemon's start time, unknown here).
    std::string retention(const std::vector<uint32_t>& ids, const json& a) const {
        const auto& r = a.at("results");
        if (r.size() != ids.size()) return "wrong result count";
        std::vector<float> s, age(ids.size(), 0.0f), st;
        for (uint32_t id : ids) {
            s.push_back(store_.strength[id]);
            st.push_back(store_.stability[id]);
        }
        const auto want = oracle::decay(s.data(), age.data(), st.data(), 0.0f, ids.size());
        for (size_t i = 0; i < ids.size(); ++i) {
            if (r[i].at("id").get<uint32_t>() != ids[i]) return "ids out of order";
            if (!tolerance::decay_ok(r[i].at("retention").get<double>(), want[i], s[i]))
                return "retention of " + std::to_string(ids[i]) + " is " +
                       r[i].at("retention").dump() + ", want " + std::to_string(want[i]);
        }
        return "";
    }

  private:
    template <class Ok>
    std::string top_k(const std::vector<double>& want, uint32_t k, const json& a, const char* field,
                      Ok ok, double order_slack, bool skip_zero = false) const {
        const auto& r = a.at("results");
        std::vector<double> sorted;
        for (double v : want)
            if (!skip_zero || v != 0.0) sorted.push_back(v);
        std::sort(sorted.begin(), sorted.end(), std::greater<>());
        const size_t expect = std::min<size_t>(k, sorted.size());
        if (r.size() != expect)
            return "got " + std::to_string(r.size()) + " results, want " + std::to_string(expect);
        double prev = INFINITY;
        for (const auto& item : r) {
            const uint32_t id = item.at("id").get<uint32_t>();
            const double got = item.at(field).get<double>();
            if (id >= want.size()) return "id out of range";
            if (!ok(got, want[id], 0.0))
                return std::string(field) + " of " + std::to_string(id) + " is " +
                       std::to_string(got) + ", oracle " + std::to_string(want[id]);
            if (got > prev) return "results not in descending order";
            prev = got;
        }
        // Nothing better was left out: the last one returned is (within the
        // tolerance) at least the oracle's k-th best.
        if (expect > 0 &&
            want[r.back().at("id").get<uint32_t>()] < sorted[expect - 1] - order_slack)
            return "a better candidate than the last returned was left out";
        return "";
    }

    MemoryStore store_;
};

}  // namespace engram::testing

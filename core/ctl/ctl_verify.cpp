#include "ctl/ctl_verify.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "loader/plugin_loader.h"
#include "oracle/oracle.h"
#include "oracle/tolerances.h"
#include "platform/cpu_features.h"

namespace engram::ctl {

namespace {

// splitmix64: a tiny seeded generator, so a failing case can be replayed
// with --seed.
class Rng {
public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t n) { return next() % n; }
    float uniform(float lo, float hi) {
        return lo + (hi - lo) * static_cast<float>(static_cast<double>(next() >> 11) * 0x1.0p-53);
    }

private:
    uint64_t s_;
};

// Scratch of the size the plugin asks for, 64-byte aligned.
struct Scratch {
    void* p = nullptr;
    uint64_t bytes = 0;
    Scratch(const engram_kernel_table& t, engram_kernel_id k, const engram_shape& shape)
        : bytes(t.scratch_bytes(k, &shape)) {
        if (bytes) p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
    }
    ~Scratch() { std::free(p); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
};

struct Tally {
    unsigned run = 0, failed = 0, skipped = 0;
};

void report(const char* kernel, uint64_t case_no, const std::string& what, Tally& t) {
    if (t.failed++ < 5) std::printf("  FAIL %s case %llu: %s\n", kernel, static_cast<unsigned long long>(case_no), what.c_str());
}

Tally check_similarity(const engram_kernel_table& t, unsigned cases, Rng& rng) {
    Tally tally;
    for (unsigned c = 0; c < cases; ++c) {
        const uint64_t n = 1 + rng.below(200), dim = 1 + rng.below(300);
        std::vector<float> cand(n * dim), q(dim), norms(n), scores(n);
        for (auto& v : cand) v = rng.uniform(-1.0f, 1.0f);
        for (auto& v : q) v = rng.uniform(-1.0f, 1.0f);
        if (rng.below(10) == 0) std::fill(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(dim), 0.0f);
        for (uint64_t i = 0; i < n; ++i) {
            double s = 0;
            for (uint64_t d = 0; d < dim; ++d) s += double(cand[i * dim + d]) * cand[i * dim + d];
            norms[i] = static_cast<float>(std::sqrt(s));
        }
        const engram_shape shape{n, dim, 0};
        Scratch scratch(t, ENGRAM_KERNEL_SIMILARITY, shape);
        ++tally.run;
        const engram_status st =
            t.similarity(q.data(), cand.data(), norms.data(), n, dim, scores.data(), scratch.p, scratch.bytes);
        if (st != ENGRAM_OK) {
            report("similarity", c, "status " + std::to_string(st), tally);
            continue;
        }
        const auto want = oracle::similarity(q.data(), cand.data(), n, dim);
        for (uint64_t i = 0; i < n; ++i)
            if (!tolerance::similarity_ok(scores[i], want[i])) {
                report("similarity", c,
                       "n=" + std::to_string(n) + " dim=" + std::to_string(dim) + " i=" + std::to_string(i) +
                           " got " + std::to_string(scores[i]) + " want " + std::to_string(want[i]),
                       tally);
                break;
            }
    }
    return tally;
}

Tally check_spreading(const engram_kernel_table& t, unsigned cases, Rng& rng) {
    Tally tally;
    for (unsigned c = 0; c < cases; ++c) {
        const uint64_t n = 1 + rng.below(300);
        std::vector<uint32_t> offsets(n + 1, 0), sources;
        std::vector<float> weights;
        for (uint64_t i = 0; i < n; ++i) {
            const uint64_t deg = rng.below(8);
            for (uint64_t e = 0; e < deg; ++e) {
                sources.push_back(static_cast<uint32_t>(rng.below(n)));
                weights.push_back(rng.uniform(0.0f, 1.0f));
            }
            offsets[i + 1] = static_cast<uint32_t>(sources.size());
        }
        std::vector<float> act(n, 0.0f);
        for (uint64_t s = 0, seeds = 1 + rng.below(5); s < seeds; ++s) act[rng.below(n)] = 1.0f;
        const engram_spread_params p{static_cast<uint32_t>(rng.below(11)), rng.uniform(0.1f, 1.0f),
                                     rng.uniform(0.0f, 0.2f)};
        const auto want = oracle::spread(offsets.data(), sources.data(), weights.data(), n, p, act.data());
        if (want.status != ENGRAM_OK || want.threshold_margin < tolerance::kSpreadMinThresholdMargin) {
            ++tally.skipped;  // too close to the threshold's discontinuity to demand agreement
            continue;
        }
        const engram_shape shape{n, 0, sources.size()};
        Scratch scratch(t, ENGRAM_KERNEL_SPREADING, shape);
        ++tally.run;
        const engram_status st = t.spread(offsets.data(), sources.data(), weights.data(), n, &p, act.data(),
                                          scratch.p, scratch.bytes);
        if (st != ENGRAM_OK) {
            report("spreading", c, "status " + std::to_string(st), tally);
            continue;
        }
        double max_abs = 0;
        for (double v : want.activation) max_abs = std::max(max_abs, std::fabs(v));
        for (uint64_t i = 0; i < n; ++i)
            if (!tolerance::spread_ok(act[i], want.activation[i], max_abs)) {
                report("spreading", c,
                       "n=" + std::to_string(n) + " node " + std::to_string(i) + " got " + std::to_string(act[i]) +
                           " want " + std::to_string(want.activation[i]),
                       tally);
                break;
            }
    }
    return tally;
}

Tally check_decay(const engram_kernel_table& t, unsigned cases, Rng& rng) {
    Tally tally;
    for (unsigned c = 0; c < cases; ++c) {
        const uint64_t n = 1 + rng.below(500);
        std::vector<float> strength(n), age(n), stability(n), out(n);
        for (uint64_t i = 0; i < n; ++i) {
            strength[i] = rng.uniform(0.01f, 2.0f);
            age[i] = rng.uniform(-1000.0f, 1e6f);
            stability[i] = rng.uniform(10.0f, 1e6f);
        }
        const engram_shape shape{n, 0, 0};
        Scratch scratch(t, ENGRAM_KERNEL_DECAY, shape);
        ++tally.run;
        const engram_status st =
            t.decay(strength.data(), age.data(), stability.data(), 0.0f, n, out.data(), scratch.p, scratch.bytes);
        if (st != ENGRAM_OK) {
            report("decay", c, "status " + std::to_string(st), tally);
            continue;
        }
        const auto want = oracle::decay(strength.data(), age.data(), stability.data(), 0.0f, n);
        for (uint64_t i = 0; i < n; ++i)
            if (!tolerance::decay_ok(out[i], want[i], strength[i])) {
                report("decay", c,
                       "i=" + std::to_string(i) + " got " + std::to_string(out[i]) + " want " + std::to_string(want[i]),
                       tally);
                break;
            }
    }
    return tally;
}

// Best-of-5 wall time of one similarity call over 10,000 x 768 (the shipped
// store's shape), in milliseconds.
double time_similarity(const engram_kernel_table& t) {
    const uint64_t n = 10000, dim = 768;
    Rng rng(7);
    std::vector<float> cand(n * dim), q(dim), norms(n, 0.0f), scores(n);
    for (auto& v : cand) v = rng.uniform(-1.0f, 1.0f);
    for (auto& v : q) v = rng.uniform(-1.0f, 1.0f);
    const engram_shape shape{n, dim, 0};
    Scratch scratch(t, ENGRAM_KERNEL_SIMILARITY, shape);
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        t.similarity(q.data(), cand.data(), nullptr, n, dim, scores.data(), scratch.p, scratch.bytes);
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

}  // namespace

int verify(const VerifyOptions& o) {
    const uint64_t usable = usable_cpu_features();
    std::shared_ptr<const Plugin> plugin;
    try {
        plugin = load_plugin(o.plugin, {usable, true});
    } catch (const Error& e) {
        std::printf("%s: REFUSED\n%s\n", o.plugin.c_str(), e.describe().c_str());
        return 1;
    }
    const engram_kernel_table& t = plugin->table();
    std::printf("%s: loaded\n  backend %s %s, ABI %u.%u, needs %s (usable here: %s)\n  sha256 %s\n  self-test passed\n",
                o.plugin.c_str(), plugin->name(), plugin->version(), t.abi_major, t.abi_minor,
                cpu_feature_names(t.required_cpu_features).c_str(), cpu_feature_names(usable).c_str(),
                plugin->sha256().c_str());

    Rng rng(o.seed);
    bool ok = true;
    const auto line = [&](const char* kernel, const Tally& r) {
        std::printf("  differential %-10s %u cases, %u failed, %u skipped (near threshold)\n", kernel, r.run,
                    r.failed, r.skipped);
        ok = ok && r.failed == 0;
    };
    line("similarity", check_similarity(t, o.cases, rng));
    line("spreading", check_spreading(t, o.cases, rng));
    line("decay", check_decay(t, o.cases, rng));

    if (!o.reference.empty()) {
        try {
            const auto ref = load_plugin(o.reference, {usable, true});
            const double mine = time_similarity(t), theirs = time_similarity(ref->table());
            std::printf("  timing similarity 10000x768: %.3f ms vs reference %.3f ms (%.2fx)\n", mine, theirs,
                        theirs / mine);
        } catch (const Error& e) {
            std::printf("  timing skipped: reference plugin: %s\n", e.describe().c_str());
        }
    }
    std::printf("%s: %s\n", o.plugin.c_str(), ok ? "PASS" : "FAIL (E_VERIFY_FAILED)");
    return ok ? 0 : 1;
}

}  // namespace engram::ctl

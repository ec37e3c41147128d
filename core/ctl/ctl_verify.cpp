#include "ctl/ctl_verify.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "loader/plugin_loader.h"
#include "platform/cpu_features.h"
#include "validation/kernel_checks.h"

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

// Scratch of the size the plugin asks for, 64-byte aligned (for the timing).
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
    unsigned run = 0, failed = 0;
};

void tally(const char* kernel, uint64_t case_no, const validation::Verdict& v, Tally& t) {
    ++t.run;
    if (v && t.failed++ < 5)
        std::printf("  FAIL %s case %llu: %s: %s\n", kernel,
                    static_cast<unsigned long long>(case_no),
                    std::string(code_string(v->code)).c_str(), v->what.c_str());
}

// Seeded random cases on top of the child's deep self-test, judged by the
// same checks (validation/kernel_checks.h), so --seed replays one exactly.
Tally check_similarity(const engram_kernel_table& t, unsigned cases, Rng& rng) {
    Tally result;
    for (unsigned c = 0; c < cases; ++c) {
        const uint64_t n = 1 + rng.below(200), dim = 1 + rng.below(300);
        std::vector<float> cand(n * dim), q(dim), norms(n);
        for (auto& v : cand) v = rng.uniform(-1.0f, 1.0f);
        for (auto& v : q) v = rng.uniform(-1.0f, 1.0f);
        if (rng.below(10) == 0)
            std::fill(cand.begin(), cand.begin() + static_cast<std::ptrdiff_t>(dim), 0.0f);
        for (uint64_t i = 0; i < n; ++i) {
            double s = 0;
            for (uint64_t d = 0; d < dim; ++d) s += double(cand[i * dim + d]) * cand[i * dim + d];
            norms[i] = static_cast<float>(std::sqrt(s));
        }
        tally("similarity", c,
              validation::check(
                  t, validation::SimilarityCall{q.data(), cand.data(), norms.data(), n, dim}),
              result);
    }
    return result;
}

// ABI 1.1: random rows encoded as bf16 (upper 16 bits) or int8 (per-row
// scale max|c|/127, a zero row now and then), with the decoded rows' norms,
// judged against the oracle on the decoded rows. Only for a kernel the
// table offers; drawn after the 1.0 kernels so their --seed replays stay.
Tally check_compressed(const engram_kernel_table& t, bool bf16, unsigned cases, Rng& rng) {
    Tally result;
    for (unsigned c = 0; c < cases; ++c) {
        const uint64_t n = 1 + rng.below(200), dim = 1 + rng.below(300);
        std::vector<float> q(dim), scales(n), norms(n);
        std::vector<uint16_t> b(bf16 ? n * dim : 0);
        std::vector<int8_t> codes(bf16 ? 0 : n * dim);
        for (auto& v : q) v = rng.uniform(-1.0f, 1.0f);
        for (uint64_t i = 0; i < n; ++i) {
            const bool zero = rng.below(10) == 0;
            double s = 0;
            scales[i] = zero ? 0.0f : rng.uniform(1e-4f, 1.0f) / 127.0f;
            for (uint64_t d = 0; d < dim; ++d) {
                if (bf16) {
                    const float v = zero ? 0.0f : rng.uniform(-1.0f, 1.0f);
                    uint32_t bits;
                    std::memcpy(&bits, &v, sizeof bits);
                    b[i * dim + d] = static_cast<uint16_t>(bits >> 16);
                    bits &= 0xffff0000u;
                    float dec;
                    std::memcpy(&dec, &bits, sizeof dec);
                    s += double(dec) * dec;
                } else {
                    const auto code = static_cast<int8_t>(static_cast<int>(rng.below(255)) - 127);
                    codes[i * dim + d] = code;
                    s += double(code) * code;
                }
            }
            norms[i] = static_cast<float>(bf16 ? std::sqrt(s) : std::sqrt(s) * scales[i]);
        }
        const validation::CompressedSimilarityCall call{q.data(),
                                                        bf16 ? b.data() : nullptr,
                                                        bf16 ? nullptr : codes.data(),
                                                        bf16 ? nullptr : scales.data(),
                                                        norms.data(),
                                                        n,
                                                        dim};
        tally(bf16 ? "similarity_bf16" : "similarity_int8", c, validation::check(t, call), result);
    }
    return result;
}

Tally check_spreading(const engram_kernel_table& t, unsigned cases, Rng& rng) {
    Tally result;
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
        // Cases too close to the threshold's discontinuity pass (kernel_checks).
        // spread, and spread_push on the transposed graph when offered (ABI 1.2).
        tally("spreading", c,
              validation::check_spreading(
                  t, validation::SpreadCall{offsets.data(), sources.data(), weights.data(), n, p,
                                            act.data()}),
              result);
    }
    return result;
}

Tally check_decay(const engram_kernel_table& t, unsigned cases, Rng& rng) {
    Tally result;
    for (unsigned c = 0; c < cases; ++c) {
        const uint64_t n = 1 + rng.below(500);
        std::vector<float> strength(n), age(n), stability(n);
        for (uint64_t i = 0; i < n; ++i) {
            strength[i] = rng.uniform(0.01f, 2.0f);
            age[i] = rng.uniform(-1000.0f, 1e6f);
            stability[i] = rng.uniform(10.0f, 1e6f);
        }
        tally("decay", c,
              validation::check(
                  t, validation::DecayCall{strength.data(), age.data(), stability.data(), 0.0f, n}),
              result);
    }
    return result;
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
        t.similarity(q.data(), cand.data(), nullptr, n, dim, scores.data(), scratch.p,
                     scratch.bytes);
        best = std::min(
            best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                      .count());
    }
    return best;
}

}  // namespace

int verify(const VerifyOptions& o) {
    const uint64_t usable = usable_cpu_features();
    std::shared_ptr<const Plugin> plugin;
    try {
        plugin = load_plugin(o.plugin, default_load_options(usable));
    } catch (const Error& e) {
        std::printf("%s: REFUSED\n%s\n", o.plugin.c_str(), e.describe().c_str());
        return 1;
    }
    const engram_kernel_table& t = plugin->table();
    std::printf(
        "%s: loaded\n  backend %s %s, ABI %u.%u, needs %s (usable here: %s)\n  sha256 %s\n  "
        "validated in a child process (deep self-test) and self-test passed\n",
        o.plugin.c_str(), plugin->name(), plugin->version(), t.abi_major, t.abi_minor,
        cpu_feature_names(t.required_cpu_features).c_str(), cpu_feature_names(usable).c_str(),
        plugin->sha256().c_str());

    Rng rng(o.seed);
    bool ok = true;
    const auto line = [&](const char* kernel, const Tally& r) {
        std::printf("  differential %-10s %u cases, %u failed\n", kernel, r.run, r.failed);
        ok = ok && r.failed == 0;
    };
    line("similarity", check_similarity(t, o.cases, rng));
    line("spreading", check_spreading(t, o.cases, rng));
    line("decay", check_decay(t, o.cases, rng));
    if (t.similarity_bf16) line("similarity_bf16", check_compressed(t, true, o.cases, rng));
    if (t.similarity_int8) line("similarity_int8", check_compressed(t, false, o.cases, rng));

    if (!o.reference.empty()) {
        try {
            const auto ref = load_plugin(o.reference, default_load_options(usable));
            const double mine = time_similarity(t), theirs = time_similarity(ref->table());
            std::printf("  timing similarity 10000x768: %.3f ms vs reference %.3f ms (%.2fx)\n",
                        mine, theirs, theirs / mine);
        } catch (const Error& e) {
            std::printf("  timing skipped: reference plugin: %s\n", e.describe().c_str());
        }
    }
    std::printf("%s: %s\n", o.plugin.c_str(), ok ? "PASS" : "FAIL (E_VERIFY_FAILED)");
    return ok ? 0 : 1;
}

}  // namespace engram::ctl

#include "loader/self_test.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "oracle/oracle.h"
#include "oracle/tolerances.h"

namespace engram {

namespace {

// Small deterministic generator: the canaries must be the same on every run
// and every platform.
struct Lcg {
    uint64_t s;
    float next() {  // uniform in [-1, 1)
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<float>(static_cast<double>(s >> 40) / double(1ull << 24) * 2.0 - 1.0);
    }
};

struct Ctx {
    const engram_kernel_table& t;
    const std::filesystem::path& file;

    [[noreturn]] void fail(ErrorCode code, const std::string& what) const {
        throw Error(code, file.string() + ": self-test failed (plugin '" + t.name + "'): " + what);
    }
    void check_status(engram_status st, engram_status want, const std::string& what) const {
        if (st != want)
            fail(ErrorCode::SelfTestStatus, what + " returned status " + std::to_string(st) +
                                                ", expected " + std::to_string(want));
    }
    // Scratch as the host hands it out: 64-byte aligned, exactly the size asked.
    std::vector<std::byte> scratch_for(engram_kernel_id k, const engram_shape& shape,
                                       void** aligned, uint64_t* cap) const {
        const uint64_t bytes = t.scratch_bytes(k, &shape);
        if (bytes > (uint64_t(1) << 30))
            fail(ErrorCode::SelfTestStatus, "scratch_bytes asks for " + std::to_string(bytes) +
                                                " bytes for a tiny canary");
        std::vector<std::byte> buf(bytes + 64);
        void* p = buf.data();
        size_t space = buf.size();
        *aligned = std::align(64, bytes ? bytes : 1, p, space);
        *cap = bytes;
        return buf;
    }
};

void test_similarity(const Ctx& c) {
    const uint64_t dims[] = {1, 3, 8, 17, 64, 100, 768};
    Lcg rng{7};
    for (uint64_t dim : dims) {
        const uint64_t n = 9;
        // +1 so the query and candidates can be read from an odd address.
        std::vector<float> qbuf(dim + 1), cbuf(n * dim + 1), norms(n);
        float* q = qbuf.data() + 1;
        float* cand = cbuf.data() + 1;
        for (uint64_t k = 0; k < dim; ++k) q[k] = rng.next();
        for (uint64_t i = 0; i < n; ++i)
            for (uint64_t k = 0; k < dim; ++k) {
                float v = rng.next();
                if (i == 0) v = 0.0f;       // zero norm -> score 0
                if (i == 1) v = q[k];       // same direction -> 1
                if (i == 2) v = -2 * q[k];  // opposite -> -1
                if (i == 3) v = q[k] * 1e-20f;  // tiny but normal-ish magnitudes
                cand[i * dim + k] = v;
            }
        const auto want = oracle::similarity(q, cand, n, dim);
        for (uint64_t i = 0; i < n; ++i) {
            double cc = 0;
            for (uint64_t k = 0; k < dim; ++k) cc += double(cand[i * dim + k]) * cand[i * dim + k];
            norms[i] = static_cast<float>(std::sqrt(cc));
        }
        for (int with_norms = 0; with_norms < 2; ++with_norms) {
            std::vector<float> scores(n, -7.0f);
            void* scratch;
            uint64_t cap;
            auto hold = c.scratch_for(ENGRAM_KERNEL_SIMILARITY, {n, dim, 0}, &scratch, &cap);
            const std::string what = "similarity(dim=" + std::to_string(dim) +
                                     (with_norms ? ", norms given)" : ", norms computed)");
            c.check_status(c.t.similarity(q, cand, with_norms ? norms.data() : nullptr, n, dim,
                                          scores.data(), scratch, cap),
                           ENGRAM_OK, what);
            for (uint64_t i = 0; i < n; ++i)
                if (!tolerance::similarity_ok(scores[i], want[i]))
                    c.fail(ErrorCode::SelfTestNumerics,
                           what + " score[" + std::to_string(i) + "] = " + std::to_string(scores[i]) +
                               ", oracle " + std::to_string(want[i]));
        }
    }
    float one = 1.0f, score = 0.0f;
    c.check_status(c.t.similarity(&one, &one, nullptr, 1, 0, &score, nullptr, 0),
                   ENGRAM_E_INVALID_ARGUMENT, "similarity(dim=0)");
}

void test_spreading(const Ctx& c) {
    // 12 nodes: node 0 has a self loop, 3<-1 twice (duplicate edge), node 11
    // is isolated, node 5 has a high in-degree.
    const std::vector<uint32_t> src_of[12] = {{0, 1}, {0}, {1, 3}, {1, 1, 2}, {3},
                                              {0, 1, 2, 3, 4, 6, 7, 8, 9}, {5}, {6, 5},
                                              {7}, {8, 2}, {9, 10, 0}, {}};
    std::vector<uint32_t> offsets{0}, sources;
    std::vector<float> weights;
    Lcg rng{11};
    for (const auto& s : src_of) {
        for (uint32_t v : s) {
            sources.push_back(v);
            weights.push_back(0.55f + 0.45f * rng.next());
        }
        offsets.push_back(static_cast<uint32_t>(sources.size()));
    }
    const uint64_t n = 12;
    struct Case {
        uint32_t iterations;
        float decay, threshold;
    };
    const Case cases[] = {{0, 0.5f, 0.0f}, {1, 0.5f, 0.1f}, {10, 0.8f, 0.05f}, {10, 2.0f, 0.0f}};
    for (const auto& cs : cases) {
        std::vector<float> act(n, 0.0f);
        act[0] = 1.0f;
        act[4] = 0.5f;
        act[10] = 0.25f;
        const engram_spread_params p{cs.iterations, cs.decay, cs.threshold};
        const auto want = oracle::spread(offsets.data(), sources.data(), weights.data(), n, p, act.data());
        void* scratch;
        uint64_t cap;
        auto hold = c.scratch_for(ENGRAM_KERNEL_SPREADING, {n, 0, sources.size()}, &scratch, &cap);
        const std::string what = "spread(iterations=" + std::to_string(cs.iterations) +
                                 ", decay=" + std::to_string(cs.decay) + ")";
        c.check_status(c.t.spread(offsets.data(), sources.data(), weights.data(), n, &p, act.data(),
                                  scratch, cap),
                       ENGRAM_OK, what);
        double mx = 0;
        for (double v : want.activation) mx = std::max(mx, std::fabs(v));
        for (uint64_t i = 0; i < n; ++i)
            if (!tolerance::spread_ok(act[i], want.activation[i], mx))
                c.fail(ErrorCode::SelfTestNumerics,
                       what + " activation[" + std::to_string(i) + "] = " + std::to_string(act[i]) +
                           ", oracle " + std::to_string(want.activation[i]));
    }
    // A source index past the end must be refused, not skipped.
    std::vector<uint32_t> bad = sources;
    bad[3] = 12;
    std::vector<float> act(n, 0.5f);
    const engram_spread_params p{2, 0.5f, 0.0f};
    void* scratch;
    uint64_t cap;
    auto hold = c.scratch_for(ENGRAM_KERNEL_SPREADING, {n, 0, sources.size()}, &scratch, &cap);
    c.check_status(c.t.spread(offsets.data(), bad.data(), weights.data(), n, &p, act.data(), scratch, cap),
                   ENGRAM_E_OUT_OF_RANGE, "spread(source index out of range)");
}

void test_decay(const Ctx& c) {
    const uint64_t n = 37;  // odd, so every vector width leaves a tail
    std::vector<float> strength(n + 1), age(n + 1), stab(n + 1), out(n, -1.0f);
    Lcg rng{13};
    const float ages[] = {0.0f, -5.0f, 1.0f, 86400.0f, 1e6f, 1e9f, 3600.0f, 12.5f};
    const float stabs[] = {1.0f, 60.0f, 86400.0f, 1e6f, 1e9f, 7.0f};
    for (uint64_t i = 0; i < n; ++i) {
        strength[i + 1] = 0.5f + 0.5f * std::fabs(rng.next());
        age[i + 1] = ages[i % 8] * (1.0f + 0.1f * std::fabs(rng.next()));
        stab[i + 1] = stabs[i % 6];
    }
    // Unaligned inputs on purpose.
    const float* s = strength.data() + 1;
    const float* a = age.data() + 1;
    const float* st = stab.data() + 1;
    for (int scalar = 0; scalar < 2; ++scalar) {
        const auto want = oracle::decay(s, a, scalar ? nullptr : st, 86400.0f, n);
        void* scratch;
        uint64_t cap;
        auto hold = c.scratch_for(ENGRAM_KERNEL_DECAY, {n, 0, 0}, &scratch, &cap);
        const std::string what = scalar ? "decay(scalar stability)" : "decay(per-memory stability)";
        c.check_status(c.t.decay(s, a, scalar ? nullptr : st, 86400.0f, n, out.data(), scratch, cap),
                       ENGRAM_OK, what);
        for (uint64_t i = 0; i < n; ++i)
            if (!tolerance::decay_ok(out[i], want[i], s[i]))
                c.fail(ErrorCode::SelfTestNumerics,
                       what + " out[" + std::to_string(i) + "] = " + std::to_string(out[i]) +
                           ", oracle " + std::to_string(want[i]));
    }
}

}  // namespace

void run_self_test(const engram_kernel_table& table, const std::filesystem::path& file) {
    const Ctx c{table, file};
    test_similarity(c);
    test_spreading(c);
    test_decay(c);
}

}  // namespace engram

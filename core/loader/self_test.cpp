#include "loader/self_test.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "validation/kernel_checks.h"

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
    void verdict(const validation::Verdict& v) const {
        if (v)
            throw Error(v->code,
                        file.string() + ": self-test failed (plugin '" + t.name + "'): " + v->what);
    }
};

// ABI 1.1: the same canaries as bf16 (upper 16 bits) and int8 (per-row
// scale max|c|/127) rows, from odd addresses, with and without the decoded
// rows' norms; only for the kernels the table offers.
void test_compressed(const Ctx& c, const float* q, const float* cand, uint64_t n, uint64_t dim) {
    if (!c.t.similarity_bf16 && !c.t.similarity_int8) return;
    std::vector<uint16_t> bbuf(n * dim + 1);
    std::vector<int8_t> ibuf(n * dim + 1);
    std::vector<float> scales(n), nb(n), ni(n);
    uint16_t* b = bbuf.data() + 1;
    int8_t* codes = ibuf.data() + 1;
    for (uint64_t i = 0; i < n; ++i) {
        double bb = 0, ii = 0;
        float mx = 0;
        for (uint64_t k = 0; k < dim; ++k) {
            const float v = cand[i * dim + k];
            uint32_t bits;
            std::memcpy(&bits, &v, sizeof bits);
            b[i * dim + k] = static_cast<uint16_t>(bits >> 16);
            bits &= 0xffff0000u;
            float t;
            std::memcpy(&t, &bits, sizeof t);
            bb += double(t) * t;
            mx = std::max(mx, std::fabs(v));
        }
        scales[i] = static_cast<float>(mx / 127.0);
        for (uint64_t k = 0; k < dim; ++k) {
            const double r = scales[i] > 0 ? std::round(cand[i * dim + k] / double(scales[i])) : 0;
            codes[i * dim + k] = static_cast<int8_t>(std::clamp(r, -127.0, 127.0));
            ii += double(codes[i * dim + k]) * codes[i * dim + k];
        }
        nb[i] = static_cast<float>(std::sqrt(bb));
        ni[i] = static_cast<float>(std::sqrt(ii) * scales[i]);
    }
    for (int with_norms = 0; with_norms < 2; ++with_norms) {
        if (c.t.similarity_bf16)
            c.verdict(validation::check(
                c.t,
                validation::CompressedSimilarityCall{q, b, nullptr, nullptr,
                                                     with_norms ? nb.data() : nullptr, n, dim},
                {false, 1}));
        if (c.t.similarity_int8)
            c.verdict(validation::check(
                c.t,
                validation::CompressedSimilarityCall{q, nullptr, codes, scales.data(),
                                                     with_norms ? ni.data() : nullptr, n, dim},
                {false, 1}));
    }
}

void test_similarity(const Ctx& c) {
    const uint64_t dims[] = {1, 3, 8, 17, 64, 100, 768};
    Lcg rng{7};
    for (uint64_t dim : dims) {
        const uint64_t n = 9;
        // +1 so the query and candidates are read from an odd address.
        std::vector<float> qbuf(dim + 1), cbuf(n * dim + 1), norms(n);
        float* q = qbuf.data() + 1;
        float* cand = cbuf.data() + 1;
        for (uint64_t k = 0; k < dim; ++k) q[k] = rng.next();
        for (uint64_t i = 0; i < n; ++i) {
            double cc = 0;
            for (uint64_t k = 0; k < dim; ++k) {
                float v = rng.next();
                if (i == 0) v = 0.0f;           // zero norm -> score 0
                if (i == 1) v = q[k];           // same direction -> 1
                if (i == 2) v = -2 * q[k];      // opposite -> -1
                if (i == 3) v = q[k] * 1e-20f;  // tiny but normal-ish magnitudes
                cand[i * dim + k] = v;
                cc += double(v) * v;
            }
            norms[i] = static_cast<float>(std::sqrt(cc));
        }
        for (int with_norms = 0; with_norms < 2; ++with_norms)
            c.verdict(validation::check(
                c.t,
                validation::SimilarityCall{q, cand, with_norms ? norms.data() : nullptr, n, dim},
                {false, 1}));
        test_compressed(c, q, cand, n, dim);
    }
    float one = 1.0f;
    c.verdict(validation::run(c.t, validation::SimilarityCall{&one, &one, nullptr, 1, 0}, {},
                              nullptr, ENGRAM_E_INVALID_ARGUMENT));
}

void test_spreading(const Ctx& c) {
    // 12 nodes: node 0 has a self loop, 3<-1 twice (duplicate edge), node 11
    // is isolated, node 5 has a high in-degree.
    const std::vector<uint32_t> src_of[12] = {
        {0, 1}, {0},    {1, 3}, {1, 1, 2}, {3},        {0, 1, 2, 3, 4, 6, 7, 8, 9},
        {5},    {6, 5}, {7},    {8, 2},    {9, 10, 0}, {}};
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
    std::vector<float> act(n, 0.0f);
    act[0] = 1.0f;
    act[4] = 0.5f;
    act[10] = 0.25f;
    const engram_spread_params cases[] = {
        {0, 0.5f, 0.0f}, {1, 0.5f, 0.1f}, {10, 0.8f, 0.05f}, {10, 2.0f, 0.0f}};
    // spread, and spread_push (ABI 1.2) on the transposed graph when offered.
    for (const auto& p : cases)
        c.verdict(validation::check_spreading(
            c.t, validation::SpreadCall{offsets.data(), sources.data(), weights.data(), n, p,
                                        act.data()}));
    // A source index past the end must be refused, not skipped.
    std::vector<uint32_t> bad = sources;
    bad[3] = 12;
    const std::vector<float> half(n, 0.5f);
    c.verdict(validation::run(
        c.t,
        validation::SpreadCall{
            offsets.data(), bad.data(), weights.data(), n, {2, 0.5f, 0.0f}, half.data()},
        {}, nullptr, ENGRAM_E_OUT_OF_RANGE));
    if (!c.t.spread_push) return;
    // The same for a target past the end in the out-edges.
    const validation::SpreadCall good{offsets.data(),  sources.data(), weights.data(), n,
                                      {2, 0.5f, 0.0f}, half.data()};
    validation::OutEdges out = validation::OutEdges::of(good);
    out.targets[out.targets.size() / 2] = 12;
    const engram_out_edges view = out.view();
    c.verdict(validation::run(c.t, validation::SpreadPushCall{good, &view}, {}, nullptr,
                              ENGRAM_E_OUT_OF_RANGE));
}

void test_decay(const Ctx& c) {
    const uint64_t n = 37;  // odd, so every vector width leaves a tail
    std::vector<float> strength(n + 1), age(n + 1), stab(n + 1);
    Lcg rng{13};
    const float ages[] = {0.0f, -5.0f, 1.0f, 86400.0f, 1e6f, 1e9f, 3600.0f, 12.5f};
    const float stabs[] = {1.0f, 60.0f, 86400.0f, 1e6f, 1e9f, 7.0f};
    for (uint64_t i = 0; i < n; ++i) {
        strength[i + 1] = 0.5f + 0.5f * std::fabs(rng.next());
        age[i + 1] = ages[i % 8] * (1.0f + 0.1f * std::fabs(rng.next()));
        stab[i + 1] = stabs[i % 6];
    }
    // Unaligned inputs on purpose; the array form with stability_scalar = 0
    // is exactly what the host passes.
    const float* s = strength.data() + 1;
    const float* a = age.data() + 1;
    c.verdict(validation::check(c.t, validation::DecayCall{s, a, stab.data() + 1, 0.0f, n}));
    c.verdict(validation::check(c.t, validation::DecayCall{s, a, nullptr, 86400.0f, n}));
}

}  // namespace

void run_self_test(const engram_kernel_table& table, const std::filesystem::path& file) {
    const Ctx c{table, file};
    test_similarity(c);
    test_spreading(c);
    test_decay(c);
}

}  // namespace engram

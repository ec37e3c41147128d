#include "validation/kernel_checks.h"

#include <cmath>
#include <cstdio>

#include "common/csr_transpose.h"
#include "oracle/tolerances.h"
#include "validation/fault_reporter.h"
#include "validation/guarded_buffer.h"

namespace engram::validation {

namespace {

// The largest scratch a plugin may ask for in validation: more than any test
// shape needs by orders of magnitude.
constexpr uint64_t kMaxScratch = uint64_t{1} << 30;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

Failure fail(ErrorCode code, const std::string& call, const std::string& what) {
    return {code, call + ": " + what};
}

// Scratch exactly as the host hands it out: 64-byte aligned, `bytes` long,
// followed by canaries (and a guard page when asked).
class Scratch {
  public:
    Scratch(uint64_t bytes, bool page_guard)
        : bytes_(bytes), rounded_((bytes + 63) / 64 * 64), buf_(rounded_, 0, page_guard) {
        auto* p = static_cast<unsigned char*>(buf_.data());
        for (uint64_t i = bytes_; i < rounded_; ++i) p[i] = static_cast<unsigned char>(0x5A ^ i);
    }
    void* data() { return buf_.data(); }
    uint64_t capacity() const { return bytes_; }
    bool intact() const {
        const auto* p = static_cast<const unsigned char*>(buf_.data());
        for (uint64_t i = bytes_; i < rounded_; ++i)
            if (p[i] != static_cast<unsigned char>(0x5A ^ i)) return false;
        return buf_.intact();
    }

  private:
    uint64_t bytes_, rounded_;
    GuardedBuffer buf_;
};

// The shared body of every run(): scratch sizing, the guarded call, the
// status and the guards.
template <class Call>
Verdict guarded_call(const engram_kernel_table& t, engram_kernel_id kernel,
                     const engram_shape& shape, const std::string& what, const BufferOptions& o,
                     Guarded<float>& out, engram_status expect, Call&& call) {
    const uint64_t bytes = t.scratch_bytes(kernel, &shape);
    if (bytes > kMaxScratch)
        return fail(ErrorCode::SelfTestStatus, what,
                    "scratch_bytes asks for " + std::to_string(bytes) + " bytes");
    Scratch scratch(bytes, o.page_guard);
    set_current_call(what.c_str());
    const engram_status st = call(out.data(), scratch.data(), scratch.capacity());
    if (!out.intact() || !scratch.intact())
        return fail(
            ErrorCode::SelfTestOutOfBounds, what,
            !out.intact() ? "wrote outside its output buffer" : "wrote outside its scratch buffer");
    if (st != expect)
        return fail(
            ErrorCode::SelfTestStatus, what,
            "returned status " + std::to_string(st) + ", expected " + std::to_string(expect));
    return std::nullopt;
}

void copy_out(const Guarded<float>& g, std::vector<float>* out) {
    if (out) out->assign(g.data(), g.data() + g.size());
}

}  // namespace

std::string describe(const SimilarityCall& c) {
    return "similarity(n=" + std::to_string(c.n) + ", dim=" + std::to_string(c.dim) +
           (c.norms ? ", norms given" : ", norms null") + ")";
}
std::string describe(const CompressedSimilarityCall& c) {
    return std::string(c.bf16 ? "similarity_bf16" : "similarity_int8") +
           "(n=" + std::to_string(c.n) + ", dim=" + std::to_string(c.dim) +
           (c.norms ? ", norms given" : ", norms null") + ")";
}
std::string describe(const SpreadCall& c) {
    const uint64_t edges = c.n ? c.offsets[c.n] : 0;
    return "spread(n=" + std::to_string(c.n) + ", edges=" + std::to_string(edges) +
           ", iterations=" + std::to_string(c.params.iterations) +
           ", decay=" + num(c.params.decay) + ", threshold=" + num(c.params.threshold) + ")";
}
std::string describe(const SpreadPushCall& c) {
    std::string d = describe(c.in);
    return "spread_push" + d.substr(std::string("spread").size());
}
std::string describe(const DecayCall& c) {
    return "decay(n=" + std::to_string(c.n) +
           (c.stability ? ", stability array, stability_scalar=" + num(c.stability_scalar)
                        : ", stability_scalar=" + num(c.stability_scalar)) +
           ")";
}

Verdict run(const engram_kernel_table& t, const SimilarityCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect) {
    Guarded<float> scores(c.n, o.out_offset, o.page_guard);
    auto v = guarded_call(t, ENGRAM_KERNEL_SIMILARITY, {c.n, c.dim, 0}, describe(c), o, scores,
                          expect, [&](float* s, void* scratch, uint64_t cap) {
                              return t.similarity(c.query, c.candidates, c.norms, c.n, c.dim, s,
                                                  scratch, cap);
                          });
    if (!v && expect == ENGRAM_OK) copy_out(scores, out);
    return v;
}

Verdict run(const engram_kernel_table& t, const CompressedSimilarityCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect) {
    Guarded<float> scores(c.n, o.out_offset, o.page_guard);
    const engram_kernel_id id =
        c.bf16 ? ENGRAM_KERNEL_SIMILARITY_BF16 : ENGRAM_KERNEL_SIMILARITY_INT8;
    if (c.bf16 ? !t.similarity_bf16 : !t.similarity_int8)
        return fail(ErrorCode::SelfTestStatus, describe(c), "the table does not offer this kernel");
    auto v = guarded_call(t, id, {c.n, c.dim, 0}, describe(c), o, scores, expect,
                          [&](float* s, void* scratch, uint64_t cap) {
                              return c.bf16 ? t.similarity_bf16(c.query, c.bf16, c.norms, c.n,
                                                                c.dim, s, scratch, cap)
                                            : t.similarity_int8(c.query, c.int8, c.scales, c.norms,
                                                                c.n, c.dim, s, scratch, cap);
                          });
    if (!v && expect == ENGRAM_OK) copy_out(scores, out);
    return v;
}

Verdict run(const engram_kernel_table& t, const SpreadCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect) {
    Guarded<float> act(c.n, o.out_offset, o.page_guard, c.initial);
    const uint64_t edges = c.n ? c.offsets[c.n] : 0;
    auto v = guarded_call(t, ENGRAM_KERNEL_SPREADING, {c.n, 0, edges}, describe(c), o, act, expect,
                          [&](float* a, void* scratch, uint64_t cap) {
                              return t.spread(c.offsets, c.sources, c.weights, c.n, &c.params, a,
                                              scratch, cap);
                          });
    if (!v && expect == ENGRAM_OK) copy_out(act, out);
    return v;
}

OutEdges OutEdges::of(const SpreadCall& c) {
    OutEdges e;
    const uint64_t m = c.n ? c.offsets[c.n] : 0;
    e.offsets.assign(c.n + 1, 0);
    e.targets.assign(m, 0);
    e.weights.assign(m, 0.0f);
    if (c.n)
        transpose_csr(c.offsets, c.sources, c.weights, c.n, e.offsets.data(), e.targets.data(),
                      e.weights.data());
    return e;
}

Verdict run(const engram_kernel_table& t, const SpreadPushCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect) {
    const SpreadCall& in = c.in;
    if (!t.spread_push)
        return fail(ErrorCode::SelfTestStatus, describe(c), "the table does not offer spread_push");
    Guarded<float> act(in.n, o.out_offset, o.page_guard, in.initial);
    const uint64_t edges = in.n ? in.offsets[in.n] : 0;
    auto v = guarded_call(t, ENGRAM_KERNEL_SPREAD_PUSH, {in.n, 0, edges}, describe(c), o, act,
                          expect, [&](float* a, void* scratch, uint64_t cap) {
                              return t.spread_push(in.offsets, in.sources, in.weights, c.out, in.n,
                                                   &in.params, a, scratch, cap);
                          });
    if (!v && expect == ENGRAM_OK) copy_out(act, out);
    return v;
}

Verdict run(const engram_kernel_table& t, const DecayCall& c, const BufferOptions& o,
            std::vector<float>* out, engram_status expect) {
    Guarded<float> res(c.n, o.out_offset, o.page_guard);
    auto v = guarded_call(t, ENGRAM_KERNEL_DECAY, {c.n, 0, 0}, describe(c), o, res, expect,
                          [&](float* r, void* scratch, uint64_t cap) {
                              return t.decay(c.strength, c.age, c.stability, c.stability_scalar,
                                             c.n, r, scratch, cap);
                          });
    if (!v && expect == ENGRAM_OK) copy_out(res, out);
    return v;
}

namespace {

// The first element that is not finite, or that the tolerance rejects.
template <class Ok>
Verdict compare(const std::string& what, const char* label, const std::vector<float>& got,
                const std::vector<double>& want, Ok&& ok) {
    uint64_t bad = 0, first = 0;
    for (uint64_t i = 0; i < got.size(); ++i) {
        if (!std::isfinite(got[i]))
            return fail(ErrorCode::SelfTestNonFinite, what,
                        std::string(label) + "[" + std::to_string(i) + "] = " + num(got[i]) +
                            ", oracle " + num(want[i]));
        if (!ok(i) && bad++ == 0) first = i;
    }
    if (bad == 0) return std::nullopt;
    return fail(ErrorCode::SelfTestNumerics, what,
                std::to_string(bad) + " of " + std::to_string(got.size()) +
                    " outside tolerance; first " + label + "[" + std::to_string(first) +
                    "] = " + num(got[first]) + ", oracle " + num(want[first]));
}

}  // namespace

Verdict compare_similarity(const SimilarityCall& c, const std::vector<float>& got,
                           const std::vector<double>& want) {
    return compare(describe(c), "score", got, want,
                   [&](uint64_t i) { return tolerance::similarity_ok(got[i], want[i]); });
}

Verdict compare_similarity(const CompressedSimilarityCall& c, const std::vector<float>& got,
                           const std::vector<double>& want) {
    return compare(describe(c), "score", got, want,
                   [&](uint64_t i) { return tolerance::similarity_ok(got[i], want[i]); });
}

bool spread_comparable(const engram_spread_params& p, const oracle::SpreadResult& want) {
    // With threshold <= 0 and non-negative activations every source fires in
    // float and in double alike; otherwise the margin decides.
    return want.status == ENGRAM_OK &&
           (p.threshold <= 0.0f || want.threshold_margin >= tolerance::kSpreadMinThresholdMargin);
}

Verdict compare_spread(const SpreadCall& c, const std::vector<float>& got,
                       const oracle::SpreadResult& want) {
    double max_abs = 0;
    for (double v : want.activation) max_abs = std::max(max_abs, std::fabs(v));
    return compare(describe(c), "activation", got, want.activation, [&](uint64_t i) {
        return tolerance::spread_ok(got[i], want.activation[i], max_abs);
    });
}

Verdict compare_decay(const DecayCall& c, const std::vector<float>& got,
                      const std::vector<double>& want) {
    return compare(describe(c), "out", got, want,
                   [&](uint64_t i) { return tolerance::decay_ok(got[i], want[i], c.strength[i]); });
}

Verdict check(const engram_kernel_table& t, const SimilarityCall& c, const BufferOptions& o) {
    std::vector<float> got;
    if (auto v = run(t, c, o, &got)) return v;
    return compare_similarity(c, got, oracle::similarity(c.query, c.candidates, c.n, c.dim));
}

Verdict check(const engram_kernel_table& t, const CompressedSimilarityCall& c,
              const BufferOptions& o) {
    std::vector<float> got;
    if (auto v = run(t, c, o, &got)) return v;
    return compare_similarity(c, got,
                              c.bf16
                                  ? oracle::similarity_bf16(c.query, c.bf16, c.n, c.dim)
                                  : oracle::similarity_int8(c.query, c.int8, c.scales, c.n, c.dim));
}

Verdict check(const engram_kernel_table& t, const SpreadCall& c, const BufferOptions& o) {
    const auto want = oracle::spread(c.offsets, c.sources, c.weights, c.n, c.params, c.initial);
    std::vector<float> got;
    if (auto v = run(t, c, o, &got, want.status)) return v;
    if (!spread_comparable(c.params, want)) return std::nullopt;
    return compare_spread(c, got, want);
}

Verdict check(const engram_kernel_table& t, const SpreadPushCall& c, const BufferOptions& o) {
    const SpreadCall& in = c.in;
    const auto want =
        oracle::spread(in.offsets, in.sources, in.weights, in.n, in.params, in.initial);
    std::vector<float> got;
    if (auto v = run(t, c, o, &got, want.status)) return v;
    if (!spread_comparable(in.params, want)) return std::nullopt;
    auto v = compare_spread(in, got, want);
    if (v) v->what = "spread_push" + v->what.substr(std::string("spread").size());
    return v;
}

Verdict check_spreading(const engram_kernel_table& t, const SpreadCall& c, const BufferOptions& o) {
    if (auto v = check(t, c, o)) return v;
    if (!t.spread_push) return std::nullopt;
    const OutEdges out = OutEdges::of(c);
    const engram_out_edges view = out.view();
    return check(t, SpreadPushCall{c, &view}, o);
}

Verdict check(const engram_kernel_table& t, const DecayCall& c, const BufferOptions& o) {
    std::vector<float> got;
    if (auto v = run(t, c, o, &got)) return v;
    return compare_decay(c, got,
                         oracle::decay(c.strength, c.age, c.stability, c.stability_scalar, c.n));
}

}  // namespace engram::validation

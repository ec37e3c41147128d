// Spreading with the graph both ways (ABI 1.2 spread_push), shared by every
// backend: the argument checks, the scratch layout, the choice between
// pulling and pushing made afresh each iteration, and a portable push. A
// backend passes its own pull iteration and may pass vector versions of the
// O(n) sweeps (checks, collect, update, normalise); the reference and neon
// backends use the scalar ones below.
//
// Why push: spreading from a few seeds, few sources fire (WordNet nouns from
// eight seeds: 0.03-2 % of the nodes, 0.1-5 % of the edges per iteration), yet
// a pull over in-edges must read every edge's source activation to learn
// that. A push iteration reads each activation once to list the sources
// that fire (collect), walks only their out-edges into a per-node double
// accumulator, and sweeps the nodes once more (update), in place: every read
// of the iteration's activations happens before the sweep writes them.
// (Listing the next iteration's firing sources inside update and normalise,
// to save the collect sweep, was measured slower on WordNet: 363 against
// 326 us a call for avx2, 1636 against 1371 us for the reference.)
// When many sources fire (R-MAT hubs), scattered accumulator updates cost
// more than the pull's sequential sums, so the kernel pulls instead:
// push while the firing sources' out-edges are at most a quarter of all
// edges (kPushShare).
//
// Arithmetic: products w * a and sums in double, then
// float(cur + decay * sum), as the reference backend computes a pull; the
// order of the additions differs from a pull's (edges arrive by source), so
// results agree with the oracle within the spreading tolerance, not bit for
// bit with spread. Nodes nothing reached get float(cur + decay * 0.0), what
// a pull gives them. NaN never fires (the compare is false), like the oracle.
#pragma once

#include <engram/kernel_abi.h>

#include <cstdint>
#include <cstring>

#include "spreading_checks.h"

namespace engram::plugin {

// Pushing pays while the firing sources' out-edges are at most 1 / kPushShare
// of all edges.
constexpr uint64_t kPushShare = 4;

// Scratch layout (size: spread_push_scratch_bytes, scratch.h).
struct PushScratch {
    float* next;
    double* acc;
    uint32_t* firing;
    uint8_t* touched;  // byte b: some node of [8b, 8b + 8) was pushed to
};

inline PushScratch push_scratch(void* scratch, uint64_t n) {
    auto* base = static_cast<unsigned char*>(scratch);
    PushScratch s{};
    s.next = reinterpret_cast<float*>(base);
    uintptr_t a = reinterpret_cast<uintptr_t>(base + n * sizeof(float));
    a = (a + 7) & ~uintptr_t{7};
    s.acc = reinterpret_cast<double*>(a);
    s.firing = reinterpret_cast<uint32_t*>(s.acc + (n + 7) / 8 * 8);  // whole groups
    s.touched = reinterpret_cast<uint8_t*>(s.firing + n);
    return s;
}

// The sources that fire (activation >= threshold; never NaN), in node
// order, and how many out-edges they have in all.
struct Firing {
    uint32_t* list;
    const uint32_t* out_offsets;
    float threshold;
    uint64_t count = 0, edges = 0;
    void reset() { count = edges = 0; }
    void add(uint64_t u) {
        list[count++] = static_cast<uint32_t>(u);
        edges += out_offsets[u + 1] - out_offsets[u];
    }
};

inline void collect_scalar(const float* cur, uint64_t from, uint64_t to, Firing& f) {
    for (uint64_t i = from; i < to; ++i)
        if (cur[i] >= f.threshold) f.add(i);
}

// acc[t] += w * a along the firing sources' out-edges. The accumulator is
// zeroed lazily, a group of eight at its first edge in the iteration, which
// marks the group touched: untouched groups' accumulators hold garbage and
// are never read (update), so no call or iteration clears all n of them.
inline void push_edges(const float* cur, const Firing& f, const engram_out_edges& out, double* acc,
                       uint8_t* touched) {
    for (uint64_t k = 0; k < f.count; ++k) {
        const uint32_t u = f.list[k];
        const double a = cur[u];
        for (uint64_t j = out.offsets[u], e = out.offsets[u + 1]; j < e; ++j) {
            const uint32_t t = out.targets[j];
            if (!touched[t >> 3]) {
                touched[t >> 3] = 1;
                double* g = acc + (t & ~uint32_t{7});  // acc holds whole groups of 8
                for (int q = 0; q < 8; ++q) g[q] = 0.0;
            }
            acc[t] += static_cast<double>(out.weights[j]) * a;
        }
    }
}

// cur[i] = float(cur[i] + decay * acc[i]) for nodes [from, to) (from a
// multiple of 8), in place, where nodes of untouched groups have acc[i] = 0:
// cur + decay * 0, which is cur + z in float with z the signed zero (or NaN,
// for a non-finite decay) that decay * 0 gives (adding a zero is exact in
// either precision). Clears touched behind it. Returns max(0, max) of the
// new values (a NaN never counts).
inline float update_scalar(float* cur, const double* acc, uint8_t* touched, uint64_t from,
                           uint64_t to, double decay) {
    const float z = static_cast<float>(decay * 0.0);
    float mx = 0.0f;
    for (uint64_t b = from; b < to; b += 8) {
        const uint64_t e = to - b < 8 ? to : b + 8;
        if (touched[b >> 3]) {
            touched[b >> 3] = 0;
            for (uint64_t i = b; i < e; ++i) {
                const float v = static_cast<float>(cur[i] + decay * acc[i]);
                cur[i] = v;
                mx = v > mx ? v : mx;
            }
        } else {
            for (uint64_t i = b; i < e; ++i) {
                const float v = cur[i] + z;
                cur[i] = v;
                mx = v > mx ? v : mx;
            }
        }
    }
    return mx;
}

// The backend's pieces. Each defaults to the scalar one; a backend derives
// and replaces what it vectorises.
struct ScalarPushSweeps {
    static engram_status check_offsets(const uint32_t* offsets, uint64_t n) {
        return engram::plugin::check_offsets(offsets, n);
    }
    static uint32_t max_index(const uint32_t* v, uint64_t m) { return max_source_scalar(v, 0, m); }
    static void collect(const float* cur, uint64_t n, Firing& f) {
        f.reset();
        collect_scalar(cur, 0, n, f);
    }
    static float update(float* cur, const double* acc, uint8_t* touched, uint64_t n, double decay) {
        return update_scalar(cur, acc, touched, 0, n, decay);
    }
    static void normalise(float* v, uint64_t n, float mx) {
        for (uint64_t i = 0; i < n; ++i) v[i] /= mx;
    }
};

// The checks spread_push adds to spread's, in the ABI's order (after those of
// spread, before scratch), with the backend's offset check and index maximum.
template <class Sweeps>
engram_status check_out_edges(const engram_out_edges* out, uint64_t n_nodes, uint64_t m) {
    if (!out || !out->offsets) return ENGRAM_E_INVALID_ARGUMENT;
    if (Sweeps::check_offsets(out->offsets, n_nodes) != ENGRAM_OK) return ENGRAM_E_OUT_OF_RANGE;
    if (out->offsets[n_nodes] != m) return ENGRAM_E_OUT_OF_RANGE;
    if (m && (!out->targets || !out->weights)) return ENGRAM_E_INVALID_ARGUMENT;
    if (m && Sweeps::max_index(out->targets, m) >= n_nodes) return ENGRAM_E_OUT_OF_RANGE;
    return ENGRAM_OK;
}

// spread_push for a backend: checks (spread's first, through
// check_in_edges, which returns spread's status for the in-CSR part; the
// backend's lambdas hold the in-edges' sources and weights), then the
// iterations. pull(cur, next) is one synchronous pull iteration returning
// max(0, max(next)); it may keep state across iterations (the SIMD kernels'
// quiet mode).
template <class Sweeps, class CheckIn, class Pull>
engram_status spread_push_driver(const uint32_t* offsets, const engram_out_edges* out,
                                 uint64_t n_nodes, const engram_spread_params* params,
                                 float* activation, void* scratch, uint64_t scratch_capacity,
                                 CheckIn&& check_in_edges, Pull&& pull) {
    if (!params || !offsets) return ENGRAM_E_INVALID_ARGUMENT;
    if (n_nodes == 0) return ENGRAM_OK;
    if (!activation) return ENGRAM_E_INVALID_ARGUMENT;
    if (const engram_status st = check_in_edges(); st != ENGRAM_OK) return st;
    const uint64_t m = offsets[n_nodes];
    if (const engram_status st = check_out_edges<Sweeps>(out, n_nodes, m); st != ENGRAM_OK)
        return st;
    if (!scratch || scratch_capacity < spread_push_scratch_bytes(n_nodes))
        return ENGRAM_E_SCRATCH_TOO_SMALL;

    const PushScratch s = push_scratch(scratch, n_nodes);
    const uint32_t iterations = params->iterations;
    if (iterations > 0) std::memset(s.touched, 0, (n_nodes + 7) / 8);
    float* cur = activation;
    float* next = s.next;
    const double decay = params->decay;
    Firing f{s.firing, out->offsets, params->threshold};
    for (uint32_t it = 0; it < iterations; ++it) {
        Sweeps::collect(cur, n_nodes, f);
        float mx;
        if (f.edges * kPushShare <= m) {
            push_edges(cur, f, *out, s.acc, s.touched);
            mx = Sweeps::update(cur, s.acc, s.touched, n_nodes, decay);
            if (mx > 1.0f) Sweeps::normalise(cur, n_nodes, mx);
        } else {
            mx = pull(cur, next);
            if (mx > 1.0f) Sweeps::normalise(next, n_nodes, mx);
            float* t = cur;
            cur = next;
            next = t;
        }
    }
    if (cur != activation) std::memcpy(activation, cur, n_nodes * sizeof(float));
    return ENGRAM_OK;
}

}  // namespace engram::plugin

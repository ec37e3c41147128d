// SuiteSparse:GraphBLAS peers over the same CSR, seeds and parameters as
// spreading/<backend>/<n>x8. The matrix A (A(i, src) = w, the in-edge CSR as
// rows; duplicates summed) is built once, outside the timing, by row (CSR).
//
// Every spreading workload (bench_fixtures.h: <n>x8, rmat100000x10 and
// wordnet_nouns, when its file exists, and their degree-reordered copies)
// has both peers.
// peer_graphblas_spread/<n>x8 — the whole kernel contract per iteration:
//     f   = select(act >= threshold)                GrB_select, GrB_VALUEGE_FP32
//     act = act + (decay A) f                        GrB_mxv, accum GrB_PLUS_FP32
//     mx  = max(act); if mx > 1: act = act / mx      GrB_reduce, GrB_apply
//   (decay is folded into A at build time: decay * sum(w a) = sum((decay w) a)).
// peer_graphblas_mxv/<n>x8 — the floor: ten bare x = A x (GrB_mxv), no mask,
//   no accumulation, no normalisation.
// Both start each timed call by copying the seeds into the dense activation
// vector (GrB_assign), as the kernels' benchmark copies them with memcpy, and
// end it with GrB_Vector_wait so no deferred work escapes the timing.
// GraphBLAS runs single-threaded: GxB_NTHREADS = 1 (global option).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

// GraphBLAS.h (7.4) declares its API without extern "C" when read as C++.
extern "C" {
#include <GraphBLAS.h>
}

#include "bench_fixtures.h"
#include "bench_suites.h"

namespace engram::bench {
namespace {

bool ok(GrB_Info info, const char* what) {
    if (info == GrB_SUCCESS) return true;
    std::fprintf(stderr, "engram_bench: GraphBLAS %s failed (GrB_Info %d)\n", what,
                 static_cast<int>(info));
    return false;
}

// A, the seeds as a dense vector, and the working vectors, for one shape.
struct Graph {
    GrB_Matrix a = nullptr;        // weights
    GrB_Matrix a_decay = nullptr;  // decay * weights
    GrB_Vector seeds = nullptr;
    GrB_Vector act = nullptr;
    GrB_Vector fire = nullptr;
    GrB_Vector y = nullptr;
    uint64_t n = 0;
    const SpreadData* data = nullptr;
    bool good = false;
};

bool build_matrix(GrB_Matrix* m, const SpreadData& g, float scale) {
    std::vector<GrB_Index> rows(g.m), cols(g.m);
    std::vector<float> vals(g.m);
    for (uint64_t i = 0; i < g.n; ++i) {
        for (uint32_t j = g.offsets[i]; j < g.offsets[i + 1]; ++j) {
            rows[j] = i;
            cols[j] = g.sources[j];
            vals[j] = scale * g.weights[j];
        }
    }
    return ok(GrB_Matrix_new(m, GrB_FP32, g.n, g.n), "Matrix_new") &&
           ok(GrB_Matrix_build_FP32(*m, rows.data(), cols.data(), vals.data(), g.m, GrB_PLUS_FP32),
              "Matrix_build") &&
           ok(GrB_Matrix_wait(*m, GrB_MATERIALIZE), "Matrix_wait");
}

Graph make_graph(const SpreadData& g) {
    const uint64_t n = g.n;
    Graph G;
    G.n = n;
    G.data = &g;
    std::vector<GrB_Index> idx(n);
    for (uint64_t i = 0; i < n; ++i) idx[i] = i;
    G.good = build_matrix(&G.a, g, 1.0f) && build_matrix(&G.a_decay, g, g.params.decay) &&
             ok(GrB_Vector_new(&G.seeds, GrB_FP32, n), "Vector_new") &&
             ok(GrB_Vector_build_FP32(G.seeds, idx.data(), g.seeds.data(), n, GrB_PLUS_FP32),
                "Vector_build") &&
             ok(GrB_Vector_new(&G.act, GrB_FP32, n), "Vector_new") &&
             ok(GrB_Vector_new(&G.fire, GrB_FP32, n), "Vector_new") &&
             ok(GrB_Vector_new(&G.y, GrB_FP32, n), "Vector_new");
    return G;
}

Graph& graph(const SpreadData& g) {
    static std::vector<std::unique_ptr<Graph>> graphs;  // lives until exit
    for (auto& p : graphs)
        if (p->data == &g) return *p;
    graphs.push_back(std::make_unique<Graph>(make_graph(g)));
    return *graphs.back();
}

// One whole spreading call in GraphBLAS; returns false on any GraphBLAS error.
bool spread_once(Graph& G, const engram_spread_params& p) {
    GrB_Info e = GrB_Vector_assign(G.act, nullptr, nullptr, G.seeds, GrB_ALL, G.n, nullptr);
    for (uint32_t it = 0; e == GrB_SUCCESS && it < p.iterations; ++it) {
        e = GrB_Vector_select_FP32(G.fire, nullptr, nullptr, GrB_VALUEGE_FP32, G.act, p.threshold,
                                   GrB_DESC_R);
        if (e == GrB_SUCCESS)
            e = GrB_mxv(G.act, nullptr, GrB_PLUS_FP32, GrB_PLUS_TIMES_SEMIRING_FP32, G.a_decay,
                        G.fire, nullptr);
        float mx = 0.0f;
        if (e == GrB_SUCCESS)
            e = GrB_Vector_reduce_FP32(&mx, nullptr, GrB_MAX_MONOID_FP32, G.act, nullptr);
        if (e == GrB_SUCCESS && mx > 1.0f)
            e = GrB_Vector_apply_BinaryOp2nd_FP32(G.act, nullptr, nullptr, GrB_DIV_FP32, G.act, mx,
                                                  nullptr);
    }
    if (e == GrB_SUCCESS) e = GrB_Vector_wait(G.act, GrB_MATERIALIZE);
    return e == GrB_SUCCESS;
}

bool mxv_once(Graph& G, uint32_t iterations) {
    GrB_Info e = GrB_Vector_assign(G.act, nullptr, nullptr, G.seeds, GrB_ALL, G.n, nullptr);
    GrB_Vector x = G.act, y = G.y;
    for (uint32_t it = 0; e == GrB_SUCCESS && it < iterations; ++it) {
        e = GrB_mxv(y, nullptr, nullptr, GrB_PLUS_TIMES_SEMIRING_FP32, G.a, x, nullptr);
        std::swap(x, y);
    }
    if (e == GrB_SUCCESS) e = GrB_Vector_wait(x, GrB_MATERIALIZE);
    return e == GrB_SUCCESS;
}

void check_spread(Graph& G) {
    std::vector<GrB_Index> idx(G.n);
    std::vector<float> val(G.n), dense(G.n, 0.0f);
    GrB_Index nv = G.n;
    if (!ok(GrB_Vector_extractTuples_FP32(idx.data(), val.data(), &nv, G.act), "extractTuples"))
        return;
    for (GrB_Index k = 0; k < nv; ++k) dense[idx[k]] = val[k];
    // Summation order differs from every backend: a loose bound, it only has
    // to show the same work was done.
    check_close("peer_graphblas_spread/" + G.data->name, dense.data(),
                oracle_spread(*G.data).data(), G.n, 1e-6, 1e-3);
}

void bm_graphblas(benchmark::State& state, const SpreadWorkload* w, bool full) {
    const SpreadData& g = w->data();
    if (g.n == 0) {
        state.SkipWithError("workload data could not be read");
        return;
    }
    Graph& G = graph(g);
    if (!G.good || !(full ? spread_once(G, g.params) : mxv_once(G, g.params.iterations))) {
        state.SkipWithError("GraphBLAS setup or first call failed");
        return;
    }
    static std::set<const SpreadData*> checked;
    if (full && checked.insert(&g).second) check_spread(G);
    bool good = true;
    for (auto _ : state) {
        good &= full ? spread_once(G, g.params) : mxv_once(G, g.params.iterations);
        consume(&G);
    }
    if (!good) state.SkipWithError("a GraphBLAS call failed");
    state.SetItemsProcessed(state.iterations() * spread_items(g));
    state.SetBytesProcessed(state.iterations() * spread_bytes(g));
}

}  // namespace

std::string register_peer_graphblas() {
    if (!ok(GrB_init(GrB_NONBLOCKING), "GrB_init") ||
        !ok(GxB_Global_Option_set(GxB_GLOBAL_NTHREADS, 1), "GxB_NTHREADS=1")) {
        return "graphblas: init failed, peers not registered";
    }
    static const std::vector<SpreadWorkload> workloads = spread_workloads();
    for (const SpreadWorkload& w : workloads) {
        benchmark::RegisterBenchmark(("peer_graphblas_spread/" + w.name).c_str(), bm_graphblas, &w,
                                     true);
        benchmark::RegisterBenchmark(("peer_graphblas_mxv/" + w.name).c_str(), bm_graphblas, &w,
                                     false);
    }
    int threads = 0;
    GxB_Global_Option_get(GxB_GLOBAL_NTHREADS, &threads);
    return "SuiteSparse:GraphBLAS " + std::to_string(GxB_IMPLEMENTATION_MAJOR) + "." +
           std::to_string(GxB_IMPLEMENTATION_MINOR) + "." + std::to_string(GxB_IMPLEMENTATION_SUB) +
           ", nonblocking, GxB_NTHREADS=" + std::to_string(threads);
}

}  // namespace engram::bench

// Shared by every benchmark of engram_bench: plugin discovery through the real
// loader, the seeded workloads (one copy per shape, shared by every contender
// of that workload), the byte/item accounting, and a one-time check that a
// peer computes the same numbers as the double oracle.
#pragma once

#include <benchmark/benchmark.h>
#include <engram/kernel_abi.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "loader/plugin.h"

namespace engram::bench {

// ---------------------------------------------------------------- buffers --

struct FreeDeleter {
    void operator()(void* p) const noexcept { std::free(p); }
};

// n elements of T, 64-byte aligned (as the store and the host's scratch are),
// zero-initialised. Not resizable: workloads are built once.
template <class T>
class AlignedArray {
  public:
    AlignedArray() = default;
    explicit AlignedArray(std::size_t n) : n_(n) {
        const std::size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
        p_.reset(static_cast<T*>(std::aligned_alloc(64, bytes ? bytes : 64)));
        if (!p_) throw std::bad_alloc();
        for (std::size_t i = 0; i < n; ++i) p_.get()[i] = T{};
    }
    T* data() noexcept { return p_.get(); }
    const T* data() const noexcept { return p_.get(); }
    std::size_t size() const noexcept { return n_; }
    T& operator[](std::size_t i) noexcept { return p_.get()[i]; }
    const T& operator[](std::size_t i) const noexcept { return p_.get()[i]; }

  private:
    std::unique_ptr<T, FreeDeleter> p_;
    std::size_t n_ = 0;
};

// --------------------------------------------------------------- backends --

struct Backend {
    std::string name;  // the table's name: "reference", "avx2", ...
    std::shared_ptr<const Plugin> plugin;
    const engram_kernel_table* table = nullptr;
};

// ENGRAM_BENCH_PLUGIN_DIR if set, else the build's plugin output directory.
std::filesystem::path plugin_dir();

// Every libengram_*.so in plugin_dir() that load_plugin() accepts with
// detect_cpu_features() and the self-test on; "reference" first, then
// avx2, avx512, avx512_vnni, neon, neon_dotprod, then any other backend by
// name. A plugin refused with
// E_CPU_FEATURE is skipped quietly (one line on stderr), any other refusal
// loudly; both are listed in the JSON context (engram_skipped_backends).
// Loaded once, on first call.
const std::vector<Backend>& backends();

// "reference=1.0.0, avx2=1.0.0" and "avx512: E_CPU_FEATURE ..." for the
// benchmark context.
std::string loaded_backends_summary();
std::string skipped_backends_summary();

// -------------------------------------------------------------- workloads --

inline constexpr uint64_t kDim = 768;
inline constexpr uint64_t kSimilarityCounts[] = {1, 1000, 10000, 100000};
inline constexpr uint64_t kSpreadNodes[] = {1000, 100000};
inline constexpr uint64_t kSpreadAvgInDegree = 8;
inline constexpr uint64_t kDecayCounts[] = {10000, 1000000};

// One query against n row-major candidates of kDim floats, with the
// candidates' norms (computed in double, stored as float, as the store does).
struct SimilarityData {
    uint64_t n = 0;
    uint64_t dim = 0;
    AlignedArray<float> query;
    AlignedArray<float> candidates;  // n * dim
    AlignedArray<float> norms;       // n
    float query_norm = 0.0f;
};
const SimilarityData& similarity_data(uint64_t n);

// CSR of in-edges, n nodes, n * kSpreadAvgInDegree edges: each edge's target
// drawn from a power law over a shuffled node order (a few hubs, a long tail
// of low in-degrees, under 1% of nodes with none), its source uniform, its
// weight uniform in [0.05, 1). Eight seeds at 1.0, the rest 0.
struct SpreadData {
    uint64_t n = 0;
    uint64_t m = 0;
    AlignedArray<uint32_t> offsets;  // n + 1
    AlignedArray<uint32_t> sources;  // m
    AlignedArray<float> weights;     // m
    AlignedArray<float> seeds;       // n
    engram_spread_params params{};   // 10 iterations, decay 0.5, threshold 0.01
    uint32_t max_in_degree = 0;
    std::string name;  // workload name: "<n>x8", "rmat100000x10", "wordnet_nouns", ...
};
const SpreadData& spread_data(uint64_t n);

// The real-shaped graph: R-MAT (Chakrabarti et al. 2004) with a = 0.57,
// b = 0.19, c = 0.19, d = 0.05 over 2^17 ids, pairs with an id >= kRmatNodes
// drawn again, then every id renamed by a seeded random permutation (as
// Graph500 scrambles its Kronecker graphs, so a hub's id says nothing about
// its degree). kRmatEdges edges source -> target, self loops and duplicates
// kept, grouped by target in draw order; weights, seeds and parameters as
// spread_data. Workload "rmat100000x10".
inline constexpr uint64_t kRmatNodes = 100000;
inline constexpr uint64_t kRmatEdges = 1000000;
// reordered: the same graph renumbered as the store's reorder = "degree"
// does (core/store/graph_order.cpp: rows by descending in-degree, each
// node's in-edges in their order), seeds moved with their nodes. Workload
// "rmat100000x10_degree".
const SpreadData& rmat_data(bool reordered);
// A real graph: the WordNet 3.0 noun graph, written by
// bench/make_wordnet_fixture.py --graph-only (from Debian wordnet-base; not
// committed): 82,115 noun synsets, 231,535 pointers between them (source =
// the synset holding the pointer, any pointer type), weights fixed per
// pointer type in [0.05, 1), max in-degree 671. The file is the store's
// "source,target,weight" edges CSV (read here by the store's own reader, in
// file order) with a "# nodes: N" comment line. Seeds (eight at 1.0, seeded
// like the R-MAT graph's) and parameters as spread_data. Workloads
// "wordnet_nouns" and, reordered as rmat_data(true), "wordnet_nouns_degree";
// registered only when the file exists.
// $ENGRAM_BENCH_WORDNET_GRAPH if set, else <build dir>/scratch/wordnet_nouns_edges.csv.
std::filesystem::path wordnet_graph_path();
// The graph, or an empty SpreadData (n == 0) if the file cannot be read
// (the reason printed once on stderr); benchmarks skip it with an error.
const SpreadData& wordnet_data(bool reordered);

// Every spreading workload the suites run, in registration order, named
// without building it (the data is made on first use, outside the timing).
// The WordNet workloads are left out, with one line on stderr saying how to
// make the file, when wordnet_graph_path() does not exist.
struct SpreadWorkload {
    enum class Graph { power_law, rmat, wordnet };
    std::string name;  // "1000x8", "100000x8_degree", "rmat100000x10", "wordnet_nouns_degree", ...
    uint64_t n = 0;    // power_law: spread_data(n)
    bool reordered = false;  // renumbered by descending in-degree (as [store] reorder = "degree")
    Graph graph = Graph::power_law;
    const SpreadData& data() const;
};
std::vector<SpreadWorkload> spread_workloads();

// n memories: strength in [0.1, 1), age log-uniform in [1 s, 3e6 s] with 1%
// negative (clock skew), per-memory stability log-uniform in [1e4 s, 1e6 s].
struct DecayData {
    uint64_t n = 0;
    AlignedArray<float> strength;
    AlignedArray<float> age;
    AlignedArray<float> stability;
};
const DecayData& decay_data(uint64_t n);

// ---------------------------------------------------------- optimisation --
// Called after every timed call: the output escapes and memory is clobbered,
// so neither the call nor its stores can be dropped or hoisted out of the
// loop. Only the input-only (const) DoNotOptimize overload is used: 1.7.1's
// DoNotOptimize(T&) on a pointer ("+m,r") was miscompiled by GCC 12 at -O3
// here (the pointer's stack slot was read but never written, so the kernel
// got a garbage output pointer).
inline void consume(const void* const out) {
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
}

// ------------------------------------------------------------- accounting --
// Bytes a contender must move per call (inputs read once + outputs written);
// the same formula for every contender of one workload, so bytes/s compare.

inline int64_t similarity_bytes(uint64_t n, uint64_t dim) {
    // candidates + query + norms in, scores out (peers: dots out, no norms;
    // the difference is 1/dim of the total and is ignored).
    return static_cast<int64_t>(4 * (n * dim + dim + 2 * n));
}
inline int64_t spread_bytes(const SpreadData& g) {
    // Per iteration: offsets, sources, weights, one gathered activation per
    // edge, the activation vector read and the next one written.
    const uint64_t per_it = 4 * (g.n + 1) + 12 * g.m + 8 * g.n;
    return static_cast<int64_t>(per_it * g.params.iterations);
}
inline int64_t spread_items(const SpreadData& g) {
    return static_cast<int64_t>(g.m * g.params.iterations);  // edges traversed
}
inline int64_t decay_bytes(uint64_t n) { return static_cast<int64_t>(16 * n); }

// ------------------------------------------------------------- validation --

// Compares got[i] against want[i] (|got - want| <= abs_tol + rel_tol*|want|)
// and prints one line to stderr naming `who` if any element fails. Returns
// true when all agree. Used once per workload to show a peer did the same
// work as our kernels, outside any timed region.
bool check_close(const std::string& who, const float* got, const double* want, uint64_t n,
                 double abs_tol, double rel_tol);

// Expected results from the double oracle, computed once per shape.
const std::vector<double>& oracle_dots(uint64_t n);  // q . c_i
const std::vector<double>& oracle_spread(const SpreadData& g);
const std::vector<double>& oracle_decay(uint64_t n);

}  // namespace engram::bench

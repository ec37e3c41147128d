#include "bench_fixtures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <string_view>
#include <system_error>

#include "common/error.h"
#include "loader/plugin_loader.h"
#include "oracle/oracle.h"
#include "platform/cpu_features.h"
#include "store/dataset_io.h"
#include "store/memory_store.h"

#ifndef ENGRAM_BENCH_PLUGIN_DIR_DEFAULT
#error "ENGRAM_BENCH_PLUGIN_DIR_DEFAULT must name the build's plugin directory"
#endif
#ifndef ENGRAM_BENCH_WORDNET_GRAPH_DEFAULT
#error "ENGRAM_BENCH_WORDNET_GRAPH_DEFAULT must name <build dir>/scratch/wordnet_nouns_edges.csv"
#endif

namespace engram::bench {

namespace {

// ------------------------------------------------------------------ random --
// SplitMix64: tiny, fast, and the same stream on every platform and libstdc++
// (std::*_distribution is not), so a workload is bit-identical across runs.
class Rng {
  public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
    // [0, 1) with 24 random bits (exact in float).
    float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
    double uniform_d() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    uint64_t below(uint64_t n) { return next() % n; }

  private:
    uint64_t s_;
};

// One seed per workload kind and shape: every contender of a workload gets
// the same bytes, and adding a workload never changes another's data.
uint64_t seed_for(uint64_t kind, uint64_t n) { return 0x5eed0000ull + kind * 0x1000003ull + n; }

// ---------------------------------------------------------------- backends --

struct Discovery {
    std::vector<Backend> loaded;
    std::vector<std::string> skipped;
};

int backend_rank(const std::string& name) {
    static const char* const kOrder[] = {"reference",   "avx2", "avx512",
                                         "avx512_vnni", "neon", "neon_dotprod"};
    constexpr int kKnown = static_cast<int>(std::size(kOrder));
    for (int i = 0; i < kKnown; ++i)
        if (name == kOrder[i]) return i;
    return kKnown;
}

Discovery discover() {
    Discovery d;
    const std::filesystem::path dir = plugin_dir();
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string fname = entry.path().filename().string();
        if (entry.is_regular_file(ec) && fname.starts_with("libengram_") && fname.ends_with(".so"))
            files.push_back(entry.path());
    }
    if (ec) {
        std::fprintf(stderr, "engram_bench: cannot list plugin directory %s: %s\n", dir.c_str(),
                     ec.message().c_str());
    }
    std::sort(files.begin(), files.end());
    const uint64_t features = detect_cpu_features();
    for (const auto& file : files) {
        try {
            auto plugin = load_plugin(file, default_load_options(features));
            Backend b;
            b.name = plugin->name();
            b.table = &plugin->table();
            b.plugin = std::move(plugin);
            d.loaded.push_back(std::move(b));
        } catch (const Error& e) {
            const bool cpu = e.code() == ErrorCode::CpuFeatureMissing;
            std::fprintf(stderr, "engram_bench: %s %s: %s\n", cpu ? "skipping" : "REFUSED",
                         file.filename().c_str(), e.describe().c_str());
            d.skipped.push_back(file.filename().string() + ": " +
                                std::string(code_string(e.code())));
        }
    }
    std::stable_sort(d.loaded.begin(), d.loaded.end(), [](const Backend& a, const Backend& b) {
        const int ra = backend_rank(a.name), rb = backend_rank(b.name);
        return ra != rb ? ra < rb : a.name < b.name;
    });
    if (d.loaded.empty()) {
        std::fprintf(stderr, "engram_bench: no usable plugin in %s (set ENGRAM_BENCH_PLUGIN_DIR)\n",
                     dir.c_str());
    }
    return d;
}

const Discovery& discovery() {
    static const Discovery d = discover();
    return d;
}

// Lazily built, cached workloads: generated on first use by a benchmark
// (outside its timed loop), so a filtered run builds only what it needs.
template <class T, class Make>
const T& cached(std::map<uint64_t, std::unique_ptr<T>>& cache, uint64_t n, Make make) {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(n);
    if (it == cache.end()) it = cache.emplace(n, std::make_unique<T>(make(n))).first;
    return *it->second;
}

SimilarityData make_similarity(uint64_t n) {
    SimilarityData s;
    s.n = n;
    s.dim = kDim;
    Rng rng(seed_for(1, n));
    s.query = AlignedArray<float>(kDim);
    s.candidates = AlignedArray<float>(n * kDim);
    s.norms = AlignedArray<float>(n);
    // Uniform in [-1, 1): embeddings are dense, roughly isotropic vectors.
    for (uint64_t k = 0; k < kDim; ++k) s.query[k] = 2.0f * rng.uniform() - 1.0f;
    double qq = 0.0;
    for (uint64_t k = 0; k < kDim; ++k) qq += static_cast<double>(s.query[k]) * s.query[k];
    s.query_norm = static_cast<float>(std::sqrt(qq));
    for (uint64_t i = 0; i < n; ++i) {
        float* c = s.candidates.data() + i * kDim;
        double cc = 0.0;
        for (uint64_t k = 0; k < kDim; ++k) {
            c[k] = 2.0f * rng.uniform() - 1.0f;
            cc += static_cast<double>(c[k]) * c[k];
        }
        s.norms[i] = static_cast<float>(std::sqrt(cc));
    }
    return s;
}

SpreadData make_spread(uint64_t n) {
    SpreadData g;
    g.n = n;
    g.m = n * kSpreadAvgInDegree;
    g.params.iterations = 10;
    g.params.decay = 0.5f;
    g.params.threshold = 0.01f;
    Rng rng(seed_for(2, n));

    // A random permutation so the hubs are scattered over the id space.
    std::vector<uint32_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0u);
    for (uint64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);

    // Target rank r = floor(n * u^2): P(rank < k) = sqrt(k / n), so the
    // in-degree of rank k falls off as k^-1/2: the busiest node gets about
    // 8*sqrt(n) in-edges (218 at n = 1,000, 2,500 at 100,000), the median
    // node 6, under 1% of nodes none. Sources are uniform.
    std::vector<uint32_t> target(g.m), source(g.m);
    std::vector<uint32_t> degree(n, 0);
    for (uint64_t j = 0; j < g.m; ++j) {
        const double u = rng.uniform_d();
        uint64_t r = static_cast<uint64_t>(static_cast<double>(n) * u * u);
        if (r >= n) r = n - 1;
        target[j] = perm[r];
        source[j] = static_cast<uint32_t>(rng.below(n));
        ++degree[target[j]];
    }
    g.offsets = AlignedArray<uint32_t>(n + 1);
    g.sources = AlignedArray<uint32_t>(g.m);
    g.weights = AlignedArray<float>(g.m);
    for (uint64_t i = 0; i < n; ++i) {
        g.offsets[i + 1] = g.offsets[i] + degree[i];
        g.max_in_degree = std::max(g.max_in_degree, degree[i]);
    }
    std::vector<uint32_t> fill(g.offsets.data(), g.offsets.data() + n);
    for (uint64_t j = 0; j < g.m; ++j) {
        const uint32_t at = fill[target[j]]++;
        g.sources[at] = source[j];
        g.weights[at] = 0.05f + 0.95f * rng.uniform();
    }
    g.seeds = AlignedArray<float>(n);
    for (int s = 0; s < 8; ++s) g.seeds[rng.below(n)] = 1.0f;
    g.name = std::to_string(n) + "x" + std::to_string(kSpreadAvgInDegree);
    return g;
}

SpreadData make_rmat() {
    const uint64_t n = kRmatNodes, m = kRmatEdges;
    SpreadData g;
    g.n = n;
    g.m = m;
    g.params.iterations = 10;
    g.params.decay = 0.5f;
    g.params.threshold = 0.01f;
    g.name = "rmat" + std::to_string(n) + "x" + std::to_string(m / n);
    Rng rng(seed_for(4, n));
    int scale = 0;
    while ((uint64_t{1} << scale) < n) ++scale;
    constexpr double a = 0.57, b = 0.19, c = 0.19;  // d = 0.05
    std::vector<uint32_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0u);
    for (uint64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
    std::vector<uint32_t> target(m), source(m), degree(n, 0);
    for (uint64_t j = 0; j < m; ++j) {
        uint64_t u = 0, v = 0;
        do {
            u = v = 0;
            for (int bit = scale - 1; bit >= 0; --bit) {
                const double r = rng.uniform_d();
                if (r < a) continue;
                if (r < a + b) {
                    v |= uint64_t{1} << bit;
                } else if (r < a + b + c) {
                    u |= uint64_t{1} << bit;
                } else {
                    u |= uint64_t{1} << bit;
                    v |= uint64_t{1} << bit;
                }
            }
        } while (u >= n || v >= n);
        source[j] = perm[u];
        target[j] = perm[v];
        ++degree[target[j]];
    }
    g.offsets = AlignedArray<uint32_t>(n + 1);
    g.sources = AlignedArray<uint32_t>(m);
    g.weights = AlignedArray<float>(m);
    for (uint64_t i = 0; i < n; ++i) {
        g.offsets[i + 1] = g.offsets[i] + degree[i];
        g.max_in_degree = std::max(g.max_in_degree, degree[i]);
    }
    std::vector<uint32_t> fill(g.offsets.data(), g.offsets.data() + n);
    for (uint64_t j = 0; j < m; ++j) {
        const uint32_t at = fill[target[j]]++;
        g.sources[at] = source[j];
        g.weights[at] = 0.05f + 0.95f * rng.uniform();
    }
    g.seeds = AlignedArray<float>(n);
    for (int s = 0; s < 8; ++s) g.seeds[rng.below(n)] = 1.0f;
    return g;
}

// The node count from the "# nodes: N" comment before the first record;
// without one, the largest id + 1 (read_edges_csv then checks every id).
uint64_t wordnet_node_count(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line) && (line.empty() || line[0] == '#')) {
        constexpr std::string_view kKey = "# nodes:";
        if (line.starts_with(kKey)) return std::stoull(line.substr(kKey.size()));
    }
    return 0;
}

SpreadData make_wordnet() {
    const std::filesystem::path file = wordnet_graph_path();
    SpreadData g;
    try {
        uint64_t n = wordnet_node_count(file);
        std::vector<Edge> edges =
            read_edges_csv(file, n ? n : uint64_t{std::numeric_limits<uint32_t>::max()});
        if (n == 0)
            for (const Edge& e : edges)
                n = std::max<uint64_t>(n, uint64_t{std::max(e.source, e.target)} + 1);
        StoreArray<uint32_t> offsets, sources;
        StoreArray<float> weights;
        build_in_edge_csr(edges, n, offsets, sources, weights);
        g.n = n;
        g.m = edges.size();
        g.offsets = AlignedArray<uint32_t>(n + 1);
        g.sources = AlignedArray<uint32_t>(g.m);
        g.weights = AlignedArray<float>(g.m);
        std::copy(offsets.begin(), offsets.end(), g.offsets.data());
        std::copy(sources.begin(), sources.end(), g.sources.data());
        std::copy(weights.begin(), weights.end(), g.weights.data());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "engram_bench: cannot read the WordNet graph %s: %s\n", file.c_str(),
                     e.what());
        return SpreadData{};
    }
    g.params.iterations = 10;
    g.params.decay = 0.5f;
    g.params.threshold = 0.01f;
    g.name = "wordnet_nouns";
    for (uint64_t i = 0; i < g.n; ++i)
        g.max_in_degree = std::max(g.max_in_degree, g.offsets[i + 1] - g.offsets[i]);
    Rng rng(seed_for(5, g.n));
    g.seeds = AlignedArray<float>(g.n);
    for (int s = 0; s < 8; ++s) g.seeds[rng.below(g.n)] = 1.0f;
    return g;
}

SpreadData make_degree(const SpreadData& g) {
    if (g.n == 0) return SpreadData{};  // the source graph could not be made
    SpreadData r;
    r.n = g.n;
    r.m = g.m;
    r.params = g.params;
    r.max_in_degree = g.max_in_degree;
    r.name = g.name + "_degree";
    const std::vector<uint32_t> id_of_row = degree_order(g.offsets.data(), g.n);
    std::vector<uint32_t> row_of_id(g.n);
    for (uint64_t row = 0; row < g.n; ++row) row_of_id[id_of_row[row]] = static_cast<uint32_t>(row);
    r.offsets = AlignedArray<uint32_t>(g.n + 1);
    r.sources = AlignedArray<uint32_t>(g.m);
    r.weights = AlignedArray<float>(g.m);
    permute_csr(g.offsets.data(), g.sources.data(), g.weights.data(), g.n, id_of_row.data(),
                row_of_id.data(), r.offsets.data(), r.sources.data(), r.weights.data());
    r.seeds = AlignedArray<float>(g.n);
    for (uint64_t row = 0; row < g.n; ++row) r.seeds[row] = g.seeds[id_of_row[row]];
    return r;
}

DecayData make_decay(uint64_t n) {
    DecayData d;
    d.n = n;
    Rng rng(seed_for(3, n));
    d.strength = AlignedArray<float>(n);
    d.age = AlignedArray<float>(n);
    d.stability = AlignedArray<float>(n);
    for (uint64_t i = 0; i < n; ++i) {
        d.strength[i] = 0.1f + 0.9f * rng.uniform();
        const double u = rng.uniform_d();
        d.age[i] = u < 0.01 ? static_cast<float>(-100.0 * rng.uniform_d())
                            : static_cast<float>(std::pow(10.0, 6.5 * rng.uniform_d()) * 0.95);
        d.stability[i] = static_cast<float>(std::pow(10.0, 4.0 + 2.0 * rng.uniform_d()));
    }
    return d;
}

}  // namespace

std::filesystem::path plugin_dir() {
    if (const char* env = std::getenv("ENGRAM_BENCH_PLUGIN_DIR"); env && *env) return env;
    return ENGRAM_BENCH_PLUGIN_DIR_DEFAULT;
}

const std::vector<Backend>& backends() { return discovery().loaded; }

std::string loaded_backends_summary() {
    std::string s;
    for (const auto& b : discovery().loaded) {
        if (!s.empty()) s += ", ";
        s += b.name + "=" + b.table->version;
    }
    return s.empty() ? "none" : s;
}

std::string skipped_backends_summary() {
    std::string s;
    for (const auto& k : discovery().skipped) {
        if (!s.empty()) s += "; ";
        s += k;
    }
    return s.empty() ? "none" : s;
}

const SimilarityData& similarity_data(uint64_t n) {
    static std::map<uint64_t, std::unique_ptr<SimilarityData>> cache;
    return cached(cache, n, make_similarity);
}

const SpreadData& spread_data(uint64_t n) {
    static std::map<uint64_t, std::unique_ptr<SpreadData>> cache;
    return cached(cache, n, make_spread);
}

const SpreadData& rmat_data(bool reordered) {
    // Two caches with two makers (so two locks: the reordered graph is
    // made from the plain one while its own lock is held).
    if (!reordered) {
        static std::map<uint64_t, std::unique_ptr<SpreadData>> plain;
        return cached(plain, 0, [](uint64_t) { return make_rmat(); });
    }
    static std::map<uint64_t, std::unique_ptr<SpreadData>> degree;
    return cached(degree, 0, [](uint64_t) { return make_degree(rmat_data(false)); });
}

std::filesystem::path wordnet_graph_path() {
    if (const char* env = std::getenv("ENGRAM_BENCH_WORDNET_GRAPH"); env && *env) return env;
    return ENGRAM_BENCH_WORDNET_GRAPH_DEFAULT;
}

const SpreadData& wordnet_data(bool reordered) {
    if (!reordered) {
        static std::map<uint64_t, std::unique_ptr<SpreadData>> plain;
        return cached(plain, 0, [](uint64_t) { return make_wordnet(); });
    }
    static std::map<uint64_t, std::unique_ptr<SpreadData>> degree;
    return cached(degree, 0, [](uint64_t) { return make_degree(wordnet_data(false)); });
}

const SpreadData& spread_data_degree(uint64_t n) {
    static std::map<uint64_t, std::unique_ptr<SpreadData>> degree;
    return cached(degree, n, [](uint64_t k) { return make_degree(spread_data(k)); });
}

std::vector<SpreadWorkload> spread_workloads() {
    std::vector<SpreadWorkload> out;
    for (uint64_t n : kSpreadNodes)
        out.push_back({std::to_string(n) + "x" + std::to_string(kSpreadAvgInDegree), n, false});
    // The largest uniform-source graph reordered too: what "degree" does
    // where sources carry no locality to gain.
    const uint64_t big = kSpreadNodes[std::size(kSpreadNodes) - 1];
    out.push_back(
        {std::to_string(big) + "x" + std::to_string(kSpreadAvgInDegree) + "_degree", big, true});
    const std::string rmat =
        "rmat" + std::to_string(kRmatNodes) + "x" + std::to_string(kRmatEdges / kRmatNodes);
    out.push_back({rmat, 0, false, SpreadWorkload::Graph::rmat});
    out.push_back({rmat + "_degree", 0, true, SpreadWorkload::Graph::rmat});
    const std::filesystem::path wordnet = wordnet_graph_path();
    std::error_code ec;
    if (std::filesystem::is_regular_file(wordnet, ec)) {
        out.push_back({"wordnet_nouns", 0, false, SpreadWorkload::Graph::wordnet});
        out.push_back({"wordnet_nouns_degree", 0, true, SpreadWorkload::Graph::wordnet});
    } else {
        static std::once_flag said;  // both the kernels' and the peers' suites ask
        std::call_once(said, [&] {
            std::fprintf(stderr,
                         "engram_bench: no %s, wordnet_nouns workloads left out (/usr/bin/python3 "
                         "bench/make_wordnet_fixture.py --graph-only --out DIR writes "
                         "DIR/wordnet_nouns_edges.csv; ENGRAM_BENCH_WORDNET_GRAPH=FILE reads it)\n",
                         wordnet.c_str());
        });
    }
    return out;
}

const SpreadData& SpreadWorkload::data() const {
    switch (graph) {
        case Graph::rmat:
            return rmat_data(reordered);
        case Graph::wordnet:
            return wordnet_data(reordered);
        case Graph::power_law:
            break;
    }
    return reordered ? spread_data_degree(n) : spread_data(n);
}

const DecayData& decay_data(uint64_t n) {
    static std::map<uint64_t, std::unique_ptr<DecayData>> cache;
    return cached(cache, n, make_decay);
}

bool check_close(const std::string& who, const float* got, const double* want, uint64_t n,
                 double abs_tol, double rel_tol) {
    uint64_t bad = 0, first = 0;
    double worst = 0.0;
    for (uint64_t i = 0; i < n; ++i) {
        const double err = std::fabs(static_cast<double>(got[i]) - want[i]);
        if (!(err <= abs_tol + rel_tol * std::fabs(want[i]))) {
            if (bad++ == 0) first = i;
            worst = std::max(worst, err);
        }
    }
    if (bad) {
        std::fprintf(stderr,
                     "engram_bench: WARNING %s disagrees with the oracle at %llu of %llu "
                     "elements (first [%llu] got %.9g want %.9g, worst abs err %.3g)\n",
                     who.c_str(), static_cast<unsigned long long>(bad),
                     static_cast<unsigned long long>(n), static_cast<unsigned long long>(first),
                     static_cast<double>(got[first]), want[first], worst);
    }
    return bad == 0;
}

const std::vector<double>& oracle_dots(uint64_t n) {
    static std::map<uint64_t, std::unique_ptr<std::vector<double>>> cache;
    return cached(cache, n, [](uint64_t k) {
        const SimilarityData& s = similarity_data(k);
        std::vector<double> dots(k);
        for (uint64_t i = 0; i < k; ++i) {
            const float* c = s.candidates.data() + i * s.dim;
            double dot = 0.0;
            for (uint64_t d = 0; d < s.dim; ++d) dot += static_cast<double>(s.query[d]) * c[d];
            dots[i] = dot;
        }
        return dots;
    });
}

const std::vector<double>& oracle_spread(const SpreadData& graph) {
    static std::map<uint64_t, std::unique_ptr<std::vector<double>>> cache;
    return cached(cache, reinterpret_cast<uintptr_t>(&graph), [](uint64_t key) {
        const SpreadData& g = *reinterpret_cast<const SpreadData*>(static_cast<uintptr_t>(key));
        return oracle::spread(g.offsets.data(), g.sources.data(), g.weights.data(), g.n, g.params,
                              g.seeds.data())
            .activation;
    });
}

const std::vector<double>& oracle_decay(uint64_t n) {
    static std::map<uint64_t, std::unique_ptr<std::vector<double>>> cache;
    return cached(cache, n, [](uint64_t k) {
        const DecayData& d = decay_data(k);
        return oracle::decay(d.strength.data(), d.age.data(), d.stability.data(), 0.0f, k);
    });
}

}  // namespace engram::bench

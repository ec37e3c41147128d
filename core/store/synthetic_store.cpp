// The synthetic store: a reproducible stand-in for a real dataset, so that
// benchmarks and tests of every backend run on the same numbers everywhere.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "common/error.h"
#include "store/memory_store.h"
#include "store/prng.h"

namespace engram {

namespace {

// Stream ids for detail::stream_seed; fixed forever, or stores change.
constexpr uint64_t kStreamGraph = 1;
constexpr uint64_t kStreamAttributes = 2;
// Embedding row i uses stream kStreamEmbeddingBase + i: a store with fewer
// memories has the same leading embeddings, and rows could be drawn in
// parallel without changing the result.
constexpr uint64_t kStreamEmbeddingBase = uint64_t{1} << 32;

constexpr double kLastAccessSpanSeconds = 30.0 * 86400.0;

[[noreturn]] void bad_parameter(const std::string& what) {
    throw Error(ErrorCode::ConfigValue, "synthetic store: " + what);
}

void check_parameters(uint64_t memories, uint64_t dim, double avg_in_degree,
                      double default_stability_seconds, double now) {
    // Ids and CSR offsets are uint32 (the kernel ABI's index type).
    if (memories == 0 || memories > std::numeric_limits<uint32_t>::max())
        bad_parameter("memories must be in [1, 4294967295], got " + std::to_string(memories));
    if (dim == 0) bad_parameter("dim must be at least 1");
    if (dim > std::numeric_limits<size_t>::max() / sizeof(float) / memories)
        bad_parameter("memories x dim is too large to allocate");
    if (!std::isfinite(avg_in_degree) || avg_in_degree < 0.0)
        bad_parameter("avg_in_degree must be finite and >= 0");
    if (avg_in_degree * static_cast<double>(memories) >
        static_cast<double>(std::numeric_limits<uint32_t>::max()))
        bad_parameter("memories x avg_in_degree edges do not fit uint32");
    // Stability is stored as float and drawn in [0.5, 2] x the default.
    if (!std::isfinite(default_stability_seconds) || default_stability_seconds <= 0.0 ||
        !(static_cast<float>(0.5 * default_stability_seconds) > 0.0f) ||
        !std::isfinite(static_cast<float>(2.0 * default_stability_seconds)))
        bad_parameter("default_stability_seconds must be > 0 and representable as float");
    if (!std::isfinite(now)) bad_parameter("'now' must be finite");
}

void fill_embeddings(MemoryStore& store, uint64_t seed) {
    const uint64_t dim = store.dim;
    store.embeddings.resize(store.n * dim);
    float* out = store.embeddings.data();
    for (uint64_t row = 0; row < store.n; ++row, out += dim) {
        detail::Xoshiro256 rng(detail::stream_seed(seed, kStreamEmbeddingBase + row));
        uint64_t k = 0;
        double a = 0.0;
        double b = 0.0;
        for (; k + 1 < dim; k += 2) {
            rng.normal_pair(a, b);
            out[k] = static_cast<float>(a);
            out[k + 1] = static_cast<float>(b);
        }
        if (k < dim) {
            rng.normal_pair(a, b);
            out[k] = static_cast<float>(a);
        }
    }
}

// In-degrees: m = round(n * avg_in_degree) edges, each with a uniform random
// target, so a node's in-degree is Binomial(m, 1/n) ~ Poisson(avg) and the
// mean is exactly m / n. Sources are uniform (self loops allowed), weights
// uniform in (0, 1]. Integer draws only decide the structure, so the graph
// is bit-identical on every platform.
void fill_graph(MemoryStore& store, double avg_in_degree, uint64_t seed) {
    const uint64_t n = store.n;
    const auto m = static_cast<uint64_t>(std::llround(avg_in_degree * static_cast<double>(n)));
    detail::Xoshiro256 rng(detail::stream_seed(seed, kStreamGraph));

    store.offsets.assign(n + 1, 0);
    for (uint64_t e = 0; e < m; ++e) ++store.offsets[rng.below(n) + 1];
    for (uint64_t i = 0; i < n; ++i) store.offsets[i + 1] += store.offsets[i];

    // Only the counts matter for the targets, so slots are filled in CSR
    // order directly: no edge list, no sort.
    store.sources.resize(m);
    store.weights.resize(m);
    for (uint64_t j = 0; j < m; ++j) {
        store.sources[j] = static_cast<uint32_t>(rng.below(n));
        store.weights[j] = static_cast<float>(rng.uniform_open0());
    }
}

void fill_attributes(MemoryStore& store, double default_stability_seconds, double now,
                     uint64_t seed) {
    const uint64_t n = store.n;
    detail::Xoshiro256 rng(detail::stream_seed(seed, kStreamAttributes));
    store.strength.resize(n);
    store.last_access.resize(n);
    store.stability.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
        store.strength[i] = static_cast<float>(0.5 + 0.5 * rng.uniform());
        store.last_access[i] = now - kLastAccessSpanSeconds * rng.uniform();
        store.stability[i] =
            static_cast<float>(default_stability_seconds * (0.5 + 1.5 * rng.uniform()));
    }
}

}  // namespace

MemoryStore make_synthetic_store(uint64_t memories, uint64_t dim, double avg_in_degree,
                                 uint64_t seed, double default_stability_seconds, double now) {
    check_parameters(memories, dim, avg_in_degree, default_stability_seconds, now);
    MemoryStore store;
    store.n = memories;
    store.dim = dim;
    fill_embeddings(store, seed);
    fill_graph(store, avg_in_degree, seed);
    fill_attributes(store, default_stability_seconds, now, seed);
    compute_norms(store);
    return store;
}

}  // namespace engram

// The memory store the engine computes over: embeddings with their norms, the
// memory graph as a CSR of in-edges, and per-memory strength, last access time
// and stability. Immutable once built; the engine shares it between threads.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"

namespace engram {

struct MemoryStore {
    uint64_t n = 0;    // memories (ids are 0..n-1)
    uint64_t dim = 0;  // embedding dimension
    std::vector<float> embeddings;  // n * dim, row-major
    std::vector<float> norms;       // n, |embedding_i|, computed in double
    // In-edge CSR: the in-edges of memory i are j in [offsets[i], offsets[i+1]),
    // each from sources[j] with weight weights[j].
    std::vector<uint32_t> offsets;  // n + 1
    std::vector<uint32_t> sources;  // edges
    std::vector<float> weights;     // edges
    std::vector<float> strength;     // n, > 0
    std::vector<double> last_access; // n, unix seconds
    std::vector<float> stability;    // n, seconds (e-folding time), > 0
};

// Builds the store the config asks for. `now` is the unix time used for
// synthetic last-access times and for memories_csv rows without one.
// Throws engram::Error (E_DATA_*) with the file name and the reason.
MemoryStore build_store(const StoreConfig& cfg, double now);

// Deterministic synthetic store: same seed, same store, on every platform
// (own PRNG and distributions, not <random>'s implementation-defined ones).
MemoryStore make_synthetic_store(uint64_t memories, uint64_t dim, double avg_in_degree,
                                 uint64_t seed, double default_stability_seconds, double now);

// Computes norms (double accumulation) from embeddings.
void compute_norms(MemoryStore& store);

}  // namespace engram

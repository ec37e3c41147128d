// The memory store the engine computes over: embeddings with their norms, the
// memory graph as a CSR of in-edges, and per-memory strength, last access time
// and stability. Immutable once built; the engine shares it between threads.
// The arrays live on their own pages (StoreArray), which build_store makes
// read-only (seal_store) once the store is complete: kernels get const
// pointers into them, and a plugin that writes there anyway faults instead
// of corrupting what every later request is served from.
#pragma once

#include <cstdint>
#include <vector>

#include "config/config.h"
#include "store/store_array.h"

namespace engram {

struct MemoryStore {
    uint64_t n = 0;    // memories (ids are 0..n-1)
    uint64_t dim = 0;  // embedding dimension
    // [store] embedding_format: which ONE of the three embedding arrays
    // holds the rows (the other two are empty; the f32 rows are released
    // once compressed, see store/embedding_codec.h for the formats).
    EmbeddingFormat format = EmbeddingFormat::F32;
    StoreArray<float> embeddings;          // f32: n * dim, row-major
    StoreArray<uint16_t> embeddings_bf16;  // bf16: n * dim bf16 bit patterns, row-major
    StoreArray<int8_t> embeddings_int8;    // int8: n * dim codes, row-major
    StoreArray<float> scales;              // int8: n per-row scales (decoded = scale * code)
    StoreArray<float> norms;  // n, |embedding_i| of the rows as stored (decoded), in double
    // In-edge CSR: the in-edges of memory i are j in [offsets[i], offsets[i+1]),
    // each from sources[j] with weight weights[j].
    StoreArray<uint32_t> offsets;    // n + 1
    StoreArray<uint32_t> sources;    // edges
    StoreArray<float> weights;       // edges
    StoreArray<float> strength;      // n, > 0
    StoreArray<double> last_access;  // n, unix seconds
    StoreArray<float> stability;     // n, seconds (e-folding time), > 0
};

// Builds the store the config asks for, sealed (see seal_store). `now` is the
// unix time used for synthetic last-access times and for memories_csv rows
// without one. Throws engram::Error (E_DATA_*) with the file name and the
// reason.
MemoryStore build_store(const StoreConfig& cfg, double now);

// Makes every array of the store read-only (mprotect PROT_READ): any later
// write into it, by the host or a plugin, is a SIGSEGV. There is no unseal:
// destroying (or moving from) the store is all that may follow. Moving a
// sealed store keeps it sealed; copying one gives an unsealed copy. Throws
// std::system_error if the protection cannot be changed.
void seal_store(const MemoryStore& store);

// Deterministic synthetic store: same seed, same store, on every platform
// (own PRNG and distributions, not <random>'s implementation-defined ones).
// Not sealed, so tests and benchmarks may edit it; build_store seals it.
MemoryStore make_synthetic_store(uint64_t memories, uint64_t dim, double avg_in_degree,
                                 uint64_t seed, double default_stability_seconds, double now);

// Computes norms (double accumulation) from embeddings.
void compute_norms(MemoryStore& store);

// Converts an f32 store (not sealed) to `format`: fills the compressed
// array (and scales), recomputes the norms of the decoded rows in double,
// and releases the f32 rows. F32 does nothing.
void compress_embeddings(MemoryStore& store, EmbeddingFormat format);

// Row i decoded to float, whatever the store's format (tests, oracle checks).
std::vector<float> decoded_row(const MemoryStore& store, uint64_t i);

}  // namespace engram

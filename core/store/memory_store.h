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
    // once compressed, or never exist when the rows are read compressed from
    // a .npy; see store/embedding_codec.h for the formats).
    EmbeddingFormat format = EmbeddingFormat::F32;
    StoreArray<float> embeddings;          // f32: n * dim, row-major
    StoreArray<uint16_t> embeddings_bf16;  // bf16: n * dim bf16 bit patterns, row-major
    StoreArray<int8_t> embeddings_int8;    // int8: n * dim codes, row-major
    StoreArray<float> scales;              // int8: n per-row scales (decoded = scale * code)
    StoreArray<float> norms;  // n, |embedding_i| of the rows as stored (decoded), in double
    // In-edge CSR: the in-edges of memory i are j in [offsets[i], offsets[i+1]),
    // each from sources[j] with weight weights[j].
    StoreArray<uint32_t> offsets;  // n + 1
    StoreArray<uint32_t> sources;  // edges
    StoreArray<float> weights;     // edges
    // The same edges grouped by source (the transpose, in the same row
    // numbering), for ABI 1.2 spread_push: the out-edges of row u are k in
    // [out_offsets[u], out_offsets[u+1]), to targets[k] with weight
    // out_weights[k]. build_store always fills them (8 bytes per edge and 4
    // per memory more); empty in a store made otherwise (tests, benchmarks)
    // until build_out_edges, and the engine then calls spread.
    StoreArray<uint32_t> out_offsets;  // n + 1 or empty
    StoreArray<uint32_t> targets;      // edges or empty
    StoreArray<float> out_weights;     // edges or empty
    StoreArray<float> strength;        // n, > 0
    StoreArray<double> last_access;    // n, unix seconds
    StoreArray<float> stability;       // n, seconds (e-folding time), > 0
    // [store] reorder: the CSR's rows are not the memory ids. The graph
    // (offsets, sources) is then in row numbers: memory id i is row
    // graph_slot[i], row r is memory graph_id[r]. Both empty (rows are ids)
    // with reorder = "none". Only the graph is permuted: embeddings and the
    // per-memory attributes stay in id order.
    StoreArray<uint32_t> graph_slot;  // n or empty
    StoreArray<uint32_t> graph_id;    // n or empty
    bool graph_reordered() const { return !graph_slot.empty(); }
    bool has_out_edges() const { return n > 0 && out_offsets.size() == n + 1; }
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

// Computes the norms of the rows as stored, decoded, in double (one code
// for every format: the rows converted at load and those read compressed
// from a .npy get the same norms).
void compute_norms(MemoryStore& store);

// Converts an f32 store (not sealed) to `format`: fills the compressed
// array (and scales), recomputes the norms of the decoded rows in double,
// and releases the f32 rows. A store already in `format` (F32, or rows read
// compressed) is left as it is; any other conversion is a logic_error.
void compress_embeddings(MemoryStore& store, EmbeddingFormat format);

// Row i decoded to float, whatever the store's format (tests, oracle checks).
std::vector<float> decoded_row(const MemoryStore& store, uint64_t i);

// Relabels the graph's nodes (reorder = "degree": by descending in-degree,
// ties by id), keeping each node's in-edges in their order; fills
// graph_slot / graph_id. With Reorder::None the graph is left in id order
// and the permutation emptied. Called by build_store; not on a sealed store.
void reorder_graph(MemoryStore& store, StoreConfig::Reorder order);
// Fills out_offsets / targets / out_weights from the in-edge CSR as it is
// now (common/csr_transpose.h); after reorder_graph. Not on a sealed store.
void build_out_edges(MemoryStore& store);
// The pieces, for benchmarks: rows by descending in-degree (id_of_row), and
// the CSR renamed by a permutation (row_of_id is its inverse). The output
// arrays hold n + 1, m and m entries.
std::vector<uint32_t> degree_order(const uint32_t* offsets, uint64_t n);
void permute_csr(const uint32_t* offsets, const uint32_t* sources, const float* weights, uint64_t n,
                 const uint32_t* id_of_row, const uint32_t* row_of_id, uint32_t* new_offsets,
                 uint32_t* new_sources, float* new_weights);

}  // namespace engram

// build_store and compute_norms: assembling a store from the config, either
// synthetic or from dataset files.
#include "store/memory_store.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "common/error.h"
#include "store/dataset_io.h"
#include "store/embedding_codec.h"

namespace engram {

void compute_norms(MemoryStore& store) {
    store.norms.resize(store.n);
    const float* row = store.embeddings.data();
    for (uint64_t i = 0; i < store.n; ++i, row += store.dim) {
        // Double accumulation: the norms feed the similarity oracle and the
        // plugins' self-tests, so they should not carry float summation error.
        double sum = 0.0;
        for (uint64_t k = 0; k < store.dim; ++k) {
            const double v = row[k];
            sum += v * v;
        }
        store.norms[i] = static_cast<float>(std::sqrt(sum));
    }
}

void compress_embeddings(MemoryStore& store, EmbeddingFormat format) {
    if (format == EmbeddingFormat::F32) return;
    const uint64_t total = store.n * store.dim;
    const float* src = store.embeddings.data();
    store.norms.resize(store.n);
    if (format == EmbeddingFormat::Bf16) {
        store.embeddings_bf16.resize(total);
        uint16_t* dst = store.embeddings_bf16.data();
        for (uint64_t i = 0; i < store.n; ++i) {
            double sum = 0.0;
            for (uint64_t k = 0; k < store.dim; ++k) {
                const uint64_t at = i * store.dim + k;
                dst[at] = codec::float_to_bf16(src[at]);
                const double v = codec::bf16_to_float(dst[at]);
                sum += v * v;
            }
            store.norms[i] = static_cast<float>(std::sqrt(sum));
        }
    } else {
        store.embeddings_int8.resize(total);
        store.scales.resize(store.n);
        for (uint64_t i = 0; i < store.n; ++i) {
            int8_t* codes = store.embeddings_int8.data() + i * store.dim;
            const float scale = codec::int8_quantize_row(src + i * store.dim, store.dim, codes);
            store.scales[i] = scale;
            double sum = 0.0;
            for (uint64_t k = 0; k < store.dim; ++k) sum += double(codes[k]) * double(codes[k]);
            store.norms[i] = static_cast<float>(std::sqrt(sum) * static_cast<double>(scale));
        }
    }
    store.format = format;
    store.embeddings = StoreArray<float>();  // the f32 rows are not kept
}

std::vector<float> decoded_row(const MemoryStore& s, uint64_t i) {
    std::vector<float> row(s.dim);
    for (uint64_t k = 0; k < s.dim; ++k) {
        const uint64_t at = i * s.dim + k;
        switch (s.format) {
            case EmbeddingFormat::F32:
                row[k] = s.embeddings[at];
                break;
            case EmbeddingFormat::Bf16:
                row[k] = codec::bf16_to_float(s.embeddings_bf16[at]);
                break;
            case EmbeddingFormat::Int8:
                // As a float: the exact product may need more than 24 bits.
                row[k] = static_cast<float>(double(s.scales[i]) * s.embeddings_int8[at]);
                break;
        }
    }
    return row;
}

namespace {

MemoryStore load_files(const StoreConfig& cfg, double now) {
    if (cfg.embeddings.empty())
        throw Error(ErrorCode::DataRead, "store: no embeddings file configured");
    // Checked before any file is read: a config mistake should not wait for
    // a multi-gigabyte load to be reported.
    const auto default_stability = static_cast<float>(cfg.default_stability_seconds);
    if (!std::isfinite(default_stability) || !(default_stability > 0.0f))
        throw Error(ErrorCode::ConfigValue,
                    "store: default_stability_seconds must be > 0 and representable as float");

    MemoryStore store;
    {
        NpyMatrix emb = read_npy_matrix(cfg.embeddings);
        // Memory ids are uint32 (the kernel ABI's index type).
        if (emb.rows > std::numeric_limits<uint32_t>::max())
            throw Error(ErrorCode::DataInconsistent,
                        cfg.embeddings.string() + ": " + std::to_string(emb.rows) +
                            " rows; at most 4294967295 memories are supported");
        store.n = emb.rows;
        store.dim = emb.cols;
        store.embeddings = std::move(emb.data);  // both StoreArray: the pages move, no copy
    }

    // No edges file means a graph without edges (spreading then only decays).
    std::vector<Edge> edges;
    if (!cfg.edges.empty()) edges = read_edges_csv(cfg.edges, store.n);
    if (edges.size() > std::numeric_limits<uint32_t>::max())
        throw Error(ErrorCode::DataInconsistent, cfg.edges.string() + ": " +
                                                     std::to_string(edges.size()) +
                                                     " edges; at most 4294967295 are supported");
    build_in_edge_csr(edges, store.n, store.offsets, store.sources, store.weights);
    edges = {};  // release before the attribute arrays are allocated

    store.strength.assign(store.n, 1.0f);
    store.last_access.assign(store.n, now);
    store.stability.assign(store.n, default_stability);
    if (!cfg.memories_csv.empty()) {
        for (const MemoryRow& row : read_memories_csv(cfg.memories_csv, store.n)) {
            store.strength[row.id] = row.strength;
            store.last_access[row.id] = row.last_access;
            store.stability[row.id] = row.stability;
        }
    }

    compute_norms(store);
    return store;
}

MemoryStore build_f32(const StoreConfig& cfg, double now) {
    switch (cfg.kind) {
        case StoreConfig::Kind::Synthetic:
            return make_synthetic_store(cfg.memories, cfg.dim, cfg.avg_in_degree, cfg.seed,
                                        cfg.default_stability_seconds, now);
        case StoreConfig::Kind::Files:
            return load_files(cfg, now);
    }
    throw Error(ErrorCode::ConfigValue, "store: unknown kind");
}

MemoryStore build_unsealed(const StoreConfig& cfg, double now) {
    MemoryStore store = build_f32(cfg, now);
    compress_embeddings(store, cfg.embedding_format);
    return store;
}

}  // namespace

void seal_store(const MemoryStore& s) {
    seal_array(s.embeddings);
    seal_array(s.embeddings_bf16);
    seal_array(s.embeddings_int8);
    seal_array(s.scales);
    seal_array(s.norms);
    seal_array(s.offsets);
    seal_array(s.sources);
    seal_array(s.weights);
    seal_array(s.strength);
    seal_array(s.last_access);
    seal_array(s.stability);
    seal_array(s.graph_slot);
    seal_array(s.graph_id);
}

MemoryStore build_store(const StoreConfig& cfg, double now) {
    MemoryStore store = build_unsealed(cfg, now);
    reorder_graph(store, cfg.reorder);
    seal_store(store);
    return store;  // moving keeps the pages, and so the protection
}

}  // namespace engram

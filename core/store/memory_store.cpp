// build_store and compute_norms: assembling a store from the config, either
// synthetic or from dataset files (float rows converted to the configured
// embedding_format, or compressed rows read as they are).
#include "store/memory_store.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/error.h"
#include "config/config_values.h"
#include "store/dataset_io.h"
#include "store/embedding_codec.h"

namespace engram {

// Double accumulation: the norms feed the similarity oracle and the plugins'
// self-tests, so they should not carry float summation error. Each format's
// norm is that of its decoded rows (store/embedding_codec.h), whether the
// rows were converted here or read compressed from a .npy.
void compute_norms(MemoryStore& store) {
    store.norms.resize(store.n);
    for (uint64_t i = 0; i < store.n; ++i) {
        const uint64_t row = i * store.dim;
        double sum = 0.0;
        switch (store.format) {
            case EmbeddingFormat::F32:
                for (uint64_t k = 0; k < store.dim; ++k) {
                    const double v = store.embeddings[row + k];
                    sum += v * v;
                }
                store.norms[i] = static_cast<float>(std::sqrt(sum));
                break;
            case EmbeddingFormat::Bf16:
                for (uint64_t k = 0; k < store.dim; ++k) {
                    const double v = codec::bf16_to_float(store.embeddings_bf16[row + k]);
                    sum += v * v;
                }
                store.norms[i] = static_cast<float>(std::sqrt(sum));
                break;
            case EmbeddingFormat::Int8:
                // The codes' norm, scaled once: double(code)^2 sums exactly.
                for (uint64_t k = 0; k < store.dim; ++k) {
                    const double c = store.embeddings_int8[row + k];
                    sum += c * c;
                }
                store.norms[i] =
                    static_cast<float>(std::sqrt(sum) * static_cast<double>(store.scales[i]));
                break;
        }
    }
}

void compress_embeddings(MemoryStore& store, EmbeddingFormat format) {
    if (format == store.format) return;  // F32, or rows read compressed
    if (format == EmbeddingFormat::F32 || store.format != EmbeddingFormat::F32)
        throw std::logic_error(std::string("compress_embeddings: cannot convert ") +
                               embedding_format_name(store.format) + " rows to " +
                               embedding_format_name(format));
    const uint64_t total = store.n * store.dim;
    const float* src = store.embeddings.data();
    if (format == EmbeddingFormat::Bf16) {
        store.embeddings_bf16.resize(total);
        uint16_t* dst = store.embeddings_bf16.data();
        for (uint64_t at = 0; at < total; ++at) dst[at] = codec::float_to_bf16(src[at]);
    } else {
        store.embeddings_int8.resize(total);
        store.scales.resize(store.n);
        for (uint64_t i = 0; i < store.n; ++i)
            store.scales[i] = codec::int8_quantize_row(
                src + i * store.dim, store.dim, store.embeddings_int8.data() + i * store.dim);
    }
    store.format = format;
    store.embeddings = StoreArray<float>();  // the f32 rows are not kept
    compute_norms(store);                    // of the decoded rows
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

// [store] embedding_scales goes with, and only with, a .npy of int8 codes.
// Checked from the header alone, before a possibly huge file is read.
void check_scales_config(const StoreConfig& cfg) {
    const bool scales = !cfg.embedding_scales.empty();
    if (cfg.embedding_format != EmbeddingFormat::Int8) {
        if (scales)
            throw Error(ErrorCode::ConfigValue,
                        std::string("[store] embedding_scales: only allowed with embedding_format "
                                    "= \"int8\" (it is \"") +
                            embedding_format_name(cfg.embedding_format) + "\")");
        return;  // read_npy_matrix refuses int8 codes for this format
    }
    const NpyDtype dtype = read_npy_dtype(cfg.embeddings);
    if (dtype == NpyDtype::I1 && !scales)
        throw Error(ErrorCode::ConfigMissing,
                    "[store] embedding_scales: required because " + cfg.embeddings.string() +
                        " holds int8 codes: name a float32 .npy of their per-row scales");
    if ((dtype == NpyDtype::F4 || dtype == NpyDtype::F8) && scales)
        throw Error(ErrorCode::ConfigValue,
                    "[store] embedding_scales: only used with a .npy of int8 codes, but " +
                        cfg.embeddings.string() + " holds " + detail::npy_dtype_name(dtype) +
                        ", which the store converts with scales of its own: remove "
                        "embedding_scales, or give the codes as embeddings");
}

// The scales of a store whose int8 codes were read from a file: one per row,
// and none that decodes a code past float range.
StoreArray<float> read_scales(const StoreConfig& cfg, const MemoryStore& store) {
    StoreArray<float> scales = read_npy_scales(cfg.embedding_scales);
    if (scales.size() != store.n)
        throw Error(ErrorCode::DataInconsistent,
                    cfg.embedding_scales.string() + ": " + std::to_string(scales.size()) +
                        " scales, but " + cfg.embeddings.string() + " has " +
                        std::to_string(store.n) + " rows (need one scale per row)");
    for (uint64_t i = 0; i < store.n; ++i) {
        int max_abs = 0;
        const int8_t* codes = store.embeddings_int8.data() + i * store.dim;
        for (uint64_t k = 0; k < store.dim; ++k) max_abs = std::max(max_abs, std::abs(codes[k]));
        // As decoded_row does: the product in double, then to float.
        if (!std::isfinite(static_cast<float>(static_cast<double>(scales[i]) * max_abs)))
            throw Error(ErrorCode::DataNpy, cfg.embedding_scales.string() + ": scale " +
                                                config_values::format_double(scales[i]) +
                                                " at row " + std::to_string(i) + " times code " +
                                                std::to_string(max_abs) + " is out of float range");
    }
    return scales;
}

MemoryStore load_files(const StoreConfig& cfg, double now) {
    if (cfg.embeddings.empty())
        throw Error(ErrorCode::DataRead, "store: no embeddings file configured");
    // Checked before any file is read: a config mistake should not wait for
    // a multi-gigabyte load to be reported.
    const auto default_stability = static_cast<float>(cfg.default_stability_seconds);
    if (!std::isfinite(default_stability) || !(default_stability > 0.0f))
        throw Error(ErrorCode::ConfigValue,
                    "store: default_stability_seconds must be > 0 and representable as float");

    check_scales_config(cfg);

    MemoryStore store;
    {
        NpyMatrix emb = read_npy_matrix(cfg.embeddings, cfg.embedding_format);
        // Memory ids are uint32 (the kernel ABI's index type).
        if (emb.rows > std::numeric_limits<uint32_t>::max())
            throw Error(ErrorCode::DataInconsistent,
                        cfg.embeddings.string() + ": " + std::to_string(emb.rows) +
                            " rows; at most 4294967295 memories are supported");
        store.n = emb.rows;
        store.dim = emb.cols;
        // All StoreArray: the pages move, no copy.
        switch (emb.dtype) {
            case NpyDtype::F4:
            case NpyDtype::F8:
                store.embeddings = std::move(emb.data);  // build_unsealed converts them
                break;
            case NpyDtype::Bf16:
                store.format = EmbeddingFormat::Bf16;
                store.embeddings_bf16 = std::move(emb.bf16);
                break;
            case NpyDtype::I1:
                store.format = EmbeddingFormat::Int8;
                store.embeddings_int8 = std::move(emb.int8);
                store.scales = read_scales(cfg, store);
                break;
        }
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

MemoryStore build_as_read(const StoreConfig& cfg, double now) {
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
    MemoryStore store = build_as_read(cfg, now);
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
    seal_array(s.out_offsets);
    seal_array(s.targets);
    seal_array(s.out_weights);
    seal_array(s.strength);
    seal_array(s.last_access);
    seal_array(s.stability);
    seal_array(s.graph_slot);
    seal_array(s.graph_id);
}

MemoryStore build_store(const StoreConfig& cfg, double now) {
    MemoryStore store = build_unsealed(cfg, now);
    reorder_graph(store, cfg.reorder);
    build_out_edges(store);
    seal_store(store);
    return store;  // moving keeps the pages, and so the protection
}

}  // namespace engram

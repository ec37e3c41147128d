// Readers for real datasets: embeddings as NumPy .npy, edges and per-memory
// attributes as CSV. Hand-written because Debian 12 packages no C++ .npy
// reader, and the format subset we need (little-endian float32/float64, int8
// codes or bf16 bit patterns, C order, 2-D) is small; every malformed input
// is a clear E_DATA_* error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "config/config.h"
#include "store/npy_header.h"
#include "store/store_array.h"

namespace engram {

struct NpyMatrix {
    uint64_t rows = 0;
    uint64_t cols = 0;
    NpyDtype dtype = NpyDtype::F4;  // the file's; exactly one array below holds rows * cols
    StoreArray<float> data;         // F4 / F8 (converted to float), finite; row-major
    StoreArray<uint16_t> bf16;      // Bf16: the bit patterns as stored, each finite
    StoreArray<int8_t> int8;        // I1: the codes as stored, each in -127..127
    // Each becomes the store's array as is (the pages move, no copy).
};

// The dtype of a .npy file (any NpyDtype), from its preamble and header only.
// Throws engram::Error(E_DATA_READ | E_DATA_NPY) as read_npy_matrix does.
NpyDtype read_npy_dtype(const std::filesystem::path& file);

// Reads a 2-D .npy array in C order: '<f4' or '<f8' always (converted to
// float); int8 codes ('|i1', '<i1') only with `format` Int8 and bf16 bit
// patterns ('<u2', '<V2', '|V2') only with Bf16, kept as they are. A dtype of
// another format is refused from the header, before the data is read.
// Throws engram::Error(E_DATA_READ | E_DATA_NPY) naming the file and reason.
NpyMatrix read_npy_matrix(const std::filesystem::path& file,
                          EmbeddingFormat format = EmbeddingFormat::F32);

// Reads the per-row scales of int8 codes: '<f4' of shape (n,) or (n, 1), C
// order, each finite and >= 0. Throws as read_npy_matrix.
StoreArray<float> read_npy_scales(const std::filesystem::path& file);

struct Edge {
    uint32_t source;
    uint32_t target;
    float weight;
};

// Reads "source,target,weight" lines; an optional first header line
// "source,target,weight" is skipped; blank lines and lines starting with '#'
// are ignored. Ids must be < n_memories; weights finite.
// Throws engram::Error(E_DATA_READ | E_DATA_CSV) naming file:line and reason.
std::vector<Edge> read_edges_csv(const std::filesystem::path& file, uint64_t n_memories);

// Builds the in-edge CSR (grouped by target, stable in file order).
void build_in_edge_csr(const std::vector<Edge>& edges, uint64_t n_memories,
                       StoreArray<uint32_t>& offsets, StoreArray<uint32_t>& sources,
                       StoreArray<float>& weights);

struct MemoryRow {
    uint32_t id;
    float strength;
    double last_access;  // unix seconds
    float stability;     // seconds
};

// Reads "id,strength,last_access,stability" (optional header line).
std::vector<MemoryRow> read_memories_csv(const std::filesystem::path& file, uint64_t n_memories);

}  // namespace engram

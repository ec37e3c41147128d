// Readers for real datasets: embeddings as NumPy .npy, edges and per-memory
// attributes as CSV. Hand-written because Debian 12 packages no C++ .npy
// reader, and the format subset we need (little-endian float32/float64, C
// order, 2-D) is small; every malformed input is a clear E_DATA_* error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "store/store_array.h"

namespace engram {

struct NpyMatrix {
    uint64_t rows = 0;
    uint64_t cols = 0;
    StoreArray<float> data;  // rows * cols, row-major; becomes the store's embeddings as is
};

// Reads a 2-D .npy array of '<f4' or '<f8' (converted to float), C order.
// Throws engram::Error(E_DATA_READ | E_DATA_NPY) naming the file and reason.
NpyMatrix read_npy_matrix(const std::filesystem::path& file);

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

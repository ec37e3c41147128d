// [store] reorder: relabelling the memory graph's nodes for locality. The
// store keeps the permutation (graph_slot / graph_id); memory ids, and so
// every API answer, are unchanged (the engine maps seeds in and ranks the
// activations by memory id, core/engine/engine.cpp).
#include <algorithm>
#include <numeric>

#include "common/csr_transpose.h"
#include "common/error.h"
#include "store/memory_store.h"

namespace engram {

std::vector<uint32_t> degree_order(const uint32_t* offsets, uint64_t n) {
    std::vector<uint32_t> id_of_row(n);
    std::iota(id_of_row.begin(), id_of_row.end(), 0u);
    // Descending in-degree, ties by ascending id (stable): a pure function
    // of the graph, the same on every platform.
    std::stable_sort(id_of_row.begin(), id_of_row.end(), [offsets](uint32_t a, uint32_t b) {
        return offsets[a + 1] - offsets[a] > offsets[b + 1] - offsets[b];
    });
    return id_of_row;
}

void permute_csr(const uint32_t* offsets, const uint32_t* sources, const float* weights, uint64_t n,
                 const uint32_t* id_of_row, const uint32_t* row_of_id, uint32_t* new_offsets,
                 uint32_t* new_sources, float* new_weights) {
    new_offsets[0] = 0;
    for (uint64_t row = 0; row < n; ++row) {
        const uint32_t id = id_of_row[row];
        const uint32_t b = offsets[id], e = offsets[id + 1];
        uint32_t at = new_offsets[row];
        // The node's in-edges keep their order: each sum adds the same terms
        // in the same order as before, only their sources are renamed.
        for (uint32_t j = b; j < e; ++j, ++at) {
            new_sources[at] = row_of_id[sources[j]];
            new_weights[at] = weights[j];
        }
        new_offsets[row + 1] = at;
    }
}

void reorder_graph(MemoryStore& store, StoreConfig::Reorder order) {
    store.graph_slot.clear();
    store.graph_id.clear();
    if (order == StoreConfig::Reorder::None || store.n == 0) return;
    const uint64_t n = store.n, m = store.sources.size();
    const std::vector<uint32_t> id_of_row = degree_order(store.offsets.data(), n);
    StoreArray<uint32_t> slot(n);
    for (uint64_t row = 0; row < n; ++row) slot[id_of_row[row]] = static_cast<uint32_t>(row);
    StoreArray<uint32_t> offsets(n + 1), sources(m);
    StoreArray<float> weights(m);
    permute_csr(store.offsets.data(), store.sources.data(), store.weights.data(), n,
                id_of_row.data(), slot.data(), offsets.data(), sources.data(), weights.data());
    store.offsets = std::move(offsets);
    store.sources = std::move(sources);
    store.weights = std::move(weights);
    store.graph_slot = std::move(slot);
    store.graph_id.assign(id_of_row.begin(), id_of_row.end());
}

void build_out_edges(MemoryStore& store) {
    const uint64_t n = store.n, m = store.sources.size();
    if (n == 0) return;
    StoreArray<uint32_t> offsets(n + 1), targets(m);
    StoreArray<float> weights(m);
    transpose_csr(store.offsets.data(), store.sources.data(), store.weights.data(), n,
                  offsets.data(), targets.data(), weights.data());
    store.out_offsets = std::move(offsets);
    store.targets = std::move(targets);
    store.out_weights = std::move(weights);
}

}  // namespace engram

// build_in_edge_csr: edges grouped by target, by a counting sort (O(n + m),
// stable, so each memory's in-edges keep their file order and the store is
// a pure function of the file).
#include <limits>
#include <string>

#include "common/error.h"
#include "store/dataset_io.h"

namespace engram {

void build_in_edge_csr(const std::vector<Edge>& edges, uint64_t n_memories,
                       StoreArray<uint32_t>& offsets, StoreArray<uint32_t>& sources,
                       StoreArray<float>& weights) {
    // Offsets are uint32 (the kernel ABI's index type).
    if (edges.size() > std::numeric_limits<uint32_t>::max())
        throw Error(ErrorCode::DataInconsistent,
                    std::to_string(edges.size()) + " edges; at most 4294967295 are supported");
    for (size_t j = 0; j < edges.size(); ++j) {
        if (edges[j].source >= n_memories || edges[j].target >= n_memories)
            throw Error(ErrorCode::DataInconsistent,
                        "edge " + std::to_string(j) + " (" + std::to_string(edges[j].source) +
                            " -> " + std::to_string(edges[j].target) +
                            ") names a memory >= " + std::to_string(n_memories));
    }

    offsets.assign(n_memories + 1, 0);
    for (const Edge& e : edges) ++offsets[e.target + 1];
    for (uint64_t i = 0; i < n_memories; ++i) offsets[i + 1] += offsets[i];

    sources.resize(edges.size());
    weights.resize(edges.size());
    // Next free slot per target; starts as a copy of the group starts.
    std::vector<uint32_t> cursor(offsets.begin(), offsets.end() - 1);
    for (const Edge& e : edges) {
        const uint32_t slot = cursor[e.target]++;
        sources[slot] = e.source;
        weights[slot] = e.weight;
    }
}

}  // namespace engram

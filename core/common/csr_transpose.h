// The out-edge CSR of a graph given as a CSR of in-edges (ABI 1.2
// spread_push takes both). One function for the store, the validation checks
// and the tests and benchmarks, so "the transpose" means one thing.
#pragma once

#include <cstdint>

namespace engram {

// In: offsets[n + 1], sources[m], weights[m] with m = offsets[n] (the in-edges
// of node i are j in [offsets[i], offsets[i + 1]), from sources[j]).
// Out: out_offsets[n + 1], targets[m], out_weights[m]: the edges leaving node
// u are k in [out_offsets[u], out_offsets[u + 1]), to targets[k]. A counting
// sort, O(n + m), stable: a node's out-edges are in the order of their
// targets' in-edge lists (ascending target). Also total on malformed input
// (used to build refusal tests): an edge outside [0, m), in a decreasing
// offset range, or from a source >= n is left out, so out_offsets[n] < m.
void transpose_csr(const uint32_t* offsets, const uint32_t* sources, const float* weights,
                   uint64_t n, uint32_t* out_offsets, uint32_t* targets, float* out_weights);

}  // namespace engram

// libFuzzer harness: the CSV readers (store/csv_lines.h and the edges and
// memories readers on top of it). The first input byte picks the store size
// the ids are checked against (0..255 memories); the rest is the file, read
// as an edges file (then built into the in-edge CSR) and as a memories file.
// Each returns rows or throws engram::Error (E_DATA_READ / E_DATA_CSV /
// E_DATA_INCONSISTENT); rows returned respect the documented limits.
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "common/error.h"
#include "fuzz_util.h"
#include "store/dataset_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint64_t n = data[0];
    const auto& file = engram::fuzz::write_input("input.csv", data + 1, size - 1);
    try {
        const auto edges = engram::read_edges_csv(file, n);
        for (const auto& e : edges)
            if (e.source >= n || e.target >= n || !std::isfinite(e.weight)) std::abort();
        engram::StoreArray<uint32_t> offsets, sources;
        engram::StoreArray<float> weights;
        engram::build_in_edge_csr(edges, n, offsets, sources, weights);
        if (offsets.size() != n + 1 || sources.size() != edges.size() ||
            weights.size() != edges.size())
            std::abort();
    } catch (const engram::Error&) {
    }
    try {
        const auto rows = engram::read_memories_csv(file, n);
        for (const auto& r : rows)
            if (r.id >= n) std::abort();
    } catch (const engram::Error&) {
    }
    return 0;
}

// peer_faiss_inner_products/768x<n>: faiss::fvec_inner_products_ny, FAISS's
// own batch inner product (the inner loop of IndexFlatIP), over the same
// candidates and query as similarity/<backend>/768x<n>. Dot products only,
// single-threaded by construction (the function does not use OpenMP).
#include <benchmark/benchmark.h>
#include <faiss/utils/distances.h>

#include <set>
#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"

namespace engram::bench {
namespace {

void bm_faiss(benchmark::State& state, uint64_t n) {
    const SimilarityData& s = similarity_data(n);
    AlignedArray<float> y(n);
    faiss::fvec_inner_products_ny(y.data(), s.query.data(), s.candidates.data(), s.dim, n);
    static std::set<uint64_t> checked;
    if (checked.insert(n).second) {  // once per shape, outside the timing
        check_close("peer_faiss_inner_products/768x" + std::to_string(n), y.data(),
                    oracle_dots(n).data(), n, 1e-3, 1e-4);
    }
    for (auto _ : state) {
        faiss::fvec_inner_products_ny(y.data(), s.query.data(), s.candidates.data(), s.dim, n);
        consume(y.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() * similarity_bytes(n, s.dim));
}

}  // namespace

std::string register_peer_faiss() {
    for (uint64_t n : kSimilarityCounts) {
        const std::string name =
            "peer_faiss_inner_products/" + std::to_string(kDim) + "x" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), bm_faiss, n);
    }
    return "faiss (Debian static libfaiss.a), fvec_inner_products_ny, 1 thread";
}

}  // namespace engram::bench

// peer_openblas_sgemv/768x<n>: y = C q with cblas_sgemv over the same n x 768
// row-major candidates and query as similarity/<backend>/768x<n>. sgemv
// produces the dot products only; our kernels also divide by |q||c_i| and
// clamp (the norms are supplied, so that is n extra loads, a divide and a
// clamp per row: under 0.3% of the bytes). OpenBLAS is forced to one thread
// (openblas_set_num_threads(1)) so it is compared core for core.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <set>
#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"

namespace engram::bench {
namespace {

void bm_sgemv(benchmark::State& state, uint64_t n) {
    const SimilarityData& s = similarity_data(n);
    AlignedArray<float> y(n);
    const auto rows = static_cast<blasint>(n);
    const auto cols = static_cast<blasint>(s.dim);
    cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1.0f, s.candidates.data(), cols,
                s.query.data(), 1, 0.0f, y.data(), 1);
    static std::set<uint64_t> checked;
    if (checked.insert(n).second) {  // once per shape, outside the timing
        check_close("peer_openblas_sgemv/768x" + std::to_string(n), y.data(), oracle_dots(n).data(),
                    n, 1e-3, 1e-4);
    }
    for (auto _ : state) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, cols, 1.0f, s.candidates.data(), cols,
                    s.query.data(), 1, 0.0f, y.data(), 1);
        consume(y.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() * similarity_bytes(n, s.dim));
}

}  // namespace

std::string register_peer_openblas() {
    openblas_set_num_threads(1);
    for (uint64_t n : kSimilarityCounts) {
        const std::string name =
            "peer_openblas_sgemv/" + std::to_string(kDim) + "x" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), bm_sgemv, n);
    }
    return std::string(openblas_get_config()) + " on " + openblas_get_corename() +
           ", threads=" + std::to_string(openblas_get_num_threads());
}

}  // namespace engram::bench

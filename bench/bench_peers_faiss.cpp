// peer_faiss_inner_products/768x<n>: faiss::fvec_inner_products_ny, FAISS's
// own batch inner product (the inner loop of IndexFlatIP), over the same
// candidates and query as similarity/<backend>/768x<n>. Dot products only,
// single-threaded by construction (the function does not use OpenMP).
//
// peer_faiss_{flat_ip,sq_fp16,sq8}/768x<n> (issue 16): one k=10 search of
// the same query in IndexFlatIP, IndexScalarQuantizer QT_fp16 and QT_8bit
// (METRIC_INNER_PRODUCT; trained on the candidates themselves), OpenMP at
// one thread: next to similarity / similarity_bf16 / similarity_int8. Not the
// same maths: FAISS ranks by raw inner product (no norms, no cosine), its
// fp16 is IEEE half (not bf16), and its QT_8bit quantises per dimension
// (a trained min/max per component), not per row. bytes_per_second counts
// the stored codes read (4 / 2 / 1 bytes per element) plus the query.
#include <benchmark/benchmark.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <map>
#include <memory>
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

enum class Index { FlatIP, SqFp16, Sq8 };

faiss::Index& faiss_index(Index kind, uint64_t n) {
    static std::map<std::pair<int, uint64_t>, std::unique_ptr<faiss::Index>> cache;
    auto& slot = cache[{static_cast<int>(kind), n}];
    if (slot) return *slot;
    const SimilarityData& s = similarity_data(n);
    const auto d = static_cast<faiss::Index::idx_t>(s.dim);
    if (kind == Index::FlatIP) {
        slot = std::make_unique<faiss::IndexFlatIP>(d);
    } else {
        slot = std::make_unique<faiss::IndexScalarQuantizer>(
            d,
            kind == Index::Sq8 ? faiss::ScalarQuantizer::QT_8bit : faiss::ScalarQuantizer::QT_fp16,
            faiss::METRIC_INNER_PRODUCT);
        slot->train(static_cast<faiss::Index::idx_t>(n), s.candidates.data());
    }
    slot->add(static_cast<faiss::Index::idx_t>(n), s.candidates.data());
    return *slot;
}

void bm_faiss_search(benchmark::State& state, Index kind, uint64_t n) {
    omp_set_num_threads(1);
    const SimilarityData& s = similarity_data(n);
    faiss::Index& index = faiss_index(kind, n);
    constexpr faiss::Index::idx_t k = 10;
    float dist[k];
    faiss::Index::idx_t labels[k];
    index.search(1, s.query.data(), k, dist, labels);
    for (auto _ : state) {
        index.search(1, s.query.data(), k, dist, labels);
        consume(dist);
        consume(labels);
    }
    const uint64_t bytes_per = kind == Index::FlatIP ? 4 : kind == Index::SqFp16 ? 2 : 1;
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() *
                            static_cast<int64_t>(bytes_per * n * s.dim + 4 * s.dim));
}

}  // namespace

std::string register_peer_faiss() {
    for (uint64_t n : kSimilarityCounts) {
        const std::string name =
            "peer_faiss_inner_products/" + std::to_string(kDim) + "x" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), bm_faiss, n);
    }
    for (uint64_t n : kSimilarityCounts) {
        if (n < 10000) continue;
        const std::string shape = std::to_string(kDim) + "x" + std::to_string(n);
        benchmark::RegisterBenchmark(("peer_faiss_flat_ip/" + shape).c_str(), bm_faiss_search,
                                     Index::FlatIP, n);
        benchmark::RegisterBenchmark(("peer_faiss_sq_fp16/" + shape).c_str(), bm_faiss_search,
                                     Index::SqFp16, n);
        benchmark::RegisterBenchmark(("peer_faiss_sq8/" + shape).c_str(), bm_faiss_search,
                                     Index::Sq8, n);
    }
    return "faiss (Debian static libfaiss.a), fvec_inner_products_ny, 1 thread";
}

}  // namespace engram::bench

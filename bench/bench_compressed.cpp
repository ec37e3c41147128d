// similarity_bf16/<backend>/768x<n> and similarity_int8/<backend>/768x<n>
// (ABI 1.1, [store] embedding_format): the same query and candidates as
// similarity/<backend>/768x<n>, encoded as the store encodes them (bf16
// round to nearest even; int8 symmetric per row, scale = max|c|/127), with
// the norms of the decoded rows. bytes_per_second counts what the kernel
// must read (codes + scales + norms + query) and write (scores), so it is
// the roofline's bytes; compare items_per_second (rows/s) with
// similarity/<backend>/768x<n> for the speed-up over f32.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"
#include "store/embedding_codec.h"

namespace engram::bench {
namespace {

struct CompressedData {
    AlignedArray<uint16_t> bf16;
    AlignedArray<int8_t> int8;
    AlignedArray<float> scales, norms_bf16, norms_int8;
};

const CompressedData& compressed_data(uint64_t n) {
    static std::map<uint64_t, std::unique_ptr<CompressedData>> cache;
    auto& slot = cache[n];
    if (slot) return *slot;
    const SimilarityData& s = similarity_data(n);
    auto d = std::make_unique<CompressedData>();
    d->bf16 = AlignedArray<uint16_t>(n * s.dim);
    d->int8 = AlignedArray<int8_t>(n * s.dim);
    d->scales = AlignedArray<float>(n);
    d->norms_bf16 = AlignedArray<float>(n);
    d->norms_int8 = AlignedArray<float>(n);
    for (uint64_t i = 0; i < n; ++i) {
        const float* row = s.candidates.data() + i * s.dim;
        double bb = 0, ii = 0;
        for (uint64_t k = 0; k < s.dim; ++k) {
            const uint16_t h = codec::float_to_bf16(row[k]);
            d->bf16[i * s.dim + k] = h;
            const double v = codec::bf16_to_float(h);
            bb += v * v;
        }
        const float scale = codec::int8_quantize_row(row, s.dim, d->int8.data() + i * s.dim);
        for (uint64_t k = 0; k < s.dim; ++k) {
            const double c = d->int8[i * s.dim + k];
            ii += c * c;
        }
        d->scales[i] = scale;
        d->norms_bf16[i] = static_cast<float>(std::sqrt(bb));
        d->norms_int8[i] = static_cast<float>(std::sqrt(ii) * double(scale));
    }
    slot = std::move(d);
    return *slot;
}

enum class Format { Bf16, Int8 };

int64_t stored_bytes(Format f, uint64_t n, uint64_t dim) {
    // codes (+ scales) + norms + query in, scores out.
    return f == Format::Bf16 ? static_cast<int64_t>(2 * n * dim + 4 * n + 4 * dim + 4 * n)
                             : static_cast<int64_t>(n * dim + 8 * n + 4 * dim + 4 * n);
}

void bm_compressed(benchmark::State& state, const Backend* backend, uint64_t n, Format f) {
    const SimilarityData& s = similarity_data(n);
    const CompressedData& d = compressed_data(n);
    const engram_kernel_table* t = backend->table;
    const engram_kernel_id id =
        f == Format::Bf16 ? ENGRAM_KERNEL_SIMILARITY_BF16 : ENGRAM_KERNEL_SIMILARITY_INT8;
    const engram_shape shape{n, s.dim, 0};
    const uint64_t cap = t->scratch_bytes(id, &shape);
    AlignedArray<unsigned char> scratch(cap);
    AlignedArray<float> scores(n);
    auto call = [&] {
        return f == Format::Bf16
                   ? t->similarity_bf16(s.query.data(), d.bf16.data(), d.norms_bf16.data(), n,
                                        s.dim, scores.data(), scratch.data(), cap)
                   : t->similarity_int8(s.query.data(), d.int8.data(), d.scales.data(),
                                        d.norms_int8.data(), n, s.dim, scores.data(),
                                        scratch.data(), cap);
    };
    if (call() != ENGRAM_OK) {
        state.SkipWithError("compressed similarity returned an error status");
        return;
    }
    engram_status bad = ENGRAM_OK;
    for (auto _ : state) {
        bad |= call();
        consume(scores.data());
    }
    if (bad != ENGRAM_OK) state.SkipWithError("compressed similarity returned an error status");
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() * stored_bytes(f, n, s.dim));
    state.counters["stored_bytes_per_row"] =
        static_cast<double>(stored_bytes(f, n, s.dim)) / static_cast<double>(n);
}

}  // namespace

void register_compressed_benchmarks() {
    for (const Backend& b : backends()) {
        for (uint64_t n : kSimilarityCounts) {
            if (n < 10000) continue;  // the memory-bound shapes are the point
            const std::string shape = std::to_string(kDim) + "x" + std::to_string(n);
            if (b.table->similarity_bf16)
                benchmark::RegisterBenchmark(("similarity_bf16/" + b.name + "/" + shape).c_str(),
                                             bm_compressed, &b, n, Format::Bf16);
            if (b.table->similarity_int8)
                benchmark::RegisterBenchmark(("similarity_int8/" + b.name + "/" + shape).c_str(),
                                             bm_compressed, &b, n, Format::Int8);
        }
    }
}

}  // namespace engram::bench

// Where engramd's CPU goes in one POST /v1/similar (k = 10, 10,000 x 768
// store), piece by piece and in process: the kernel alone through its table
// (what `engramctl verify` times), Engine::find_similar (validation,
// snapshot, arena, metrics, kernel, top-k), and the JSON either side of it.
// The issue 4 target is engramd CPU per request <= 1.2x the kernel's own
// time; HTTP and syscalls, the part not here, are measured with wrk
// (tools/bench-http.sh). Backend: ENGRAM_BENCH_BACKEND (default avx2 if this
// CPU runs it, else reference).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/xoshiro256.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/finite_check.h"
#include "kernelset/kernel_set.h"
#include "platform/cpu_features.h"
#include "server/json_codec.h"
#include "server/similar_fast_parse.h"
#include "store/memory_store.h"

namespace {

using namespace engram;

constexpr uint64_t kMemories = 10000, kDim = 768;

struct Fixture {
    Engine engine{std::make_shared<const MemoryStore>(
        make_synthetic_store(kMemories, kDim, 8.0, 42, 86400.0, 0.0))};
    std::string body;
    std::vector<float> query;
    Fixture() {
        Config c;
        const std::string dir = ENGRAM_BENCH_REQUEST_PLUGIN_DIR;
        c.plugins["reference"] = dir + "/libengram_reference.so";
        if (std::filesystem::exists(dir + "/libengram_avx2.so"))
            c.plugins["avx2"] = dir + "/libengram_avx2.so";
        const char* want = std::getenv("ENGRAM_BENCH_BACKEND");
        c.backends.priority = {want ? want : "avx2", "reference"};
        engine.install(build_kernel_set(c, usable_cpu_features(), 1, nullptr));
        // The same kind of body tools/bench-http.sh sends: 6 decimals each.
        Xoshiro256Core rng(1);
        body = "{\"vector\": [";
        for (uint64_t i = 0; i < kDim; ++i) {
            const double x = static_cast<double>(rng.next() >> 11) * 0x1.0p-53 * 2.0 - 1.0;
            char buf[32];
            std::snprintf(buf, sizeof buf, "%s%.6f", i ? ", " : "", x);
            body += buf;
        }
        body += "], \"k\": 10}";
        query = server::parse_similar(body).vector;
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void BM_SimilarKernelOnly(benchmark::State& state) {
    Fixture& f = fixture();
    const auto set = f.engine.snapshot();
    const auto& t = set->table(Kernel::Similarity);
    const MemoryStore& s = f.engine.store();
    const engram_shape shape{s.n, s.dim, 0};
    std::vector<char> scratch(t.scratch_bytes(ENGRAM_KERNEL_SIMILARITY, &shape) + 1);
    std::vector<float> scores(s.n);
    for (auto _ : state) {
        t.similarity(f.query.data(), s.embeddings.data(), s.norms.data(), s.n, s.dim, scores.data(),
                     scratch.data(), scratch.size());
        benchmark::ClobberMemory();
    }
    state.SetLabel(set->backend(Kernel::Similarity).name());
}
BENCHMARK(BM_SimilarKernelOnly)->Unit(benchmark::kMicrosecond);

// The engine's check that the kernel's 10,000 scores are all finite
// (core/engine/finite_check.h), on the scores the kernel above computes: the
// ratio of the two rows is the check's cost per request (target <= 1 %).
void BM_FiniteCheck10k(benchmark::State& state) {
    Fixture& f = fixture();
    const auto set = f.engine.snapshot();
    const auto& t = set->table(Kernel::Similarity);
    const MemoryStore& s = f.engine.store();
    const engram_shape shape{s.n, s.dim, 0};
    std::vector<char> scratch(t.scratch_bytes(ENGRAM_KERNEL_SIMILARITY, &shape) + 1);
    std::vector<float> scores(s.n);
    t.similarity(f.query.data(), s.embeddings.data(), s.norms.data(), s.n, s.dim, scores.data(),
                 scratch.data(), scratch.size());
    for (auto _ : state) {
        benchmark::DoNotOptimize(scores.data());
        benchmark::DoNotOptimize(first_nonfinite(scores.data(), scores.size()));
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(
        static_cast<int64_t>(state.iterations() * scores.size() * sizeof(float)));
}
BENCHMARK(BM_FiniteCheck10k)->Unit(benchmark::kMicrosecond);

void BM_EngineFindSimilar(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(f.engine.find_similar(f.query, 10));
}
BENCHMARK(BM_EngineFindSimilar)->Unit(benchmark::kMicrosecond);

// Parse + engine + encode: everything a /v1/similar handler does.
void BM_HandlerSimilar(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) {
        const auto r = server::parse_similar(f.body);
        benchmark::DoNotOptimize(
            server::encode_answer(f.engine.find_similar(r.vector, r.k), "score"));
    }
}
BENCHMARK(BM_HandlerSimilar)->Unit(benchmark::kMicrosecond);

void BM_ParseSimilarFast(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) {
        server::SimilarRequest r;
        benchmark::DoNotOptimize(server::parse_similar_fast(f.body, &r));
        benchmark::DoNotOptimize(r.vector.data());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
}
BENCHMARK(BM_ParseSimilarFast)->Unit(benchmark::kMicrosecond);

void BM_ParseSimilarJson(benchmark::State& state) {
    Fixture& f = fixture();
    for (auto _ : state) benchmark::DoNotOptimize(server::parse_similar_json(f.body).vector.data());
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.body.size()));
}
BENCHMARK(BM_ParseSimilarJson)->Unit(benchmark::kMicrosecond);

void BM_EncodeAnswer(benchmark::State& state) {
    Fixture& f = fixture();
    const KernelAnswer a = f.engine.find_similar(f.query, 10);
    for (auto _ : state) benchmark::DoNotOptimize(server::encode_answer(a, "score"));
}
BENCHMARK(BM_EncodeAnswer)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

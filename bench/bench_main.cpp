// engram_bench: every kernel x every backend the loader accepts here, and the
// peer libraries side by side, in one binary so one run compares them all.
//   engram_bench --benchmark_filter='^similarity/' --benchmark_min_time=0.05
//   ENGRAM_BENCH_PLUGIN_DIR=/path/to/plugins engram_bench
// The JSON context (--benchmark_out_format=json) records the plugin directory,
// the backends loaded and skipped, and each peer's version and thread count.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"
#include "bench_test_knobs.h"

int main(int argc, char** argv) {
    using namespace engram::bench;
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    benchmark::AddCustomContext("engram_plugin_dir", plugin_dir().string());
    benchmark::AddCustomContext("engram_backends", loaded_backends_summary());
    benchmark::AddCustomContext("engram_skipped_backends", skipped_backends_summary());
    // Test-only (bench_test_knobs.h): marks the run as deliberately slowed.
    if (!test_slowdown_spec().empty())
        benchmark::AddCustomContext("engram_test_slowdown", test_slowdown_spec());

    register_similarity_benchmarks();
    register_compressed_benchmarks();
#ifdef ENGRAM_BENCH_HAVE_OPENBLAS
    benchmark::AddCustomContext("peer_openblas", register_peer_openblas());
#endif
#ifdef ENGRAM_BENCH_HAVE_FAISS
    benchmark::AddCustomContext("peer_faiss", register_peer_faiss());
#endif
    register_roofline_benchmarks();
    register_spreading_benchmarks();
#ifdef ENGRAM_BENCH_HAVE_GRAPHBLAS
    benchmark::AddCustomContext("peer_graphblas", register_peer_graphblas());
#endif
    register_decay_benchmarks();
#ifdef ENGRAM_BENCH_HAVE_SLEEF
    benchmark::AddCustomContext("peer_sleef", register_peer_sleef());
#endif

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

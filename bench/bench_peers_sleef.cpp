// peer_sleef_expf8_u10avx2/<n>, peer_sleef_expf16_u10avx512f/<n>: the whole
// decay loop (clamp the age, divide by the per-memory stability, SLEEF's
// 1-ULP vector expf, multiply by the strength, zero non-finite lanes) over the
// same memories as decay/<backend>/<n>. Each variant is registered only when
// __builtin_cpu_supports says this CPU can run it.
#include "bench_peers_sleef.h"

#include <benchmark/benchmark.h>

#include <set>
#include <string>

#include "bench_fixtures.h"
#include "bench_suites.h"

namespace engram::bench {
namespace {

using DecayLoop = void (*)(const float*, const float*, const float*, float*, std::size_t);

void bm_sleef(benchmark::State& state, DecayLoop loop, const char* label, uint64_t n) {
    const DecayData& d = decay_data(n);
    AlignedArray<float> out(n);
    loop(d.strength.data(), d.age.data(), d.stability.data(), out.data(), n);
    static std::set<std::string> checked;
    const std::string who = std::string(label) + "/" + std::to_string(n);
    if (checked.insert(who).second)
        check_close(who, out.data(), oracle_decay(n).data(), n, 1e-37, 4e-6);
    for (auto _ : state) {
        loop(d.strength.data(), d.age.data(), d.stability.data(), out.data(), n);
        consume(out.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
    state.SetBytesProcessed(state.iterations() * decay_bytes(n));
}

}  // namespace

std::string register_peer_sleef() {
    std::string variants;
    struct Variant {
        const char* label;
        DecayLoop loop;
        bool usable;
    };
    const Variant all[] = {
        {"peer_sleef_expf8_u10avx2", &sleef_decay_avx2,
         __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")},
        {"peer_sleef_expf16_u10avx512f", &sleef_decay_avx512f,
         static_cast<bool>(__builtin_cpu_supports("avx512f"))},
    };
    for (const Variant& v : all) {
        if (!v.usable) continue;
        for (uint64_t n : kDecayCounts) {
            const std::string name = std::string(v.label) + "/" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), bm_sleef, v.loop, v.label, n);
        }
        variants += variants.empty() ? v.label : std::string(", ") + v.label;
    }
    return "sleef 3.5 (" + (variants.empty() ? std::string("no usable variant") : variants) + ")";
}

}  // namespace engram::bench

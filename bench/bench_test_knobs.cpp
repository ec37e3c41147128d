#include "bench_test_knobs.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace engram::bench {

namespace {

struct Knob {
    std::string spec;
    std::map<std::string, double> factors;  // backend -> factor (> 1)
};

[[noreturn]] void bad_spec(const std::string& spec, const char* why) {
    std::fprintf(stderr,
                 "engram_bench: ENGRAM_BENCH_TEST_SLOWDOWN=\"%s\": %s "
                 "(expected backend:factor[,backend:factor...], factor >= 1, e.g. avx2:1.10)\n",
                 spec.c_str(), why);
    std::exit(2);
}

Knob parse() {
    Knob k;
    const char* env = std::getenv("ENGRAM_BENCH_TEST_SLOWDOWN");
    if (env == nullptr || *env == '\0') return k;
    k.spec = env;
    std::size_t pos = 0;
    while (pos <= k.spec.size()) {
        std::size_t comma = k.spec.find(',', pos);
        if (comma == std::string::npos) comma = k.spec.size();
        const std::string item = k.spec.substr(pos, comma - pos);
        const std::size_t colon = item.find(':');
        if (colon == std::string::npos || colon == 0) bad_spec(k.spec, "an item has no backend:");
        const std::string value = item.substr(colon + 1);
        char* end = nullptr;
        const double f = std::strtod(value.c_str(), &end);
        if (value.empty() || end == nullptr || *end != '\0')
            bad_spec(k.spec, "a factor is not a number");
        if (!(f >= 1.0 && f <= 100.0)) bad_spec(k.spec, "a factor is outside [1, 100]");
        k.factors[item.substr(0, colon)] = f;
        pos = comma + 1;
    }
    return k;
}

const Knob& knob() {
    static const Knob k = parse();
    return k;
}

}  // namespace

const std::string& test_slowdown_spec() { return knob().spec; }

TestSlowdown::TestSlowdown(const std::string& backend) {
    const auto it = knob().factors.find(backend);
    if (it != knob().factors.end()) extra_ = it->second - 1.0;
}

uint64_t TestSlowdown::now_ns() noexcept {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
}

void TestSlowdown::spin(uint64_t start) const noexcept {
    const uint64_t now = now_ns();
    const uint64_t took = now - start;
    if (took < fastest_) fastest_ = took;
    // The call's own duration, but at most twice the fastest call so far: a
    // call the scheduler interrupted does not make the spin longer.
    const uint64_t basis = took < 2 * fastest_ ? took : 2 * fastest_;
    const uint64_t until = now + static_cast<uint64_t>(extra_ * static_cast<double>(basis));
    while (now_ns() < until) {
    }
}

}  // namespace engram::bench

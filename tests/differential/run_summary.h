// Per-backend bookkeeping of a property run: how many cases ran and failed,
// and the first few failure messages reported in full (a broken kernel fails
// thousands of cases; the first ones are what a reader needs).
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "backends.h"

namespace engram::difftest {

class RunSummary {
  public:
    static constexpr int kReportedPerBackend = 5;

    explicit RunSummary(std::string kernel) : kernel_(std::move(kernel)) {}

    void passed(const std::string& backend) { ++stats_[backend].cases; }
    // Reports the failure through Catch (the test fails) with the replay line.
    void failed(const std::string& backend, const std::string& message) {
        auto& s = stats_[backend];
        ++s.cases;
        if (++s.failures <= kReportedPerBackend) FAIL_CHECK(message);
    }
    // Every backend under test ran `expected` cases (guards against a loop
    // that silently tested nothing).
    void check_ran(const std::vector<const Backend*>& backends, uint64_t expected) const {
        for (const Backend* b : backends) {
            const auto it = stats_.find(b->name);
            INFO("backend=" << b->name);
            CHECK((it == stats_.end() ? 0 : it->second.cases) == expected);
        }
    }
    // One line per backend on stdout (ctest -V, or the log on failure).
    void print(uint64_t base_seed, const std::string& extra = "") const {
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        for (const auto& [name, s] : stats_)
            std::printf("%s backend=%s cases=%llu failed=%llu seed=0x%llx%s\n", kernel_.c_str(),
                        name.c_str(), static_cast<unsigned long long>(s.cases),
                        static_cast<unsigned long long>(s.failures),
                        static_cast<unsigned long long>(base_seed), extra.c_str());
        std::printf("%s: %.1f s\n", kernel_.c_str(), secs);
    }

  private:
    struct Stats {
        unsigned long long cases = 0, failures = 0;
    };
    std::string kernel_;
    std::map<std::string, Stats> stats_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace engram::difftest

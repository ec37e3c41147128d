// How many cases a property test runs and from which seed, read from the
// environment so a failure seen anywhere can be replayed exactly:
//   ENGRAM_TEST_SEED       base seed (decimal or 0x-hex); default kDefaultSeed
//   ENGRAM_PROPERTY_CASES  cases per kernel and backend; default kDefaultCases
//   ENGRAM_TEST_CASE       run only this case index (replaying one failure)
// An unparsable value throws: a typo must not quietly run the default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace engram::difftest {

inline constexpr uint64_t kDefaultSeed = 0x5EED0E1A2024ull;
inline constexpr uint64_t kDefaultCases = 300;

class PropertyRun {
  public:
    // kernel: "similarity", "spreading", ...; it salts the case seeds so each
    // kernel draws its own stream from the same base seed.
    explicit PropertyRun(std::string_view kernel);

    uint64_t base_seed() const { return base_seed_; }
    uint64_t cases() const { return cases_; }
    // Whether case `index` runs (all of them, or only ENGRAM_TEST_CASE).
    bool selected(uint64_t index) const { return !only_ || *only_ == index; }
    // The seed of case `index`: independent of the backend, so every backend
    // sees the same inputs, and of the case count, so case 17 is case 17 at
    // any ENGRAM_PROPERTY_CASES.
    uint64_t case_seed(uint64_t index) const;
    // "ENGRAM_TEST_SEED=0x... ENGRAM_TEST_CASE=17": what to set to replay it.
    std::string replay(uint64_t index) const;

  private:
    uint64_t base_seed_;
    uint64_t cases_;
    std::optional<uint64_t> only_;
    uint64_t salt_;
};

// Parses ENGRAM_* unsigned values; throws std::invalid_argument naming var.
std::optional<uint64_t> env_u64(const char* var);

}  // namespace engram::difftest

#include "property_env.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "prng.h"

namespace engram::difftest {

std::optional<uint64_t> env_u64(const char* var) {
    const char* v = std::getenv(var);
    if (v == nullptr || *v == '\0') return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const unsigned long long x = std::strtoull(v, &end, 0);
    if (errno != 0 || end == v || *end != '\0' || *v == '-')
        throw std::invalid_argument(std::string(var) + "='" + v + "' is not an unsigned integer");
    return static_cast<uint64_t>(x);
}

PropertyRun::PropertyRun(std::string_view kernel)
    : base_seed_(env_u64("ENGRAM_TEST_SEED").value_or(kDefaultSeed)),
      cases_(env_u64("ENGRAM_PROPERTY_CASES").value_or(kDefaultCases)),
      only_(env_u64("ENGRAM_TEST_CASE")),
      salt_(0xcbf29ce484222325ull) {
    for (char c : kernel)
        salt_ = (salt_ ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;  // FNV-1a
    if (only_ && *only_ >= cases_) cases_ = *only_ + 1;
}

uint64_t PropertyRun::case_seed(uint64_t index) const {
    uint64_t s = base_seed_ ^ salt_;
    s += index * 0xD1B54A32D192ED03ull;
    return splitmix64(s);
}

std::string PropertyRun::replay(uint64_t index) const {
    char buf[96];
    std::snprintf(buf, sizeof buf, "ENGRAM_TEST_SEED=0x%llx ENGRAM_TEST_CASE=%llu",
                  static_cast<unsigned long long>(base_seed_),
                  static_cast<unsigned long long>(index));
    return buf;
}

}  // namespace engram::difftest

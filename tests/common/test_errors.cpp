#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "common/error.h"

using namespace engram;

TEST_CASE("error codes are unique, stable strings") {
    std::set<std::string> seen;
#define ENGRAM_X_CHECK(name, str, text)                      \
    CHECK(code_string(ErrorCode::name) == std::string(str)); \
    CHECK(seen.insert(str).second);                          \
    CHECK(!code_meaning(ErrorCode::name).empty());
    ENGRAM_ERROR_CODES(ENGRAM_X_CHECK)
#undef ENGRAM_X_CHECK
    CHECK(Error(ErrorCode::PluginNotFound, "x.so: gone").describe() ==
          "E_PLUGIN_NOT_FOUND: x.so: gone");
}

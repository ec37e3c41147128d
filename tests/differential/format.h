// Number formatting for failure messages: %.9g shows every float exactly
// enough to paste back into a reproduction (std::to_string prints 1e-9 as 0).
#pragma once

#include <cstdio>
#include <string>

namespace engram::difftest {

inline std::string g(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

}  // namespace engram::difftest

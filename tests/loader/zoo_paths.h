#pragma once

#include <string>

inline std::string zoo(const std::string& name) {
    return std::string(ENGRAM_TEST_ZOO_DIR) + "/libengram_zoo_" + name + ".so";
}
inline std::string built_plugin(const std::string& name) {
    return std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_" + name + ".so";
}

// Helpers shared by the config tests: parse a TOML string against a fixed
// base directory, and get at the errors it is rejected with.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "config/config.h"

namespace cfgtest {

// Relative paths in test strings resolve against this (it need not exist).
inline const std::filesystem::path kBase = "/srv/engram/etc";
// The smallest valid [plugins]; tests append the table under test, which
// therefore starts on line 3.
inline const std::string kPlugins = "[plugins]\nreference = \"ref.so\"\n";

inline engram::Config parse(const std::string& text) {
    return engram::parse_config(text, "t.toml", kBase);
}

inline std::vector<engram::Error> errors(const std::string& text) {
    try {
        parse(text);
    } catch (const engram::ErrorList& list) {
        return list.errors();
    }
    FAIL("the config was accepted but should have been rejected:\n" << text);
    return {};
}

// The config must be rejected with exactly one error.
inline engram::Error one_error(const std::string& text) {
    const auto list = errors(text);
    std::string all;
    for (const auto& e : list) all += e.describe() + "\n";
    INFO("errors:\n" << all);
    REQUIRE(list.size() == 1);
    return list.front();
}

inline std::string message(const engram::Error& e) { return e.what(); }

}  // namespace cfgtest

// Minimal leveled logger: one line per event on stderr, text or JSON.
// Lines are written whole under a mutex so concurrent threads never interleave.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace engram::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
enum class Format { Text, Json };

void configure(Level min_level, Format format);
// Parses "debug|info|warn|error" / "text|json"; false if unknown.
bool parse_level(const std::string& s, Level* out);
bool parse_format(const std::string& s, Format* out);

using Fields = std::vector<std::pair<std::string, std::string>>;
// text: "2026-11-28T00:00:00Z info  message key=value ..."
// json: {"ts":"...","level":"info","msg":"...","key":"value",...}
void write(Level level, const std::string& message, const Fields& fields = {});

}  // namespace engram::log

#include "app/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace engram::log {

namespace {
std::atomic<Level> g_level{Level::Info};
std::atomic<Format> g_format{Format::Text};
std::mutex g_mutex;

const char* level_name(Level l) {
    switch (l) {
        case Level::Debug:
            return "debug";
        case Level::Info:
            return "info";
        case Level::Warn:
            return "warn";
        case Level::Error:
            return "error";
    }
    return "info";
}

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    return buf;
}
}  // namespace

void configure(Level min_level, Format format) {
    g_level = min_level;
    g_format = format;
}

bool parse_level(const std::string& s, Level* out) {
    for (Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error})
        if (s == level_name(l)) {
            *out = l;
            return true;
        }
    return false;
}

bool parse_format(const std::string& s, Format* out) {
    if (s == "text")
        *out = Format::Text;
    else if (s == "json")
        *out = Format::Json;
    else
        return false;
    return true;
}

void write(Level level, const std::string& message, const Fields& fields) {
    if (level < g_level.load()) return;
    std::string line;
    if (g_format.load() == Format::Json) {
        line = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + level_name(level) +
               "\",\"msg\":\"" + json_escape(message) + "\"";
        for (const auto& [k, v] : fields)
            line += ",\"" + json_escape(k) + "\":\"" + json_escape(v) + "\"";
        line += "}\n";
    } else {
        line = timestamp() + " " + level_name(level) + " " + message;
        for (const auto& [k, v] : fields) {
            const bool quote = v.find_first_of(" \"=") != std::string::npos || v.empty();
            line += " " + k + "=" + (quote ? "\"" + json_escape(v) + "\"" : v);
        }
        line += "\n";
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace engram::log

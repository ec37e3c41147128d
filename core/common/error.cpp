#include "common/error.h"

namespace engram {

std::string_view code_string(ErrorCode code) {
    switch (code) {
#define ENGRAM_X_CASE(name, str, text) \
    case ErrorCode::name:              \
        return str;
        ENGRAM_ERROR_CODES(ENGRAM_X_CASE)
#undef ENGRAM_X_CASE
    }
    return "E_UNKNOWN";
}

std::string_view code_meaning(ErrorCode code) {
    switch (code) {
#define ENGRAM_X_CASE(name, str, text) \
    case ErrorCode::name:              \
        return text;
        ENGRAM_ERROR_CODES(ENGRAM_X_CASE)
#undef ENGRAM_X_CASE
    }
    return "unknown error";
}

bool code_from_string(std::string_view s, ErrorCode* out) {
#define ENGRAM_X_FIND(name, str, text) \
    if (s == str) {                    \
        *out = ErrorCode::name;        \
        return true;                   \
    }
    ENGRAM_ERROR_CODES(ENGRAM_X_FIND)
#undef ENGRAM_X_FIND
    return false;
}

Error::Error(ErrorCode code, const std::string& message)
    : std::runtime_error(message), code_(code) {}

std::string Error::describe() const { return std::string(code_string(code_)) + ": " + what(); }

static std::string join_messages(const std::vector<Error>& errors) {
    std::string out;
    for (const auto& e : errors) {
        if (!out.empty()) out += "\n";
        out += e.describe();
    }
    return out;
}

ErrorList::ErrorList(std::vector<Error> errors)
    : std::runtime_error(join_messages(errors)), errors_(std::move(errors)) {}

}  // namespace engram

// Error values carried through the host: a stable code plus a message that
// names the file and the reason. Thrown as engram::Error where a layer cannot
// continue; collected in lists where an operator wants to see every problem.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/error_codes.h"

namespace engram {

enum class ErrorCode {
#define ENGRAM_X_ENUM(name, code, text) name,
    ENGRAM_ERROR_CODES(ENGRAM_X_ENUM)
#undef ENGRAM_X_ENUM
};

// "E_PLUGIN_NOT_FOUND" and friends: what logs, HTTP bodies and docs show.
std::string_view code_string(ErrorCode code);
// The one-line meaning from the table.
std::string_view code_meaning(ErrorCode code);
// The code whose code_string() is `s` (the validation child reports codes
// as text); false if there is none.
bool code_from_string(std::string_view s, ErrorCode* out);

class Error : public std::runtime_error {
  public:
    Error(ErrorCode code, const std::string& message);
    ErrorCode code() const noexcept { return code_; }
    // "E_CODE: message"
    std::string describe() const;

  private:
    ErrorCode code_;
};

// Several problems found in one pass (config validation lists them all).
class ErrorList : public std::runtime_error {
  public:
    explicit ErrorList(std::vector<Error> errors);
    const std::vector<Error>& errors() const noexcept { return errors_; }

  private:
    std::vector<Error> errors_;
};

}  // namespace engram

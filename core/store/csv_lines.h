// The CSV dialect shared by the edges and memories files: one record per
// line, comma-separated, no quoting (all fields are numbers); spaces around
// fields, blank lines, '#' comment lines, CRLF line ends and a UTF-8 BOM are
// tolerated; an optional header equal to the expected column names may be the
// first record. Every error names FILE:LINE so an operator can go straight to
// the offending row.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace engram::detail {

class CsvLines {
  public:
    // `columns` is the header text, e.g. "source,target,weight".
    CsvLines(const std::filesystem::path& file, std::string_view columns);

    // Advances to the next record; false at the end of the file.
    bool next();

    // The current record's line number (1-based) and trimmed fields.
    uint64_t line() const { return line_no_; }
    const std::vector<std::string_view>& fields() const { return fields_; }

    // "FILE:LINE: reason" with the given code.
    [[noreturn]] void fail(ErrorCode code, const std::string& reason) const;

    // Field i as a memory id < n_memories (E_DATA_CSV if not an integer,
    // E_DATA_INCONSISTENT if out of range: the file disagrees with the
    // embeddings about how many memories there are).
    uint32_t id_field(size_t i, std::string_view name, uint64_t n_memories) const;
    // Field i as a finite double (E_DATA_CSV otherwise).
    double real_field(size_t i, std::string_view name) const;
    // Field i quoted for an error message ('abc'), shortened if long.
    std::string quoted_field(size_t i) const;

  private:
    void split(std::string_view text);

    std::string name_;
    std::string columns_;
    size_t n_columns_;
    std::ifstream in_;
    std::string text_;
    uint64_t line_no_ = 0;
    bool seen_record_ = false;
    std::vector<std::string_view> fields_;
};

}  // namespace engram::detail

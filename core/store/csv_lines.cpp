#include "store/csv_lines.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace engram::detail {

namespace {

std::string_view trim(std::string_view s) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// Shows a field in an error message without flooding it.
std::string quoted(std::string_view field) {
    constexpr size_t kMax = 40;
    if (field.size() <= kMax) return "'" + std::string(field) + "'";
    return "'" + std::string(field.substr(0, kMax)) + "...'";
}

}  // namespace

CsvLines::CsvLines(const std::filesystem::path& file, std::string_view columns)
    : name_(file.string()),
      columns_(columns),
      n_columns_(static_cast<size_t>(std::count(columns.begin(), columns.end(), ',')) + 1) {
    // Opening a directory succeeds on Linux and only the read fails.
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        throw Error(ErrorCode::DataRead, name_ + ": is a directory, not a file");
    in_.open(file, std::ios::binary);
    if (!in_) throw Error(ErrorCode::DataRead, name_ + ": cannot open: " + std::strerror(errno));
}

void CsvLines::fail(ErrorCode code, const std::string& reason) const {
    throw Error(code, name_ + ":" + std::to_string(line_no_) + ": " + reason);
}

void CsvLines::split(std::string_view text) {
    fields_.clear();
    for (;;) {
        const size_t comma = text.find(',');
        fields_.push_back(trim(text.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
}

bool CsvLines::next() {
    while (std::getline(in_, text_)) {
        ++line_no_;
        std::string_view text = text_;
        if (line_no_ == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
        text = trim(text);
        if (text.empty() || text.front() == '#') continue;

        split(text);
        const bool first = !seen_record_;
        seen_record_ = true;
        if (first) {
            // The header, compared field by field so " source , target" counts.
            std::string joined;
            for (size_t i = 0; i < fields_.size(); ++i) {
                if (i > 0) joined += ',';
                joined += fields_[i];
            }
            if (joined == columns_) continue;
        }
        if (fields_.size() != n_columns_)
            fail(ErrorCode::DataCsv, "expected " + std::to_string(n_columns_) + " fields (" +
                                         columns_ + "), got " + std::to_string(fields_.size()));
        return true;
    }
    if (in_.bad()) throw Error(ErrorCode::DataRead, name_ + ": read failed");
    return false;
}

uint32_t CsvLines::id_field(size_t i, std::string_view name, uint64_t n_memories) const {
    const std::string_view f = fields_[i];
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    if (f.empty() || ec == std::errc::invalid_argument || end != f.data() + f.size())
        fail(ErrorCode::DataCsv,
             std::string(name) + " " + quoted(f) + " is not a non-negative integer");
    if (ec == std::errc::result_out_of_range || value >= n_memories)
        fail(ErrorCode::DataInconsistent, std::string(name) + " " + quoted(f) +
                                              " is out of range: the embeddings have " +
                                              std::to_string(n_memories) + " memories");
    // n_memories <= 2^32 is the caller's invariant, so the id fits.
    return static_cast<uint32_t>(value);
}

std::string CsvLines::quoted_field(size_t i) const { return quoted(fields_[i]); }

double CsvLines::real_field(size_t i, std::string_view name) const {
    const std::string_view f = fields_[i];
    double value = 0.0;
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    if (f.empty() || ec == std::errc::invalid_argument || end != f.data() + f.size())
        fail(ErrorCode::DataCsv, std::string(name) + " " + quoted(f) + " is not a number");
    if (ec == std::errc::result_out_of_range)
        fail(ErrorCode::DataCsv, std::string(name) + " " + quoted(f) + " is out of double range");
    if (!std::isfinite(value))
        fail(ErrorCode::DataCsv, std::string(name) + " " + quoted(f) + " is not finite");
    return value;
}

}  // namespace engram::detail

// Reading one TOML table against its schema while collecting every problem.
// Internal to core/config: the rest of the host never sees toml++.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace engram::config_detail {

struct Pos {
    uint32_t line = 1;
    uint32_t column = 1;
};
Pos pos_of(const toml::source_region& region);
// Where to point for a key: its name, or the "[table]" header when that comes
// first (a header's key position is one column inside the bracket).
Pos pos_of(const toml::key& key, const toml::node& value);

// "string", "integer", ...: the TOML spelling, for "expected X, got Y".
const char* type_name(const toml::node& node);

// Every problem found in one file, reported together and sorted by position
// (toml++ iterates tables in key order, not in document order).
class Diagnostics {
  public:
    explicit Diagnostics(std::string file) : file_(std::move(file)) {}
    void add(ErrorCode code, Pos pos, const std::string& message);
    bool empty() const { return entries_.empty(); }
    // Throws engram::ErrorList if anything was added.
    void throw_if_any() const;

  private:
    struct Entry {
        Pos pos;
        ErrorCode code;
        std::string message;
    };
    std::string file_;
    std::vector<Entry> entries_;
};

// One table with a fixed set of keys. The constructor reports unknown keys;
// the getters report wrong types and out-of-range values and return nothing
// for a key that is absent or invalid, so the caller keeps its default.
class Section {
  public:
    // `table` may be null (the table is absent): every getter then returns
    // nothing. `label` is how messages name the table, e.g. "[server]".
    Section(Diagnostics& diag, const toml::table* table, std::string label,
            std::initializer_list<std::string_view> known);

    bool present() const { return table_ != nullptr; }
    bool has(std::string_view key) const;
    Pos table_pos() const;
    Pos key_pos(std::string_view key) const;
    const std::string& label() const { return label_; }
    // Where the key's name is written (for "this key is not allowed here").
    Pos name_pos(std::string_view key) const;
    // Reports "<label> <key>: <reason>" at the key's value.
    void error(ErrorCode code, std::string_view key, const std::string& reason) const;
    // Reports `message` as is, at `pos`.
    void report(ErrorCode code, Pos pos, const std::string& message) const;

    std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max) const;
    // Accepts a TOML integer or float; must be finite and within [min, max]
    // (or (min, max] when min_exclusive).
    std::optional<double> number(std::string_view key, double min, double max,
                                 bool min_exclusive = false) const;
    std::optional<std::string> string(std::string_view key) const;
    std::optional<std::string> one_of(std::string_view key,
                                      std::initializer_list<std::string_view> allowed) const;
    std::optional<bool> boolean(std::string_view key) const;
    // The raw node, for values with more than one accepted type.
    const toml::node* node(std::string_view key) const;
    // Reports a type error "expected <expected>, got <type>" for `key`.
    void type_error(std::string_view key, std::string_view expected) const;

  private:
    Diagnostics& diag_;
    const toml::table* table_;
    std::string label_;
};

// The sub-table `name` of `root`: null if absent; if present with another type,
// reports E_CONFIG_TYPE and returns null.
const toml::table* sub_table(Diagnostics& diag, const toml::table& root, std::string_view name);

// "a, b, c"
std::string join(const std::vector<std::string>& items);

}  // namespace engram::config_detail

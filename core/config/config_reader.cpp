#include "config/config_reader.h"

#include <algorithm>
#include <cmath>

#include "config/config_values.h"

namespace engram::config_detail {

using config_values::format_double;
using config_values::quote;

Pos pos_of(const toml::source_region& region) {
    // toml++ leaves positions at 0 for nodes it built itself; point at the
    // file's start rather than print a line 0 no editor can jump to.
    if (region.begin.line == 0) return Pos{};
    return Pos{region.begin.line, region.begin.column == 0 ? 1u : region.begin.column};
}

static bool before(Pos a, Pos b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
}

Pos pos_of(const toml::key& key, const toml::node& value) {
    const Pos k = pos_of(key.source());
    const Pos v = pos_of(value.source());
    return value.is_table() && before(v, k) ? v : k;
}

const char* type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table:
            return "table";
        case toml::node_type::array:
            return "array";
        case toml::node_type::string:
            return "string";
        case toml::node_type::integer:
            return "integer";
        case toml::node_type::floating_point:
            return "float";
        case toml::node_type::boolean:
            return "boolean";
        case toml::node_type::date:
            return "date";
        case toml::node_type::time:
            return "time";
        case toml::node_type::date_time:
            return "date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

void Diagnostics::add(ErrorCode code, Pos pos, const std::string& message) {
    entries_.push_back(Entry{pos, code, message});
}

void Diagnostics::throw_if_any() const {
    if (entries_.empty()) return;
    std::vector<Entry> sorted = entries_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Entry& a, const Entry& b) { return before(a.pos, b.pos); });
    std::vector<Error> errors;
    errors.reserve(sorted.size());
    for (const auto& e : sorted) {
        errors.emplace_back(e.code, file_ + ":" + std::to_string(e.pos.line) + ":" +
                                        std::to_string(e.pos.column) + ": " + e.message);
    }
    throw ErrorList(std::move(errors));
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

Section::Section(Diagnostics& diag, const toml::table* table, std::string label,
                 std::initializer_list<std::string_view> known)
    : diag_(diag), table_(table), label_(std::move(label)) {
    if (!table_) return;
    std::vector<std::string> names(known.begin(), known.end());
    for (auto&& [key, value] : *table_) {
        if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
        diag_.add(ErrorCode::ConfigUnknownKey, pos_of(key, value),
                  label_ + " unknown key " + quote(key.str()) + " (known: " + join(names) + ")");
    }
}

bool Section::has(std::string_view key) const { return node(key) != nullptr; }

const toml::node* Section::node(std::string_view key) const {
    return table_ ? table_->get(key) : nullptr;
}

Pos Section::table_pos() const { return table_ ? pos_of(table_->source()) : Pos{}; }

Pos Section::key_pos(std::string_view key) const {
    const toml::node* n = node(key);
    return n ? pos_of(n->source()) : table_pos();
}

Pos Section::name_pos(std::string_view key) const {
    if (!table_) return Pos{};
    const auto it = table_->find(key);
    return it == table_->end() ? table_pos() : pos_of(it->first, it->second);
}

void Section::report(ErrorCode code, Pos pos, const std::string& message) const {
    diag_.add(code, pos, message);
}

void Section::error(ErrorCode code, std::string_view key, const std::string& reason) const {
    diag_.add(code, key_pos(key), label_ + " " + std::string(key) + ": " + reason);
}

void Section::type_error(std::string_view key, std::string_view expected) const {
    error(ErrorCode::ConfigType, key,
          "expected " + std::string(expected) + ", got " + type_name(*node(key)));
}

std::optional<int64_t> Section::integer(std::string_view key, int64_t min, int64_t max) const {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    const auto* v = n->as_integer();
    if (!v) {
        type_error(key, "an integer");
        return std::nullopt;
    }
    const int64_t x = v->get();
    if (x < min || x > max) {
        const std::string range =
            max == INT64_MAX ? "must be >= " + std::to_string(min)
                             : "must be " + std::to_string(min) + ".." + std::to_string(max);
        error(ErrorCode::ConfigValue, key, std::to_string(x) + " is out of range (" + range + ")");
        return std::nullopt;
    }
    return x;
}

std::optional<double> Section::number(std::string_view key, double min, double max,
                                      bool min_exclusive) const {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    double x = 0;
    if (const auto* f = n->as_floating_point()) {
        x = f->get();
    } else if (const auto* i = n->as_integer()) {
        x = static_cast<double>(i->get());
    } else {
        type_error(key, "a number");
        return std::nullopt;
    }
    if (!std::isfinite(x)) {
        error(ErrorCode::ConfigValue, key, format_double(x) + " is not a finite number");
        return std::nullopt;
    }
    const bool low = min_exclusive ? x <= min : x < min;
    if (low || x > max) {
        const std::string range =
            std::isinf(max)
                ? std::string(min_exclusive ? "must be > " : "must be >= ") + format_double(min)
                : std::string("must be ") + (min_exclusive ? "> " : "") + format_double(min) +
                      ".." + format_double(max);
        error(ErrorCode::ConfigValue, key, format_double(x) + " is out of range (" + range + ")");
        return std::nullopt;
    }
    return x;
}

std::optional<std::string> Section::string(std::string_view key) const {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    const auto* v = n->as_string();
    if (!v) {
        type_error(key, "a string");
        return std::nullopt;
    }
    return v->get();
}

std::optional<std::string> Section::one_of(std::string_view key,
                                           std::initializer_list<std::string_view> allowed) const {
    auto s = string(key);
    if (!s) return std::nullopt;
    if (std::find(allowed.begin(), allowed.end(), *s) != allowed.end()) return s;
    std::vector<std::string> names;
    for (auto a : allowed) names.push_back(quote(a));
    error(ErrorCode::ConfigValue, key, quote(*s) + " is not one of " + join(names));
    return std::nullopt;
}

std::optional<bool> Section::boolean(std::string_view key) const {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    const auto* v = n->as_boolean();
    if (!v) {
        type_error(key, "a boolean");
        return std::nullopt;
    }
    return v->get();
}

const toml::table* sub_table(Diagnostics& diag, const toml::table& root, std::string_view name) {
    const toml::node* n = root.get(name);
    if (!n) return nullptr;
    if (const auto* t = n->as_table()) return t;
    diag.add(ErrorCode::ConfigType, pos_of(n->source()),
             "[" + std::string(name) + "]: expected a table, got " + type_name(*n));
    return nullptr;
}

}  // namespace engram::config_detail

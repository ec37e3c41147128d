// [plugins] and [backends]: which plugin files exist, and which one serves
// each kernel.
#include <algorithm>
#include <optional>
#include <vector>

#include "config/config_sections.h"
#include "config/config_values.h"

namespace engram::config_detail {

using config_values::is_valid_name;
using config_values::quote;

// Why `name` is not a valid plugin name: the message tail after "[plugins] "NAME": ".
static std::string name_problem(const std::string& name) {
    bool chars_ok = !name.empty();
    for (char c : name)
        chars_ok = chars_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (chars_ok && name.size() > config_values::kMaxNameLength)
        return "invalid plugin name: " + std::to_string(name.size()) + " characters, at most " +
               std::to_string(config_values::kMaxNameLength) + " are allowed";
    return "invalid plugin name (use [a-z0-9_]{1,64})";
}

static bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A SHA-256 digest as 64 hex digits, either case; returns it in lower case.
static std::optional<std::string> normalise_sha256(const std::string& text) {
    if (text.size() != 64) return std::nullopt;
    std::string out = text;
    for (char& c : out) {
        if (!is_hex_digit(c)) return std::nullopt;
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

// The table form of an entry: name = { path = "...", sha256 = "...",
// strict_permissions = false }, or the same as a [plugins.name] sub-table.
static void read_plugin_table(Diagnostics& diag, const std::string& name, const toml::table& table,
                              const std::filesystem::path& base_dir, Config& cfg) {
    const Section s(diag, &table, "[plugins." + name + "]",
                    {"path", "sha256", "strict_permissions"});
    bool ok = true;
    std::filesystem::path path;
    if (!s.has("path")) {
        s.report(ErrorCode::ConfigMissing, s.table_pos(),
                 s.label() + " path: required (the plugin's file)");
        ok = false;
    } else if (auto v = s.string("path")) {
        if (v->empty()) {
            s.error(ErrorCode::ConfigValue, "path", "the path is empty");
            ok = false;
        } else {
            path = config_values::resolve_path(base_dir, *v);
        }
    } else {
        ok = false;
    }
    PluginPolicy policy;
    if (s.has("sha256")) {
        if (auto v = s.string("sha256")) {
            if (auto digest = normalise_sha256(*v)) {
                policy.sha256 = *digest;
            } else {
                s.error(ErrorCode::ConfigValue, "sha256",
                        quote(*v) + " is not a SHA-256 digest (expected 64 hexadecimal " +
                            "digits, as engramctl digest prints; got " + std::to_string(v->size()) +
                            " characters)");
                ok = false;
            }
        } else {
            ok = false;
        }
    }
    if (s.has("strict_permissions")) {
        if (auto v = s.boolean("strict_permissions"))
            policy.strict_permissions = *v;
        else
            ok = false;
    }
    if (!ok) return;
    cfg.plugins[name] = path;
    cfg.plugin_policy[name] = policy;
}

std::set<std::string> read_plugins(Diagnostics& diag, const toml::table& root,
                                   const std::filesystem::path& base_dir, Config& cfg) {
    std::set<std::string> keys;
    const toml::table* table = sub_table(diag, root, "plugins");
    if (!table) {
        if (!root.get("plugins"))
            diag.add(ErrorCode::ConfigMissing, Pos{},
                     "[plugins] is missing: at least one plugin (name = \"path\") is required");
        return keys;
    }
    if (table->empty()) {
        diag.add(ErrorCode::ConfigMissing, pos_of(table->source()),
                 "[plugins] is empty: at least one plugin (name = \"path\") is required");
        return keys;
    }
    for (auto&& [key, value] : *table) {
        const std::string name(key.str());
        keys.insert(name);
        if (!is_valid_name(name)) {
            diag.add(ErrorCode::ConfigValue, pos_of(key, value),
                     "[plugins] " + quote(name) + ": " + name_problem(name));
            continue;
        }
        if (const auto* sub = value.as_table()) {
            read_plugin_table(diag, name, *sub, base_dir, cfg);
            continue;
        }
        const auto* path = value.as_string();
        if (!path) {
            diag.add(ErrorCode::ConfigType, pos_of(value.source()),
                     "[plugins] " + name +
                         ": expected a string (the plugin's path) or a table { path = ... }, got " +
                         type_name(value));
            continue;
        }
        if (path->get().empty()) {
            diag.add(ErrorCode::ConfigValue, pos_of(value.source()),
                     "[plugins] " + name + ": the path is empty");
            continue;
        }
        cfg.plugins[name] = config_values::resolve_path(base_dir, path->get());
        cfg.plugin_policy[name] = PluginPolicy{};
    }
    return keys;
}

static std::string known_plugins(const std::set<std::string>& keys) {
    if (keys.empty()) return "no plugins are configured";
    return "known plugins: " + join(std::vector<std::string>(keys.begin(), keys.end()));
}

// The priority list: names, no duplicates. Names need not be in [plugins]:
// one list is meant to be shared by machines with different plugins.
static void read_priority(const Section& s, std::vector<std::string>& out) {
    const toml::node* n = s.node("priority");
    if (!n) return;
    const auto* array = n->as_array();
    if (!array) {
        s.type_error("priority", "an array of strings");
        return;
    }
    bool ok = true;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = *array->get(i);
        const std::string where = s.label() + " priority[" + std::to_string(i) + "]: ";
        const auto* str = item.as_string();
        if (!str) {
            s.report(ErrorCode::ConfigType, pos_of(item.source()),
                     where + "expected a string, got " + type_name(item));
            ok = false;
        } else if (!is_valid_name(str->get())) {
            s.report(ErrorCode::ConfigValue, pos_of(item.source()),
                     where + quote(str->get()) + " is not a valid plugin name ([a-z0-9_]{1,64})");
            ok = false;
        } else if (std::find(names.begin(), names.end(), str->get()) != names.end()) {
            s.report(ErrorCode::ConfigValue, pos_of(item.source()),
                     where + quote(str->get()) + " is listed more than once");
            ok = false;
        } else {
            names.push_back(str->get());
        }
    }
    if (ok) out = std::move(names);
}

void read_backends(Diagnostics& diag, const toml::table& root,
                   const std::set<std::string>& plugin_keys, BackendsConfig& out) {
    const Section s(diag, sub_table(diag, root, "backends"), "[backends]",
                    {"similarity", "spreading", "decay", "priority"});
    for (Kernel k : kAllKernels) {
        const char* key = kernel_name(k);
        std::string& field = k == Kernel::Similarity  ? out.similarity
                             : k == Kernel::Spreading ? out.spreading
                                                      : out.decay;
        auto v = s.string(key);
        if (!v) continue;
        if (*v == "auto" || plugin_keys.count(*v)) {
            field = *v;
        } else {
            s.error(ErrorCode::ConfigValue, key,
                    quote(*v) + " is neither \"auto\" nor a [plugins] key (" +
                        known_plugins(plugin_keys) + ")");
        }
    }
    // Whether "auto" can then find anything is the kernel set's question: it
    // depends on which plugins load on this machine, not on the file alone.
    read_priority(s, out.priority);
}

}  // namespace engram::config_detail

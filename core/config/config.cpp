// Entry points of the config layer: read the file, parse the TOML, check the
// top level, and hand each table to its reader (config_*.cpp).
#include "config/config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/error.h"
#include "config/config_reader.h"
#include "config/config_sections.h"
#include "config/config_values.h"

namespace engram {

const char* kernel_name(Kernel k) {
    switch (k) {
        case Kernel::Similarity:
            return "similarity";
        case Kernel::Spreading:
            return "spreading";
        case Kernel::Decay:
            return "decay";
    }
    return "unknown";
}

const char* embedding_format_name(EmbeddingFormat f) {
    switch (f) {
        case EmbeddingFormat::F32:
            return "f32";
        case EmbeddingFormat::Bf16:
            return "bf16";
        case EmbeddingFormat::Int8:
            return "int8";
    }
    return "unknown";
}

const std::string& BackendsConfig::for_kernel(Kernel k) const {
    switch (k) {
        case Kernel::Similarity:
            return similarity;
        case Kernel::Spreading:
            return spreading;
        case Kernel::Decay:
            return decay;
    }
    return similarity;  // unreachable for a valid Kernel
}

const PluginPolicy& Config::policy_for(const std::string& plugin) const {
    static const PluginPolicy kDefaults;
    const auto it = plugin_policy.find(plugin);
    return it == plugin_policy.end() ? kDefaults : it->second;
}

namespace {

using config_detail::Diagnostics;
using config_detail::pos_of;

constexpr std::string_view kTables[] = {"plugins",    "backends", "store",   "server",  "arena",
                                        "validation", "security", "rollout", "watchdog"};

[[noreturn]] void throw_one(ErrorCode code, const std::string& message) {
    throw ErrorList({Error(code, message)});
}

// Unknown top-level names. Known ones that are not tables are reported by
// sub_table, as type errors.
void check_top_level(Diagnostics& diag, const toml::table& root) {
    std::string known;
    for (auto t : kTables) known += (known.empty() ? "" : ", ") + std::string(t);
    for (auto&& [key, value] : root) {
        bool is_known = false;
        for (auto t : kTables) is_known = is_known || key.str() == t;
        if (is_known) continue;
        const std::string what = value.is_table()
                                     ? "unknown table [" + std::string(key.str()) + "]"
                                     : "unknown top-level key " + config_values::quote(key.str());
        diag.add(ErrorCode::ConfigUnknownKey, pos_of(key, value),
                 what + " (known tables: " + known + ")");
    }
}

// The whole file, or E_CONFIG_READ with the OS's reason.
std::string read_file(const std::filesystem::path& file) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
    if (!f)
        throw_one(ErrorCode::ConfigRead,
                  file.string() + ": cannot open config file: " + std::strerror(errno));
    std::string text;
    char buf[65536];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) text.append(buf, n);
    // A directory opens fine on Linux and fails here with EISDIR.
    if (std::ferror(f.get()))
        throw_one(ErrorCode::ConfigRead,
                  file.string() + ": cannot read config file: " + std::strerror(errno));
    return text;
}

}  // namespace

Config parse_config(const std::string& toml_text, const std::string& name,
                    const std::filesystem::path& base_dir) {
    toml::table root;
    try {
        root = toml::parse(std::string_view(toml_text), std::string_view(name));
    } catch (const toml::parse_error& e) {
        const auto pos = pos_of(e.source());
        throw_one(ErrorCode::ConfigSyntax, name + ":" + std::to_string(pos.line) + ":" +
                                               std::to_string(pos.column) + ": " +
                                               std::string(e.description()));
    }

    const std::filesystem::path base = std::filesystem::absolute(base_dir).lexically_normal();
    Config cfg;
    cfg.source = (base / std::filesystem::path(name).filename()).lexically_normal();
    Diagnostics diag(name);
    check_top_level(diag, root);
    const auto plugin_keys = config_detail::read_plugins(diag, root, base, cfg);
    config_detail::read_backends(diag, root, plugin_keys, cfg.backends);
    config_detail::read_store(diag, root, base, cfg.store);
    config_detail::read_server(diag, root, base, cfg.server);
    config_detail::read_arena(diag, root, cfg.arena);
    config_detail::read_validation(diag, root, cfg.validation);
    config_detail::read_security(diag, root, base, cfg.security);
    config_detail::read_rollouts(diag, root, plugin_keys, cfg.backends, cfg.rollout);
    config_detail::read_watchdog(diag, root, cfg.watchdog);
    diag.throw_if_any();
    return cfg;
}

Config load_config(const std::filesystem::path& file) {
    const std::string text = read_file(file);
    const std::filesystem::path absolute = std::filesystem::absolute(file).lexically_normal();
    // Messages use the path as the operator wrote it, like a compiler does.
    Config cfg = parse_config(text, file.string(), absolute.parent_path());
    cfg.source = absolute;
    return cfg;
}

}  // namespace engram

// [server] and [arena] (the per-thread scratch arena, core/arena/arena.h).
#include "config/config_sections.h"
#include "config/config_values.h"

namespace engram::config_detail {

using config_values::quote;

void read_server(Diagnostics& diag, const toml::table& root, const std::filesystem::path& base_dir,
                 ServerConfig& out) {
    const Section s(diag, sub_table(diag, root, "server"), "[server]",
                    {"listen", "threads", "log_level", "log_format", "pid_file",
                     "allow_remote_admin", "kernel_threads", "kernel_split_min_rows"});
    if (auto v = s.string("listen")) {
        if (auto reason = config_values::check_listen(*v))
            s.error(ErrorCode::ConfigValue, "listen", quote(*v) + ": " + *reason);
        else
            out.listen = *v;
    }
    if (auto v = s.integer("threads", 1, 256)) out.threads = static_cast<unsigned>(*v);
    if (auto v = s.one_of("log_level", {"debug", "info", "warn", "error"})) out.log_level = *v;
    if (auto v = s.one_of("log_format", {"text", "json"})) out.log_format = *v;
    // Empty means "no pid file"; anything else is a path like the others.
    if (auto v = s.string("pid_file"))
        out.pid_file = v->empty() ? "" : config_values::resolve_path(base_dir, *v).string();
    if (auto v = s.boolean("allow_remote_admin")) out.allow_remote_admin = *v;
    // Bounds: core/engine/kernel_pool.h (kMaxKernelThreads, kSplitAlignRows).
    if (auto v = s.integer("kernel_threads", 1, 64)) out.kernel_threads = static_cast<unsigned>(*v);
    if (auto v = s.integer("kernel_split_min_rows", 128, 4294967295))
        out.kernel_split_min_rows = static_cast<uint64_t>(*v);
}

void read_arena(Diagnostics& diag, const toml::table& root, ArenaConfig& out) {
    constexpr uint64_t kMin = 4096;
    constexpr uint64_t kMax = uint64_t{64} << 30;
    const Section s(diag, sub_table(diag, root, "arena"), "[arena]", {"size", "overflow"});
    if (const toml::node* n = s.node("size")) {
        std::optional<uint64_t> bytes;
        std::string shown;
        if (const auto* i = n->as_integer()) {
            if (i->get() < 0) {
                s.error(ErrorCode::ConfigValue, "size", std::to_string(i->get()) + " is negative");
            } else {
                bytes = static_cast<uint64_t>(i->get());
                shown = std::to_string(*bytes);
            }
        } else if (const auto* str = n->as_string()) {
            std::string reason;
            bytes = config_values::parse_size(str->get(), reason);
            if (!bytes) s.error(ErrorCode::ConfigValue, "size", quote(str->get()) + ": " + reason);
            shown = quote(str->get());
        } else {
            s.type_error("size", "an integer (bytes) or a string like \"1MiB\"");
        }
        if (bytes && (*bytes < kMin || *bytes > kMax)) {
            s.error(ErrorCode::ConfigValue, "size",
                    shown + " is out of range (must be 4KiB..64GiB, i.e. 4096..68719476736 bytes)");
        } else if (bytes) {
            out.size = *bytes;
        }
    }
    if (auto v = s.one_of("overflow", {"panic", "error", "fallback"})) out.overflow = *v;
}

}  // namespace engram::config_detail

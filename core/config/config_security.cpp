// [validation] (limits of the child process a new plugin file is tested in)
// and [security] (detached signatures of plugin files).
#include "config/config_sections.h"
#include "config/config_values.h"

namespace engram::config_detail {

void read_validation(Diagnostics& diag, const toml::table& root, ValidationConfig& out) {
    const Section s(diag, sub_table(diag, root, "validation"), "[validation]",
                    {"timeout_seconds", "address_space_mib", "cpu_seconds"});
    if (auto v = s.number("timeout_seconds", 0.1, 600.0)) out.timeout_seconds = *v;
    if (auto v = s.integer("address_space_mib", 256, 1048576))
        out.address_space_mib = static_cast<uint64_t>(*v);
    if (auto v = s.integer("cpu_seconds", 1, 3600)) out.cpu_seconds = static_cast<uint64_t>(*v);
}

void read_security(Diagnostics& diag, const toml::table& root,
                   const std::filesystem::path& base_dir, SecurityConfig& out) {
    const Section s(diag, sub_table(diag, root, "security"), "[security]",
                    {"require_signature", "trusted_keys_dir"});
    if (auto v = s.boolean("require_signature")) out.require_signature = *v;
    if (auto v = s.string("trusted_keys_dir")) {
        if (v->empty())
            s.error(ErrorCode::ConfigValue, "trusted_keys_dir", "the path is empty");
        else
            out.trusted_keys_dir = config_values::resolve_path(base_dir, *v);
    }
    // Only when the key is absent: a present but invalid one is reported above.
    if (out.require_signature && !s.has("trusted_keys_dir"))
        s.report(ErrorCode::ConfigMissing, s.table_pos(),
                 "[security] trusted_keys_dir: required when require_signature = true");
}

}  // namespace engram::config_detail

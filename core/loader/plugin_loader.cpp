#include "loader/plugin_loader.h"

#include <boost/dll/shared_library.hpp>
#include <cstring>
#include <mutex>
#include <regex>
#include <vector>

#include "common/error.h"
#include "common/file_stamp.h"
#include "common/sha256.h"
#include "loader/elf_check.h"
#include "loader/negotiate.h"
#include "loader/private_copy.h"
#include "loader/provenance.h"
#include "loader/self_test.h"
#include "platform/cpu_features.h"

namespace engram {

namespace {

// Plugins are never unmapped: a thread a plugin started may still run its
// code after the host stopped using it, and unmapping would crash the host
// then (docs/internal/architecture.md, "Threat model"). A retired library
// costs its mapping; a process sees one per distinct plugin file it loaded.
void retire(boost::dll::shared_library lib) {
    static std::mutex mutex;
    static auto* retired =
        new std::vector<boost::dll::shared_library>();  // never destroyed, on purpose
    std::lock_guard<std::mutex> lock(mutex);
    retired->push_back(std::move(lib));
}

class LoadedPlugin final : public Plugin {
  public:
    LoadedPlugin(std::filesystem::path path, boost::dll::shared_library lib,
                 const engram_kernel_table& table, std::string sha256,
                 std::optional<FileStamp> stamp)
        : path_(std::move(path)),
          lib_(std::move(lib)),
          table_(table),
          sha256_(std::move(sha256)),
          stamp_(std::move(stamp)) {}
    ~LoadedPlugin() override { retire(std::move(lib_)); }

    const std::filesystem::path& path() const override { return path_; }
    const engram_kernel_table& table() const override { return table_; }
    const std::string& sha256() const override { return sha256_; }
    const std::optional<FileStamp>& file_stamp() const override { return stamp_; }

  private:
    std::filesystem::path path_;
    boost::dll::shared_library lib_;
    engram_kernel_table table_;  // pointers into lib_, valid while it is mapped (always)
    std::string sha256_;
    std::optional<FileStamp> stamp_;
};

// Removes the private copy once dlopen has mapped it (or failed to).
struct CopyRemover {
    std::filesystem::path copy;
    ~CopyRemover() {
        std::error_code ec;
        std::filesystem::remove(copy, ec);
    }
};

[[noreturn]] void refuse(ErrorCode code, const std::filesystem::path& file,
                         const std::string& why) {
    throw Error(code, file.string() + ": " + why);
}

}  // namespace

// ABI negotiation in the Vulkan manner: struct_size first, refuse another
// major, accept any minor, read only the prefix both sides know.
engram_kernel_table negotiate_table(const engram_kernel_table* raw,
                                    const std::filesystem::path& file) {
    if (raw == nullptr)
        refuse(ErrorCode::PluginNullTable, file, "entry point returned a null table");
    constexpr uint32_t kHeader = offsetof(engram_kernel_table, name);
    if (raw->struct_size < kHeader)
        refuse(ErrorCode::AbiStructSize, file,
               "table struct_size " + std::to_string(raw->struct_size) +
                   " is too small to hold a version");
    if (raw->abi_major != ENGRAM_ABI_MAJOR)
        refuse(ErrorCode::AbiMajorMismatch, file,
               "plugin ABI " + std::to_string(raw->abi_major) + "." +
                   std::to_string(raw->abi_minor) + ", host speaks ABI " +
                   std::to_string(ENGRAM_ABI_MAJOR) + "." + std::to_string(ENGRAM_ABI_MINOR) +
                   " (major versions must match)");
    if (raw->struct_size < ENGRAM_KERNEL_TABLE_V1_0_SIZE)
        refuse(ErrorCode::AbiStructSize, file,
               "table struct_size " + std::to_string(raw->struct_size) + " < " +
                   std::to_string(ENGRAM_KERNEL_TABLE_V1_0_SIZE) + " required by ABI 1.0");
    engram_kernel_table t;
    std::memset(&t, 0, sizeof t);
    std::memcpy(&t, raw, std::min<size_t>(raw->struct_size, sizeof t));
    // Optional fields of later minors count only when the plugin's table
    // holds them whole: a struct_size that ends inside a pointer (a
    // malformed table) must not hand the host half a pointer.
    const auto holds = [&](size_t offset, size_t size) {
        return raw->struct_size >= offset + size;
    };
    if (!holds(offsetof(engram_kernel_table, similarity_bf16), sizeof t.similarity_bf16))
        t.similarity_bf16 = nullptr;
    if (!holds(offsetof(engram_kernel_table, similarity_int8), sizeof t.similarity_int8))
        t.similarity_int8 = nullptr;
    if (!holds(offsetof(engram_kernel_table, spread_push), sizeof t.spread_push))
        t.spread_push = nullptr;

    const char* missing = nullptr;
    if (!t.name)
        missing = "name";
    else if (!t.version)
        missing = "version";
    else if (!t.build_id)
        missing = "build_id";
    else if (!t.similarity)
        missing = "similarity";
    else if (!t.spread)
        missing = "spread";
    else if (!t.decay)
        missing = "decay";
    else if (!t.scratch_bytes)
        missing = "scratch_bytes";
    if (missing)
        refuse(ErrorCode::AbiNullPointer, file,
               std::string("table field '") + missing + "' is null");
    // Checked without reading past 65 bytes: a name is refused, never truncated.
    const size_t len = strnlen(t.name, 65);
    static const std::regex kName("[a-z0-9_]{1,64}");
    if (len > 64 || !std::regex_match(t.name, t.name + len, kName))
        refuse(ErrorCode::AbiBadName, file,
               std::string("plugin name '") + std::string(t.name, std::min<size_t>(len, 64)) +
                   (len > 64 ? "...' is longer than 64 characters" : "' is not [a-z0-9_]{1,64}"));
    return t;
}

std::shared_ptr<const Plugin> map_plugin(const std::filesystem::path& mapped,
                                         const std::filesystem::path& shown_as,
                                         uint64_t usable_cpu_features, std::string sha256,
                                         std::optional<FileStamp> stamp) {
    boost::dll::shared_library lib;
    try {
        lib.load(mapped, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        refuse(ErrorCode::PluginLoadFailed, shown_as, std::string("cannot load: ") + e.what());
    }
    // From here on the library stays mapped whatever happens (retire()).
    struct Keep {
        boost::dll::shared_library& lib;
        bool handed_over = false;
        ~Keep() {
            if (!handed_over) retire(std::move(lib));
        }
    } keep{lib};
    if (!lib.has(ENGRAM_PLUGIN_ENTRY_SYMBOL))
        refuse(ErrorCode::PluginNoEntry, shown_as, "does not export " ENGRAM_PLUGIN_ENTRY_SYMBOL);
    auto entry = lib.get<const engram_kernel_table*()>(ENGRAM_PLUGIN_ENTRY_SYMBOL);
    const engram_kernel_table table = negotiate_table(entry(), shown_as);

    const uint64_t missing_features = table.required_cpu_features & ~usable_cpu_features;
    if (missing_features)
        refuse(ErrorCode::CpuFeatureMissing, shown_as,
               std::string("plugin '") + table.name + "' needs CPU features " +
                   cpu_feature_names(missing_features) + " that are not usable here (usable: " +
                   cpu_feature_names(usable_cpu_features) + ")");
    keep.handed_over = true;
    return std::make_shared<LoadedPlugin>(shown_as, std::move(lib), table, std::move(sha256),
                                          std::move(stamp));
}

std::shared_ptr<const Plugin> load_plugin(const std::filesystem::path& file,
                                          const LoadOptions& options) {
    const Provenance& prov = options.provenance;
    // Stamped before the copy: a write that lands after this point changes
    // the stamp, so a later reload hashes the file again.
    std::optional<FileStamp> stamp = engram::file_stamp(file);
    if (prov.strict_permissions) check_plugin_permissions(file);
    CopyRemover copy{make_private_copy(file)};
    // Everything below reads the copy: exactly the bytes that get mapped,
    // even if the operator's file changes under us.
    const std::string sha = sha256_file_hex(copy.copy);
    check_pinned_digest(file, sha, prov.sha256);
    if (prov.require_signature) check_plugin_signature(file, copy.copy, prov.trusted_keys_dir);
    check_elf_file(copy.copy, file);
    if (options.child)
        validate_in_child(copy.copy, sha, options.usable_cpu_features, file, *options.child);

    auto plugin = map_plugin(copy.copy, file, options.usable_cpu_features, sha, std::move(stamp));
    const engram_kernel_table& table = plugin->table();
    if (!options.expected_name.empty() && options.expected_name != table.name)
        refuse(ErrorCode::PluginNameMismatch, file,
               std::string("the plugin calls itself '") + table.name +
                   "' but is listed as [plugins] " + options.expected_name +
                   ": rename the key to '" + table.name +
                   "' (an impostor cannot stand in for another backend)");
    if (options.self_test) run_self_test(table, file);
    return plugin;
}

}  // namespace engram

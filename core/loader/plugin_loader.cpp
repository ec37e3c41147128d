#include "loader/plugin_loader.h"

#include <boost/dll/shared_library.hpp>

#include <cstring>
#include <regex>

#include "common/error.h"
#include "common/file_stamp.h"
#include "common/sha256.h"
#include "loader/private_copy.h"
#include "loader/self_test.h"
#include "platform/cpu_features.h"

namespace engram {

namespace {

class LoadedPlugin final : public Plugin {
public:
    LoadedPlugin(std::filesystem::path path, boost::dll::shared_library lib,
                 const engram_kernel_table& table, std::string sha256, std::optional<FileStamp> stamp)
        : path_(std::move(path)),
          lib_(std::move(lib)),
          table_(table),
          sha256_(std::move(sha256)),
          stamp_(std::move(stamp)) {}

    const std::filesystem::path& path() const override { return path_; }
    const engram_kernel_table& table() const override { return table_; }
    const std::string& sha256() const override { return sha256_; }
    const std::optional<FileStamp>& file_stamp() const override { return stamp_; }

private:
    std::filesystem::path path_;
    boost::dll::shared_library lib_;  // unloaded when the last holder lets go
    engram_kernel_table table_;       // pointers into lib_, valid while lib_ lives
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

[[noreturn]] void refuse(ErrorCode code, const std::filesystem::path& file, const std::string& why) {
    throw Error(code, file.string() + ": " + why);
}

// ABI negotiation in the Vulkan manner: struct_size first, refuse another
// major, accept any minor, read only the prefix both sides know.
engram_kernel_table negotiate(const engram_kernel_table* raw, const std::filesystem::path& file) {
    if (raw == nullptr) refuse(ErrorCode::PluginNullTable, file, "entry point returned a null table");
    constexpr uint32_t kHeader = offsetof(engram_kernel_table, name);
    if (raw->struct_size < kHeader)
        refuse(ErrorCode::AbiStructSize, file,
               "table struct_size " + std::to_string(raw->struct_size) + " is too small to hold a version");
    if (raw->abi_major != ENGRAM_ABI_MAJOR)
        refuse(ErrorCode::AbiMajorMismatch, file,
               "plugin ABI " + std::to_string(raw->abi_major) + "." + std::to_string(raw->abi_minor) +
                   ", host speaks ABI " + std::to_string(ENGRAM_ABI_MAJOR) + "." +
                   std::to_string(ENGRAM_ABI_MINOR) + " (major versions must match)");
    if (raw->struct_size < ENGRAM_KERNEL_TABLE_V1_0_SIZE)
        refuse(ErrorCode::AbiStructSize, file,
               "table struct_size " + std::to_string(raw->struct_size) + " < " +
                   std::to_string(ENGRAM_KERNEL_TABLE_V1_0_SIZE) + " required by ABI 1.0");
    engram_kernel_table t;
    std::memset(&t, 0, sizeof t);
    std::memcpy(&t, raw, std::min<size_t>(raw->struct_size, sizeof t));

    const char* missing = nullptr;
    if (!t.name) missing = "name";
    else if (!t.version) missing = "version";
    else if (!t.build_id) missing = "build_id";
    else if (!t.similarity) missing = "similarity";
    else if (!t.spread) missing = "spread";
    else if (!t.decay) missing = "decay";
    else if (!t.scratch_bytes) missing = "scratch_bytes";
    if (missing) refuse(ErrorCode::AbiNullPointer, file, std::string("table field '") + missing + "' is null");
    static const std::regex kName("[a-z0-9_]{1,64}");
    if (!std::regex_match(t.name, kName))
        refuse(ErrorCode::AbiBadName, file, std::string("plugin name '") + t.name + "' is not [a-z0-9_]{1,64}");
    return t;
}

}  // namespace

std::shared_ptr<const Plugin> load_plugin(const std::filesystem::path& file,
                                          const LoadOptions& options) {
    // Stamped before the copy: a write that lands after this point changes
    // the stamp, so a later reload hashes the file again.
    std::optional<FileStamp> stamp = engram::file_stamp(file);
    CopyRemover copy{make_private_copy(file)};
    // Hash the copy: exactly the bytes that get mapped, even if the operator's
    // file changes under us.
    const std::string sha = sha256_file_hex(copy.copy);

    boost::dll::shared_library lib;
    try {
        lib.load(copy.copy, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        refuse(ErrorCode::PluginLoadFailed, file, std::string("cannot load: ") + e.what());
    }
    if (!lib.has(ENGRAM_PLUGIN_ENTRY_SYMBOL))
        refuse(ErrorCode::PluginNoEntry, file, "does not export " ENGRAM_PLUGIN_ENTRY_SYMBOL);
    auto entry = lib.get<const engram_kernel_table*()>(ENGRAM_PLUGIN_ENTRY_SYMBOL);
    const engram_kernel_table table = negotiate(entry(), file);

    const uint64_t missing_features = table.required_cpu_features & ~options.usable_cpu_features;
    if (missing_features)
        refuse(ErrorCode::CpuFeatureMissing, file,
               std::string("plugin '") + table.name + "' needs CPU features " +
                   cpu_feature_names(missing_features) + " that are not usable here (usable: " +
                   cpu_feature_names(options.usable_cpu_features) + ")");

    if (options.self_test) run_self_test(table, file);
    return std::make_shared<LoadedPlugin>(file, std::move(lib), table, sha, std::move(stamp));
}

}  // namespace engram

#include "loader/private_copy.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <system_error>

#include "common/error.h"

namespace engram {

namespace {

std::filesystem::path private_dir() {
    static std::once_flag once;
    static std::filesystem::path dir;
    static std::string failure;
    std::call_once(once, [] {
        const char* tmp = std::getenv("TMPDIR");
        std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/engram-plugins-XXXXXX";
        if (char* made = mkdtemp(tmpl.data())) {
            dir = made;
        } else {
            failure = tmpl + ": " + std::generic_category().message(errno);
        }
    });
    if (dir.empty()) throw Error(ErrorCode::PluginCopyFailed, "cannot create private plugin directory " + failure);
    return dir;
}

}  // namespace

std::filesystem::path make_private_copy(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorCode::PluginNotFound, file.string() + ": no such plugin file");
    static std::atomic<unsigned long> counter{0};
    const auto copy = private_dir() / (std::to_string(getpid()) + "-" + std::to_string(++counter) +
                                       "-" + file.filename().string());
    if (!std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing, ec))
        throw Error(ErrorCode::PluginCopyFailed,
                    file.string() + ": cannot copy to " + copy.string() + ": " + ec.message());
    return copy;
}

}  // namespace engram

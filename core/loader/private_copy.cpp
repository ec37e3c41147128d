#include "loader/private_copy.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <system_error>

#include "common/error.h"

namespace engram {

namespace {

constexpr std::string_view kPrefix = "engram-plugins.";

std::filesystem::path runtime_base() {
    if (const char* rd = std::getenv("RUNTIME_DIRECTORY"); rd && *rd) {
        std::string first(rd);
        if (const auto colon = first.find(':'); colon != std::string::npos) first.resize(colon);
        if (!first.empty()) return first;
    }
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

// The pid a directory name belongs to, or 0 if it is not one of ours.
pid_t owner_pid(const std::string& name) {
    if (name.rfind(kPrefix, 0) != 0) return 0;
    const std::string digits = name.substr(kPrefix.size());
    if (digits.empty() || digits.size() > 10 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
        return 0;
    return static_cast<pid_t>(std::stoll(digits));
}

}  // namespace

int sweep_stale_private_dirs() {
    int removed = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(runtime_base(), ec)) {
        const pid_t pid = owner_pid(entry.path().filename().string());
        if (pid <= 0 || pid == getpid()) continue;
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != geteuid())
            continue;
        if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
        std::error_code rm;
        std::filesystem::remove_all(entry.path(), rm);
        if (!rm) ++removed;
    }
    return removed;
}

std::filesystem::path private_copy_dir() {
    static std::once_flag once;
    static std::filesystem::path dir;
    static std::string failure;
    std::call_once(once, [] {
        sweep_stale_private_dirs();
        const auto want = runtime_base() / (std::string(kPrefix) + std::to_string(getpid()));
        std::error_code ec;
        std::filesystem::remove_all(want, ec);  // a dead process that had our pid
        if (::mkdir(want.c_str(), 0700) == 0)
            dir = want;
        else
            failure = want.string() + ": " + std::generic_category().message(errno);
    });
    if (dir.empty())
        throw Error(ErrorCode::PluginCopyFailed,
                    "cannot create private plugin directory " + failure);
    return dir;
}

std::filesystem::path make_private_copy(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        throw Error(ErrorCode::PluginNotFound, file.string() + ": no such plugin file");
    static std::atomic<unsigned long> counter{0};
    const auto copy =
        private_copy_dir() / (std::to_string(++counter) + "-" + file.filename().string());
    if (!std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing,
                                    ec))
        throw Error(ErrorCode::PluginCopyFailed,
                    file.string() + ": cannot copy to " + copy.string() + ": " + ec.message());
    return copy;
}

}  // namespace engram

#include "ctl/ctl_provenance.h"

#include <cstdio>
#include <fstream>
#include <system_error>

#include "common/error.h"
#include "common/sha256.h"
#include "loader/provenance.h"

namespace fs = std::filesystem;

namespace engram::ctl {

namespace {

// A regular file (or a link to one): sha256_file_hex would hash a directory
// as the empty string.
void require_regular_file(const fs::path& file) {
    std::error_code ec;
    const auto st = fs::status(file, ec);
    if (ec || !fs::exists(st))
        throw Error(ErrorCode::PluginNotFound, file.string() + ": no such file");
    if (!fs::is_regular_file(st))
        throw Error(ErrorCode::PluginNotFound, file.string() + ": not a regular file");
}

}  // namespace

int digest(const fs::path& file) {
    try {
        require_regular_file(file);
        const std::string hex = sha256_file_hex(file);
        std::printf("sha256 = \"%s\"\n", hex.c_str());
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.describe().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
    }
    return 1;
}

int sign(const fs::path& file, const fs::path& private_key, const fs::path& out) {
    const fs::path target = out.empty() ? fs::path(file.string() + ".sig") : out;
    try {
        require_regular_file(file);
        const std::string sig = sign_plugin_file(file, private_key);
        // Written beside and renamed over: a reader never sees half a signature.
        const fs::path tmp = fs::path(target.string() + ".tmp");
        {
            std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
            f.write(sig.data(), static_cast<std::streamsize>(sig.size()));
            f.close();
            if (!f) {
                std::error_code ignore;
                fs::remove(tmp, ignore);
                throw Error(ErrorCode::PluginSignature,
                            tmp.string() + ": cannot write the signature");
            }
        }
        std::error_code ec;
        fs::rename(tmp, target, ec);
        if (ec) {
            std::error_code ignore;
            fs::remove(tmp, ignore);
            throw Error(ErrorCode::PluginSignature,
                        target.string() + ": cannot write the signature: " + ec.message());
        }
        std::printf("wrote %s (Ed25519 signature of %s, 64 bytes)\n", target.c_str(), file.c_str());
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.describe().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
    }
    std::fprintf(stderr, "%s: not signed\n", file.c_str());
    return 1;
}

}  // namespace engram::ctl

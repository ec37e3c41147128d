#include "loader/provenance.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "common/error.h"

namespace fs = std::filesystem;

namespace engram {

namespace {

constexpr std::size_t kSignatureBytes = 64;  // Ed25519

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

// The most specific reason OpenSSL queued, and an empty queue afterwards.
std::string openssl_reason() {
    unsigned long last = 0;
    while (unsigned long e = ERR_get_error()) last = e;
    if (last == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(last, buf, sizeof buf);
    return buf;
}

// The whole file. Throws Error(code) naming the file and the OS's reason.
std::string read_bytes(const fs::path& path, ErrorCode code, const std::string& what) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(code, path.string() + ": cannot open " + what + ": " + std::strerror(errno));
    std::string out;
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            const int err = errno;
            ::close(fd);
            throw Error(code, path.string() + ": cannot read " + what + ": " + std::strerror(err));
        }
    }
    ::close(fd);
    return out;
}

std::string octal_mode(mode_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// One path of the chain: owner and write bits. `must_be_file` for the plugin
// itself, else it must be a directory.
void check_entry(const std::string& file, const fs::path& p, bool must_be_file) {
    struct stat st {};
    // The chain is canonical, so lstat sees what stat would, unless someone
    // swapped in a symlink since: then this refuses rather than follows.
    if (::lstat(p.c_str(), &st) != 0)
        throw Error(ErrorCode::PluginPermissions,
                    file + ": cannot stat " + p.string() + ": " + std::strerror(errno));
    if (must_be_file && !S_ISREG(st.st_mode))
        throw Error(ErrorCode::PluginPermissions,
                    file + ": " + p.string() + " is not a regular file");
    if (!must_be_file && !S_ISDIR(st.st_mode))
        throw Error(ErrorCode::PluginPermissions, file + ": " + p.string() + " is not a directory");
    if (st.st_uid != 0 && st.st_uid != ::geteuid())
        throw Error(ErrorCode::PluginPermissions,
                    file + ": " + p.string() + " is owned by uid " + std::to_string(st.st_uid) +
                        (::geteuid() == 0 ? std::string(" (only root may own it)")
                                          : " (only root or uid " + std::to_string(::geteuid()) +
                                                " may own it)"));
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0) return;
    // The deviation from sshd: a root-owned sticky directory (/tmp). Others
    // may add entries there but cannot rename or remove ours.
    if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && st.st_uid == 0) return;
    const char* who = (st.st_mode & S_IWOTH) ? "world" : "group";
    throw Error(ErrorCode::PluginPermissions, file + ": " + p.string() + " is " + who +
                                                  "-writable (mode " + octal_mode(st.st_mode) +
                                                  ")");
}

// `dir` and every directory above it, up to and including /.
void check_dir_chain(const std::string& file, fs::path dir, std::set<fs::path>& done) {
    for (;;) {
        if (!done.insert(dir).second) return;  // this one and all above: checked
        check_entry(file, dir, false);
        if (dir == dir.root_path() || dir.empty()) return;
        dir = dir.parent_path();
    }
}

bool is_b64(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : 63;
}

// Strict standard base64 (with = padding) of one line; nothing on error.
bool decode_base64(std::string text, std::string& out) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                             text.back() == '\t'))
        text.pop_back();
    if (text.empty() || text.size() % 4 != 0) return false;
    std::size_t pad = 0;
    while (pad < 2 && text[text.size() - 1 - pad] == '=') ++pad;
    const std::size_t body = text.size() - pad;
    for (std::size_t i = 0; i < body; ++i)
        if (!is_b64(text[i])) return false;
    out.clear();
    uint32_t acc = 0;
    int bits = 0;
    for (std::size_t i = 0; i < body; ++i) {
        acc = (acc << 6) | static_cast<uint32_t>(b64_value(text[i]));
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    return true;
}

// The 64 signature bytes from `<file>.sig`.
std::string read_signature(const std::string& file, const fs::path& sig_path) {
    std::error_code ec;
    if (!fs::exists(sig_path, ec))
        throw Error(ErrorCode::PluginSignature, file + ": no signature file " + sig_path.string() +
                                                    " (sign the plugin with engramctl sign)");
    const std::string raw = read_bytes(sig_path, ErrorCode::PluginSignature, "the signature file");
    if (raw.size() == kSignatureBytes) return raw;
    std::string decoded;
    if (decode_base64(raw, decoded) && decoded.size() == kSignatureBytes) return decoded;
    throw Error(ErrorCode::PluginSignature,
                file + ": malformed signature file " + sig_path.string() + ": " +
                    std::to_string(raw.size()) +
                    " bytes, expected 64 raw bytes or one line of base64 encoding 64 bytes");
}

struct TrustedKey {
    fs::path path;
    PkeyPtr key{nullptr, &EVP_PKEY_free};
};

// Every Ed25519 public key of *.pem in `dir`, by file name; `ignored` counts
// the .pem files that are not one.
std::vector<TrustedKey> load_keys(const std::string& file, const fs::path& dir, int& ignored) {
    std::error_code ec;
    std::vector<fs::path> pems;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& p = it->path();
        std::error_code ec2;
        if (p.extension() == ".pem" && fs::is_regular_file(p, ec2)) pems.push_back(p);
    }
    if (ec)
        throw Error(ErrorCode::PluginSignature, file + ": cannot read the trusted keys directory " +
                                                    dir.string() + ": " + ec.message());
    std::sort(pems.begin(), pems.end());
    std::vector<TrustedKey> keys;
    ignored = 0;
    for (const auto& p : pems) {
        BioPtr bio(BIO_new_file(p.c_str(), "r"), &BIO_free);
        EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
        ERR_clear_error();
        if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
            EVP_PKEY_free(key);
            ++ignored;
            continue;
        }
        TrustedKey k;
        k.path = p;
        k.key.reset(key);
        keys.push_back(std::move(k));
    }
    return keys;
}

}  // namespace

void check_plugin_permissions(const fs::path& file) {
    const std::string name = file.string();
    std::error_code ec;
    const fs::path canon = fs::canonical(file, ec);
    if (ec)
        throw Error(ErrorCode::PluginNotFound, name + ": cannot resolve the path: " + ec.message());
    std::set<fs::path> done;
    check_entry(name, canon, true);
    check_dir_chain(name, canon.parent_path(), done);
    // A symlink on the way is only as safe as the directory holding it:
    // whoever can write there can point it elsewhere.
    const fs::path abs = fs::absolute(file, ec).lexically_normal();
    if (ec) return;
    fs::path prefix;
    for (const auto& part : abs) {
        prefix /= part;
        struct stat st {};
        if (::lstat(prefix.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) continue;
        const fs::path holder = fs::canonical(prefix.parent_path(), ec);
        if (!ec) check_dir_chain(name, holder, done);
    }
}

void check_pinned_digest(const fs::path& file, const std::string& actual_hex,
                         const std::string& expected_hex) {
    if (expected_hex.empty()) return;
    const auto lower = [](std::string s) {
        for (char& c : s)
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        return s;
    };
    if (lower(actual_hex) == lower(expected_hex)) return;
    throw Error(ErrorCode::PluginDigest, file.string() + ": sha256 " + lower(actual_hex) +
                                             " does not match the pinned " + lower(expected_hex));
}

void check_plugin_signature(const fs::path& file, const fs::path& copy, const fs::path& keys_dir) {
    const std::string name = file.string();
    const fs::path sig_path = fs::path(name + ".sig");
    const std::string sig = read_signature(name, sig_path);
    int ignored = 0;
    const auto keys = load_keys(name, keys_dir, ignored);
    if (keys.empty())
        throw Error(ErrorCode::PluginSignature,
                    name + ": no trusted keys: no Ed25519 public key (*.pem) in " +
                        keys_dir.string() +
                        (ignored ? " (" + std::to_string(ignored) +
                                       " .pem file(s) ignored: not an Ed25519 public key)"
                                 : std::string()));
    const std::string data = read_bytes(copy, ErrorCode::PluginNotFound, "the plugin file");
    const auto* sig_bytes = reinterpret_cast<const unsigned char*>(sig.data());
    const auto* data_bytes = reinterpret_cast<const unsigned char*>(data.data());
    for (const auto& k : keys) {
        MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        if (ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, k.key.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), sig_bytes, sig.size(), data_bytes, data.size()) == 1) {
            ERR_clear_error();
            return;
        }
        ERR_clear_error();
    }
    throw Error(ErrorCode::PluginSignature,
                name + ": the signature " + sig_path.string() +
                    " is not from a trusted key: none of the " + std::to_string(keys.size()) +
                    " Ed25519 key(s) in " + keys_dir.string() +
                    " verifies it (the file changed after signing, or another key signed it)");
}

std::string sign_plugin_file(const fs::path& file, const fs::path& private_key) {
    const std::string key_name = private_key.string();
    BioPtr bio(BIO_new_file(private_key.c_str(), "r"), &BIO_free);
    if (!bio) {
        ERR_clear_error();
        throw Error(ErrorCode::PluginSignature,
                    key_name + ": cannot open the private key: " + std::strerror(errno));
    }
    // No passphrase prompt: an encrypted key fails here instead of blocking.
    pem_password_cb* no_passphrase = [](char*, int, int, void*) { return -1; };
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr),
                &EVP_PKEY_free);
    if (!key)
        throw Error(ErrorCode::PluginSignature,
                    key_name +
                        ": not a PEM private key (or an encrypted one, which is not supported): " +
                        openssl_reason());
    if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
        const char* type = EVP_PKEY_get0_type_name(key.get());
        throw Error(
            ErrorCode::PluginSignature,
            key_name + ": a " + std::string(type ? type : "non-Ed25519") + " key, not Ed25519");
    }
    const std::string data = read_bytes(file, ErrorCode::PluginNotFound, "the plugin file");
    MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::string sig(kSignatureBytes, '\0');
    std::size_t len = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        len != kSignatureBytes)
        throw Error(ErrorCode::PluginSignature,
                    file.string() + ": signing with " + key_name + " failed: " + openssl_reason());
    return sig;
}

}  // namespace engram

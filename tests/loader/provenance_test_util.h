// Helpers shared by the provenance tests: temporary directories, files, and
// Ed25519 (or other) keys written as PEM with OpenSSL's own API.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace provtest {

namespace fs = std::filesystem;

// A fresh 0755 directory under the system temp dir, removed at the end.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "engram_prov_XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
        ::chmod(path_.c_str(), 0755);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

inline void write_file(const fs::path& p, const std::string& bytes, mode_t mode = 0644) {
    {
        std::ofstream f(p, std::ios::binary | std::ios::trunc);
        f << bytes;
    }
    REQUIRE(::chmod(p.c_str(), mode) == 0);
}

inline std::string read_file(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

inline fs::path make_dir(const fs::path& p, mode_t mode = 0755) {
    fs::create_directories(p);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
}

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// "ED25519", or "EC" with a curve name.
inline PkeyPtr generate_key(const char* type = "ED25519") {
    EVP_PKEY* key = std::string(type) == "EC" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                              : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    REQUIRE(key != nullptr);
    return PkeyPtr(key, &EVP_PKEY_free);
}

// The private key as PEM; with a passphrase, encrypted (AES-256-CBC).
inline void write_private_pem(const EVP_PKEY* key, const fs::path& p,
                              const std::string& pass = "") {
    FILE* f = std::fopen(p.c_str(), "w");
    REQUIRE(f != nullptr);
    int ok = 0;
    if (pass.empty()) {
        ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    } else {
        ok = PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(),
                                  reinterpret_cast<const unsigned char*>(pass.data()),
                                  static_cast<int>(pass.size()), nullptr, nullptr);
    }
    std::fclose(f);
    REQUIRE(ok == 1);
}

inline void write_public_pem(const EVP_PKEY* key, const fs::path& p) {
    FILE* f = std::fopen(p.c_str(), "w");
    REQUIRE(f != nullptr);
    const int ok = PEM_write_PUBKEY(f, key);
    std::fclose(f);
    REQUIRE(ok == 1);
}

inline std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

inline bool have_openssl_cli() { return std::system("command -v openssl >/dev/null 2>&1") == 0; }

}  // namespace provtest

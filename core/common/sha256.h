// SHA-256 of a file, as lowercase hex. OpenSSL's libcrypto does the hashing
// (a well-kept library beats a hand-written digest).
#pragma once

#include <filesystem>
#include <string>

namespace engram {

// Throws engram::Error(E_PLUGIN_NOT_FOUND) if the file cannot be read.
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace engram

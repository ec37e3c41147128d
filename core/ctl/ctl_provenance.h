// engramctl digest / sign: the operator's side of plugin provenance
// (docs/plugin-sdk.md#provenance).
#pragma once

#include <filesystem>

namespace engram::ctl {

// Prints `sha256 = "<hex>"`, the line a [plugins] entry pins the file with.
// 0; 1 if the file cannot be read (the reason on stderr).
int digest(const std::filesystem::path& file);

// Signs `file` with the Ed25519 PEM private key and writes the 64 raw
// signature bytes to `out` (empty: `<file>.sig`). 0; 1 on any error (stderr).
int sign(const std::filesystem::path& file, const std::filesystem::path& private_key,
         const std::filesystem::path& out);

}  // namespace engram::ctl

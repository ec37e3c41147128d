// Where a plugin file comes from, checked before it is mapped: who could have
// written it (permissions), whether it is the file the operator pinned
// (SHA-256), and whether a trusted key signed it (detached Ed25519).
// See docs/plugin-sdk.md#provenance and docs/reference/configuration.md.
#pragma once

#include <filesystem>
#include <string>

namespace engram {

// sshd StrictModes: the file and every directory above it up to / must be
// owned by root or by the effective uid, and not group- or world-writable.
// Deliberate deviation, documented: a directory that is writable by others
// WITH the sticky bit and owned by root (like /tmp) is accepted, since others
// cannot replace or rename our entries there. The file itself must be a
// regular file. Symlinks are resolved first (canonical path) and the resolved
// chain is checked; when `file` is itself reached through a symlink, the
// chain of the directory holding that name is checked as well (whoever can
// write there can re-point the link).
// Throws Error(ErrorCode::PluginPermissions,
//   "<file>: <offending path> is <group|world>-writable (mode 0777)" /
//   "<file>: <offending path> is owned by uid N" /
//   "<file>: <path> is not a regular file"),
// or Error(ErrorCode::PluginNotFound) when the path cannot be resolved.
void check_plugin_permissions(const std::filesystem::path& file);

// Throws Error(ErrorCode::PluginDigest,
//   "<file>: sha256 <actual> does not match the pinned <expected>")
// when expected_hex is non-empty and differs (case-insensitively).
void check_pinned_digest(const std::filesystem::path& file, const std::string& actual_hex,
                         const std::string& expected_hex);

// Detached Ed25519 signature: the file `<file>.sig` (64 raw bytes, or the same
// base64-encoded on one line) over the bytes of `copy` (the private copy the
// host will map: the same bytes as `file`). Valid when ANY PEM public key
// (*.pem) in keys_dir verifies it. Throws Error(ErrorCode::PluginSignature,
// ...) naming what is wrong: no .sig file, malformed .sig, no keys in the
// directory, or no trusted key verifies it.
void check_plugin_signature(const std::filesystem::path& file, const std::filesystem::path& copy,
                            const std::filesystem::path& keys_dir);

// Signs `file` with the PEM Ed25519 private key at `private_key`; returns the
// 64-byte signature. Throws Error(ErrorCode::PluginSignature, ...) if the key
// cannot be read, is encrypted, or is not Ed25519; Error(PluginNotFound) if
// `file` cannot be read.
std::string sign_plugin_file(const std::filesystem::path& file,
                             const std::filesystem::path& private_key);

}  // namespace engram

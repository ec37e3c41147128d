// engramctl use BACKEND: the one-command rollback. Sets [backends]
// similarity/spreading/decay in the TOML file by editing the value's bytes in
// place (comments, layout and every other byte are kept), writes the file
// atomically, reloads engramd and checks that BACKEND serves.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/ctl_http.h"

namespace engram::ctl {

// The kernels [backends] chooses, in the order they are reported and added.
inline constexpr std::string_view kBackendKernels[] = {"similarity", "spreading", "decay"};

// "--kernel" values: each a kernel name or a comma-separated list of them.
// Returns them deduplicated, in kBackendKernels order; all three for an
// empty list. Throws std::invalid_argument naming a value that is not a kernel.
std::vector<std::string> parse_kernel_list(const std::vector<std::string>& values);

struct KernelChange {
    std::string kernel;
    std::optional<std::string>
        old_text;          // the old value's TOML text as written; nullopt: the key was absent
    std::string new_text;  // "\"BACKEND\""
    unsigned line = 0;     // 1-based line of the value in the edited text
    bool changed = false;  // false: the key already named BACKEND, its bytes are kept
};

struct BackendEdit {
    std::string text;  // the whole edited file
    std::vector<KernelChange> changes;
};

// The pure text edit, no I/O. Sets [backends] KERNEL = "BACKEND" for each of
// `kernels` in the TOML `text` (named `source_name` in messages):
//   * a key that is present: exactly its value's bytes are replaced (a key
//     already naming BACKEND is left alone);
//   * a key that is absent: a line `KERNEL = "BACKEND"` is added after the
//     last key line of the [backends] table (same indentation), or
//     `backends.KERNEL = ...` after the last `backends.` dotted key, or
//     `, KERNEL = "BACKEND"` inside the braces of `backends = { ... }`;
//   * no [backends] at all: a `[backends]` table is appended at the end.
// Every other byte is kept. The result is parsed again and must equal the
// original document with only those keys set, else nothing is returned.
// Throws engram::Error: E_CONFIG_SYNTAX (text is not TOML), E_BACKEND_UNKNOWN
// (BACKEND is neither "auto" nor a key of [plugins]), E_CONFIG_TYPE /
// E_CONFIG_VALUE (a key or the table is written in a way that cannot be
// edited safely; the message says how).
BackendEdit set_backends(std::string_view text, const std::vector<std::string>& kernels,
                         const std::string& backend, const std::string& source_name);

// Line-based diff of two texts, zero context lines: "@@ -L[,N] +L[,N] @@"
// hunks with "-old" / "+new" lines. Empty when the texts are equal.
std::string line_diff(std::string_view before, std::string_view after);

// Replaces `file` (symlinks resolved: the link stays, its target is
// replaced) with `text`: a temp file in the same directory, the original's
// mode (and owner, where permitted), fsync, rename over the file, fsync of the
// directory. Refuses (nothing written) when the file no longer holds
// `expected_old`. Throws std::runtime_error with the reason.
void write_file_atomically(const std::filesystem::path& file, std::string_view text,
                           std::string_view expected_old);

struct UseOptions {
    std::string backend;
    std::vector<std::string> kernels;             // from parse_kernel_list
    std::optional<std::filesystem::path> config;  // --config; else asked from engramd
    bool dry_run = false;
};

// The whole command. Exit code: 0 BACKEND serves every chosen kernel (or the
// dry run printed the edit); 1 the edit was refused (nothing written); the
// reload's code (1 refused, 3 unreachable) if the reload failed after the file
// was written; 3 E_CTL_HTTP; 4 the reload succeeded but another backend
// serves a chosen kernel.
int use(const Endpoint& endpoint, const UseOptions& options);

}  // namespace engram::ctl

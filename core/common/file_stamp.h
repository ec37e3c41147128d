// What a file's metadata says about its identity: device, inode, size and the
// modification and status-change times in nanoseconds. Any write, truncate,
// rename over the path or chmod changes at least one of them, and ctime
// cannot be set back by a user. The reload path compares stamps to skip
// re-hashing a plugin file that has not been touched since it was loaded;
// a differing stamp still goes to the SHA-256 comparison, which decides.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace engram {

struct FileStamp {
    uint64_t device = 0, inode = 0, size = 0;
    int64_t mtime_ns = 0, ctime_ns = 0;
    bool operator==(const FileStamp&) const = default;
};

// nullopt if the file cannot be stat()ed.
std::optional<FileStamp> file_stamp(const std::filesystem::path& file);

}  // namespace engram

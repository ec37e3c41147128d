// Shared by the libFuzzer harnesses: the fuzz input as a file (the dataset
// readers take paths), and the rule every harness enforces.
//
// The rule: a reader given any bytes either returns a value or throws
// engram::Error / ErrorList (or, for the codec, the documented exception
// types); anything else — a crash, a sanitizer report, another exception
// escaping, a hang — is a defect, and libFuzzer stops on it.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace engram::fuzz {

// One file per process, rewritten for every input (in /dev/shm when there is
// one: no disk I/O per execution).
inline const std::filesystem::path& scratch_file(const char* name) {
    static const std::filesystem::path path = [name] {
        const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : "/tmp";
        return dir / ("engram-fuzz-" + std::to_string(getpid()) + "-" + name);
    }();
    return path;
}

inline const std::filesystem::path& write_input(const char* name, const uint8_t* data,
                                                size_t size) {
    const auto& path = scratch_file(name);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    return path;
}

}  // namespace engram::fuzz

// Helpers for the store tests: a self-cleaning temp directory, a tiny .npy
// writer (so fixtures are generated, not committed as binary blobs), and a
// way to capture the engram::Error a call throws.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace engram::test {

class TempDir {
  public:
    TempDir() {
        static unsigned counter = 0;
        std::random_device rd;
        const std::string name =
            "engram-store-test-" + std::to_string(rd()) + "-" + std::to_string(++counter);
        dir_ = std::filesystem::temp_directory_path() / name;
        std::filesystem::create_directories(dir_);
    }
    ~TempDir() {
        std::error_code ec;  // never throw from a destructor
        std::filesystem::remove_all(dir_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return dir_; }

    std::filesystem::path write(const std::string& name, std::string_view bytes) const {
        const std::filesystem::path file = dir_ / name;
        std::ofstream out(file, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        REQUIRE(out.good());
        return file;
    }

  private:
    std::filesystem::path dir_;
};

// A .npy file from its parts: any dict text, any version, any payload, so
// tests can build malformed files as easily as good ones. The header is
// padded with spaces and a newline to a multiple of 64 bytes, as NumPy does.
inline std::string npy_file(std::string_view dict, unsigned major, std::string_view payload,
                            unsigned minor = 0) {
    const size_t len_bytes = major == 1 ? 2 : 4;
    const size_t preamble = 6 + 2 + len_bytes;
    std::string header(dict);
    while ((preamble + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';

    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += static_cast<char>(minor);
    uint64_t len = header.size();
    for (size_t i = 0; i < len_bytes; ++i, len >>= 8) out += static_cast<char>(len & 0xFF);
    return out + header + std::string(payload);
}

template <class T>
std::string raw_bytes(const std::vector<T>& values) {
    std::string out(values.size() * sizeof(T), '\0');
    if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
    return out;
}

inline std::string npy_dict(std::string_view descr, uint64_t rows, uint64_t cols) {
    return "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (" +
           std::to_string(rows) + ", " + std::to_string(cols) + "), }";
}

// A well-formed 2-D '<f4' or '<f8' file.
template <class T>
std::string npy_matrix(uint64_t rows, uint64_t cols, const std::vector<T>& values,
                       unsigned major = 1) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8);
    return npy_file(npy_dict(sizeof(T) == 4 ? "<f4" : "<f8", rows, cols), major, raw_bytes(values));
}

// A well-formed 2-D file of any dtype string (int8 codes '|i1', bf16 bit
// patterns '<u2' / '<V2', ...), the values written as they are.
template <class T>
std::string npy_typed(std::string_view descr, uint64_t rows, uint64_t cols,
                      const std::vector<T>& values) {
    return npy_file(npy_dict(descr, rows, cols), 1, raw_bytes(values));
}

// A 1-D '<f4' file of shape (n,): the int8 scales.
inline std::string npy_scales(const std::vector<float>& values) {
    return npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                        std::to_string(values.size()) + ",), }",
                    1, raw_bytes(values));
}

// Runs f, which must throw engram::Error, and returns that error.
inline Error error_from(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e;
    }
    FAIL("expected an engram::Error");
    throw std::logic_error("unreachable");
}

}  // namespace engram::test

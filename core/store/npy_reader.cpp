// read_npy_matrix: the .npy preamble, header and data of a 2-D array (float,
// int8 codes or bf16 bit patterns), and read_npy_scales: the int8 scales.
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "common/error.h"
#include "store/dataset_io.h"
#include "store/embedding_codec.h"
#include "store/npy_header.h"

namespace engram {

// '<f4' / '<f8' / '<u2' data is copied straight into host values.
static_assert(std::endian::native == std::endian::little,
              "the .npy reader assumes a little-endian host");

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// NumPy caps headers far below this; a bigger one is a corrupt length field.
constexpr uint64_t kMaxHeaderBytes = 1 << 20;
// f8 data is converted in chunks, never doubling the file in memory.
constexpr size_t kChunkValues = size_t{1} << 16;

class NpyFile {
  public:
    explicit NpyFile(const std::filesystem::path& path) : name_(path.string()) {
        // Opening a directory succeeds on Linux and only the read fails.
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) read_error("is a directory, not a file");
        in_.open(path, std::ios::binary);
        if (!in_) read_error("cannot open: " + std::string(std::strerror(errno)));
        in_.seekg(0, std::ios::end);
        const std::streamoff end = in_.tellg();
        if (end < 0) read_error("cannot determine the file size");
        size_ = static_cast<uint64_t>(end);
        in_.seekg(0, std::ios::beg);
    }

    [[noreturn]] void read_error(const std::string& reason) const {
        throw Error(ErrorCode::DataRead, name_ + ": " + reason);
    }
    [[noreturn]] void npy_error(const std::string& reason) const {
        throw Error(ErrorCode::DataNpy, name_ + ": " + reason);
    }

    uint64_t size() const { return size_; }

    // Reads exactly `bytes` at the current position; the caller has already
    // checked the file is long enough, so a short read is an I/O failure.
    void read(void* out, uint64_t bytes) {
        in_.read(static_cast<char*>(out), static_cast<std::streamsize>(bytes));
        if (static_cast<uint64_t>(in_.gcount()) != bytes) read_error("read failed");
    }

  private:
    std::string name_;
    std::ifstream in_;
    uint64_t size_ = 0;
};

uint64_t little_endian(const unsigned char* bytes, size_t count) {
    uint64_t value = 0;
    for (size_t i = count; i-- > 0;) value = (value << 8) | bytes[i];
    return value;
}

std::string value_text(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    return std::string(buf, res.ptr);
}

// Parses the preamble and header; sets data_offset to where the array starts.
detail::NpyHeader read_header(NpyFile& file, uint64_t& data_offset) {
    unsigned char preamble[12];
    if (file.size() < kMagicSize + 2) file.npy_error("not a .npy file (too short)");
    file.read(preamble, kMagicSize + 2);
    if (std::memcmp(preamble, kMagic, kMagicSize) != 0)
        file.npy_error("not a .npy file (bad magic)");
    const unsigned major = preamble[6];
    const unsigned minor = preamble[7];
    if (minor != 0 || major < 1 || major > 3)
        file.npy_error("unsupported .npy format version " + std::to_string(major) + "." +
                       std::to_string(minor) + " (need 1.0, 2.0 or 3.0)");

    // 1.0 has a 2-byte header length; 2.0 and 3.0 (UTF-8 header) 4 bytes.
    const size_t len_bytes = major == 1 ? 2 : 4;
    const uint64_t header_start = kMagicSize + 2 + len_bytes;
    if (file.size() < header_start) file.npy_error("truncated header (no header length)");
    file.read(preamble + kMagicSize + 2, len_bytes);
    const uint64_t header_len = little_endian(preamble + kMagicSize + 2, len_bytes);
    if (header_len > kMaxHeaderBytes)
        file.npy_error("header length " + std::to_string(header_len) + " is implausibly large");
    if (file.size() - header_start < header_len)
        file.npy_error("truncated header (declares " + std::to_string(header_len) +
                       " bytes, file has " + std::to_string(file.size() - header_start) + ")");

    std::string text(header_len, '\0');
    file.read(text.data(), header_len);
    data_offset = header_start + header_len;
    try {
        return detail::parse_npy_header(text);
    } catch (const detail::NpyHeaderError& e) {
        file.npy_error(e.what());
    }
}

// The dtype named by the header, any the host reads.
NpyDtype dtype_of(const NpyFile& file, const detail::NpyHeader& header) {
    const std::optional<NpyDtype> dtype = detail::parse_npy_dtype(header.descr);
    if (!dtype)
        file.npy_error("unsupported dtype '" + header.descr + "' (need " +
                       detail::kNpyDtypesAccepted + ")");
    return *dtype;
}

// The data after the header must be exactly `elements` of `itemsize` bytes.
void check_data_length(const NpyFile& file, const detail::NpyHeader& header, uint64_t data_offset,
                       uint64_t elements, uint64_t itemsize) {
    const std::string shape = detail::shape_string(header.shape);
    const uint64_t expected = elements * itemsize;
    const uint64_t actual = file.size() - data_offset;
    if (actual < expected)
        file.npy_error("truncated data: shape " + shape + " '" + header.descr + "' needs " +
                       std::to_string(expected) + " bytes, file has " + std::to_string(actual));
    if (actual > expected)
        file.npy_error("trailing data: " + std::to_string(actual - expected) + " bytes after the " +
                       shape + " '" + header.descr + "' array");
}

std::string at_row_column(size_t i, uint64_t cols) {
    return " at row " + std::to_string(i / cols) + ", column " + std::to_string(i % cols);
}

void read_f4(NpyFile& file, NpyMatrix& m) {
    file.read(m.data.data(), m.data.size() * sizeof(float));
    for (size_t i = 0; i < m.data.size(); ++i) {
        if (!std::isfinite(m.data[i]))
            file.npy_error("non-finite value " + value_text(m.data[i]) + at_row_column(i, m.cols));
    }
}

void read_f8(NpyFile& file, NpyMatrix& m) {
    std::vector<double> chunk(std::min<size_t>(kChunkValues, m.data.size()));
    for (size_t base = 0; base < m.data.size(); base += chunk.size()) {
        const size_t count = std::min(chunk.size(), m.data.size() - base);
        file.read(chunk.data(), count * sizeof(double));
        for (size_t k = 0; k < count; ++k) {
            const size_t i = base + k;
            const double v = chunk[k];
            const auto f = static_cast<float>(v);
            if (!std::isfinite(v))
                file.npy_error("non-finite value " + value_text(v) + at_row_column(i, m.cols));
            if (!std::isfinite(f))
                file.npy_error("value " + value_text(v) + at_row_column(i, m.cols) +
                               " is out of float range");
            m.data[i] = f;
        }
    }
}

// bf16 bit patterns, kept; an all-ones exponent (infinity, NaN) is refused
// as a non-finite float is.
void read_bf16(NpyFile& file, NpyMatrix& m) {
    file.read(m.bf16.data(), m.bf16.size() * sizeof(uint16_t));
    for (size_t i = 0; i < m.bf16.size(); ++i) {
        if ((m.bf16[i] & 0x7f80u) == 0x7f80u)
            file.npy_error("non-finite value " + value_text(codec::bf16_to_float(m.bf16[i])) +
                           at_row_column(i, m.cols));
    }
}

// int8 codes, kept; -128 is outside the store's symmetric encoding
// (store/embedding_codec.h writes -127..127).
void read_i1(NpyFile& file, NpyMatrix& m) {
    file.read(m.int8.data(), m.int8.size());
    for (size_t i = 0; i < m.int8.size(); ++i) {
        if (m.int8[i] == std::numeric_limits<int8_t>::min())
            file.npy_error("int8 code -128" + at_row_column(i, m.cols) +
                           " (the codes are -127..127, symmetric around 0)");
    }
}

}  // namespace

NpyDtype read_npy_dtype(const std::filesystem::path& path) {
    NpyFile file(path);
    uint64_t data_offset = 0;
    return dtype_of(file, read_header(file, data_offset));
}

NpyMatrix read_npy_matrix(const std::filesystem::path& path, EmbeddingFormat format) {
    NpyFile file(path);
    uint64_t data_offset = 0;
    const detail::NpyHeader header = read_header(file, data_offset);

    const NpyDtype dtype = dtype_of(file, header);
    // Compressed rows are taken as they are, so only for their own format:
    // converting them (to float, or to the other format) would be lossy or
    // silently change what the store holds.
    const auto needs = dtype == NpyDtype::I1     ? EmbeddingFormat::Int8
                       : dtype == NpyDtype::Bf16 ? EmbeddingFormat::Bf16
                                                 : format;
    if (needs != format)
        file.npy_error("dtype '" + header.descr + "' (" + detail::npy_dtype_name(dtype) +
                       ") is only read with [store] embedding_format = \"" +
                       embedding_format_name(needs) + "\" (it is \"" +
                       embedding_format_name(format) + "\")");
    const uint64_t itemsize = detail::npy_itemsize(dtype);
    if (header.fortran_order)
        file.npy_error("fortran_order arrays are not supported (need C order)");
    const std::string shape = detail::shape_string(header.shape);
    if (header.shape.size() != 2)
        file.npy_error("shape " + shape + " is " + std::to_string(header.shape.size()) +
                       "-D; need 2-D (memories, dim)");
    const uint64_t rows = header.shape[0];
    const uint64_t cols = header.shape[1];
    if (rows == 0 || cols == 0) file.npy_error("shape " + shape + " is empty");

    if (cols > std::numeric_limits<uint64_t>::max() / itemsize / rows ||
        rows * cols > std::numeric_limits<size_t>::max() / sizeof(float))
        file.npy_error("shape " + shape + " is too large");
    check_data_length(file, header, data_offset, rows * cols, itemsize);

    NpyMatrix m;
    m.rows = rows;
    m.cols = cols;
    m.dtype = dtype;
    switch (dtype) {
        case NpyDtype::F4:
            m.data.resize(rows * cols);
            read_f4(file, m);
            break;
        case NpyDtype::F8:
            m.data.resize(rows * cols);
            read_f8(file, m);
            break;
        case NpyDtype::Bf16:
            m.bf16.resize(rows * cols);
            read_bf16(file, m);
            break;
        case NpyDtype::I1:
            m.int8.resize(rows * cols);
            read_i1(file, m);
            break;
    }
    return m;
}

StoreArray<float> read_npy_scales(const std::filesystem::path& path) {
    NpyFile file(path);
    uint64_t data_offset = 0;
    const detail::NpyHeader header = read_header(file, data_offset);

    if (dtype_of(file, header) != NpyDtype::F4)
        file.npy_error("dtype '" + header.descr + "': the int8 scales must be '<f4' (float32)");
    if (header.fortran_order)
        file.npy_error("fortran_order arrays are not supported (need C order)");
    const std::string shape = detail::shape_string(header.shape);
    const bool column = header.shape.size() == 2 && header.shape[1] == 1;
    if (header.shape.size() != 1 && !column)
        file.npy_error("shape " + shape + ": need (n,) or (n, 1), one scale per row");
    const uint64_t n = header.shape[0];
    if (n == 0) file.npy_error("shape " + shape + " is empty");
    if (n > std::numeric_limits<size_t>::max() / sizeof(float))
        file.npy_error("shape " + shape + " is too large");
    check_data_length(file, header, data_offset, n, sizeof(float));

    StoreArray<float> scales(n);
    file.read(scales.data(), n * sizeof(float));
    for (uint64_t i = 0; i < n; ++i) {
        if (!std::isfinite(scales[i]))
            file.npy_error("non-finite scale " + value_text(scales[i]) + " at row " +
                           std::to_string(i));
        if (scales[i] < 0.0f)
            file.npy_error("negative scale " + value_text(scales[i]) + " at row " +
                           std::to_string(i) + " (the scales are >= 0)");
    }
    return scales;
}

}  // namespace engram

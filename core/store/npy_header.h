// The .npy header dictionary: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (10000, 768), }
// parsed by a small recursive-descent parser that accepts exactly the literal
// subset NumPy writes (strings, True/False, tuples of integers) and rejects
// anything else with a reason, so no Python evaluation is ever needed.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace engram {

// The element types the store reads, by the header's 'descr' (little-endian
// only; see parse_npy_dtype for the exact strings).
enum class NpyDtype {
    F4,    // '<f4': float32
    F8,    // '<f8': float64 (converted to float32)
    I1,    // '|i1' or '<i1': int8 codes ([store] embedding_format = "int8")
    Bf16,  // '<u2' (raw bit patterns as uint16) or '<V2' / '|V2' (what NumPy
           // writes for ml_dtypes.bfloat16): bf16 ([store] embedding_format = "bf16")
};

}  // namespace engram

namespace engram::detail {

// The dtype a 'descr' names, or nullopt for any other (big-endian, other
// kinds and sizes, native '=' order).
std::optional<NpyDtype> parse_npy_dtype(std::string_view descr);

// Bytes per element.
uint64_t npy_itemsize(NpyDtype dtype);

// "float32", "float64", "int8 codes", "bf16 bit patterns": for messages.
const char* npy_dtype_name(NpyDtype dtype);

// The accepted descr strings, for messages: "'<f4' or '<f8'" etc.
inline constexpr const char* kNpyDtypesAccepted =
    "'<f4' or '<f8'; '|i1' int8 codes or '<u2' / '<V2' bf16 bit patterns with the matching "
    "[store] embedding_format";

struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    std::vector<uint64_t> shape;
};

// Thrown with the reason only; the reader adds the file name and error code.
class NpyHeaderError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Parses the dict, requiring exactly the keys 'descr', 'fortran_order' and
// 'shape' (as NumPy does); trailing spaces and newlines are allowed.
NpyHeader parse_npy_header(std::string_view text);

// "(3, 4)", "(5,)", "()": how NumPy would print the shape.
std::string shape_string(const std::vector<uint64_t>& shape);

}  // namespace engram::detail

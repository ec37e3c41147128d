// The .npy header dictionary: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (10000, 768), }
// parsed by a small recursive-descent parser that accepts exactly the literal
// subset NumPy writes (strings, True/False, tuples of integers) and rejects
// anything else with a reason, so no Python evaluation is ever needed.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace engram::detail {

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

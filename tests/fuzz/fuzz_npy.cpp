// libFuzzer harness: the .npy reader. The input is used twice: as the header
// dictionary text (detail::parse_npy_header: a value or NpyHeaderError) and
// as a whole .npy file (read_npy_matrix with each embedding_format, and
// read_npy_scales: a value or engram::Error E_DATA_READ / E_DATA_NPY). A
// matrix read must hold exactly rows x cols elements of its dtype.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/error.h"
#include "fuzz_util.h"
#include "store/dataset_io.h"
#include "store/npy_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const auto h = engram::detail::parse_npy_header(
            std::string_view(reinterpret_cast<const char*>(data), size));
        (void)engram::detail::shape_string(h.shape);
    } catch (const engram::detail::NpyHeaderError&) {
    }
    const auto& file = engram::fuzz::write_input("input.npy", data, size);
    for (const engram::EmbeddingFormat format :
         {engram::EmbeddingFormat::F32, engram::EmbeddingFormat::Bf16,
          engram::EmbeddingFormat::Int8}) {
        try {
            const engram::NpyMatrix m = engram::read_npy_matrix(file, format);
            const size_t held = m.dtype == engram::NpyDtype::I1     ? m.int8.size()
                                : m.dtype == engram::NpyDtype::Bf16 ? m.bf16.size()
                                                                    : m.data.size();
            if (held != m.rows * m.cols) std::abort();
        } catch (const engram::Error&) {
        }
    }
    try {
        (void)engram::read_npy_scales(file);
    } catch (const engram::Error&) {
    }
    return 0;
}

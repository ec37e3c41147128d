#include "store/embedding_codec.h"

#include <algorithm>
#include <cmath>

namespace engram::codec {

float int8_quantize_row(const float* row, uint64_t dim, int8_t* codes) {
    float max_abs = 0.0f;
    for (uint64_t k = 0; k < dim; ++k) max_abs = std::max(max_abs, std::fabs(row[k]));
    const float scale = static_cast<float>(static_cast<double>(max_abs) / 127.0);
    if (!(scale > 0.0f)) {  // a zero row (or one whose max/127 underflows to 0)
        std::fill(codes, codes + dim, int8_t{0});
        return 0.0f;
    }
    for (uint64_t k = 0; k < dim; ++k) {
        const double q = std::round(static_cast<double>(row[k]) / static_cast<double>(scale));
        codes[k] = static_cast<int8_t>(std::clamp(q, -127.0, 127.0));
    }
    return scale;
}

}  // namespace engram::codec

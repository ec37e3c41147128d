// [store] embedding_format: the bf16 and int8 codecs and the compressed
// store build_store makes from float32 embeddings (ABI 1.1).
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "store/embedding_codec.h"
#include "store/memory_store.h"
#include "store_test_support.h"

using engram::EmbeddingFormat;
using engram::MemoryStore;
using engram::StoreConfig;
namespace codec = engram::codec;

namespace {
constexpr double kNow = 1.7e9;

float from_bits(uint32_t b) {
    float f;
    std::memcpy(&f, &b, sizeof f);
    return f;
}

StoreConfig synthetic(EmbeddingFormat f, uint64_t memories = 500, uint64_t dim = 96) {
    StoreConfig cfg;
    cfg.kind = StoreConfig::Kind::Synthetic;
    cfg.memories = memories;
    cfg.dim = dim;
    cfg.avg_in_degree = 3.0;
    cfg.seed = 11;
    cfg.embedding_format = f;
    return cfg;
}
}  // namespace

TEST_CASE("bf16: round to nearest even on the upper 16 bits, saturating", "[store][codec]") {
    CHECK(codec::float_to_bf16(1.0f) == 0x3f80);
    CHECK(codec::float_to_bf16(-2.0f) == 0xc000);
    CHECK(codec::float_to_bf16(0.0f) == 0x0000);
    CHECK(codec::float_to_bf16(-0.0f) == 0x8000);
    // Exactly half-way: to the even neighbour.
    CHECK(codec::float_to_bf16(from_bits(0x3f808000u)) == 0x3f80);  // 1.0 + half ulp -> 1.0
    CHECK(codec::float_to_bf16(from_bits(0x3f818000u)) == 0x3f82);  // odd + half ulp -> up
    CHECK(codec::float_to_bf16(from_bits(0x3f808001u)) == 0x3f81);  // just above half: up
    CHECK(codec::float_to_bf16(from_bits(0x3f807fffu)) == 0x3f80);  // just below half: down
    // Finite never becomes infinite.
    CHECK(codec::float_to_bf16(FLT_MAX) == 0x7f7f);
    CHECK(codec::float_to_bf16(-FLT_MAX) == 0xff7f);
    CHECK(std::isinf(codec::bf16_to_float(codec::float_to_bf16(INFINITY))));
    // Round trip: relative error at most 2^-8 (bf16 keeps 8 significant bits),
    // exact for values that already fit.
    uint64_t state = 12345;
    for (int i = 0; i < 100000; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const float f = from_bits(static_cast<uint32_t>(state >> 32) & 0xbfffffffu);  // finite
        if (!std::isfinite(f) || std::fabs(f) < FLT_MIN || std::fabs(f) > 1e38f) continue;
        const float back = codec::bf16_to_float(codec::float_to_bf16(f));
        REQUIRE(std::fabs(double(back) - f) <= std::ldexp(std::fabs(double(f)), -8));
    }
    CHECK(codec::bf16_to_float(codec::float_to_bf16(0.15625f)) == 0.15625f);
}

TEST_CASE("int8: symmetric per row, scale = max|c|/127, |error| <= scale/2", "[store][codec]") {
    const std::vector<float> row = {0.5f, -1.27f, 0.0f, 0.01f, 1.0f, -0.3333f};
    std::vector<int8_t> codes(row.size());
    const float scale = codec::int8_quantize_row(row.data(), row.size(), codes.data());
    CHECK(scale == static_cast<float>(1.27 / 127.0));
    CHECK(codes[1] == -127);
    CHECK(codes[2] == 0);
    for (size_t k = 0; k < row.size(); ++k) {
        CHECK(codes[k] >= -127);
        CHECK(std::fabs(double(scale) * codes[k] - row[k]) <= 0.5 * scale * (1 + 1e-12));
    }
    const std::vector<float> zero(5, 0.0f);
    std::vector<int8_t> zc(5, 9);
    CHECK(codec::int8_quantize_row(zero.data(), 5, zc.data()) == 0.0f);
    CHECK(zc == std::vector<int8_t>(5, 0));
}

TEST_CASE("build_store converts to the configured format; norms are of the decoded rows",
          "[store][compressed]") {
    const MemoryStore f32 = engram::build_store(synthetic(EmbeddingFormat::F32), kNow);
    for (EmbeddingFormat f : {EmbeddingFormat::Bf16, EmbeddingFormat::Int8}) {
        INFO(engram::embedding_format_name(f));
        const MemoryStore s = engram::build_store(synthetic(f), kNow);
        CHECK(s.format == f);
        CHECK(s.n == f32.n);
        CHECK(s.dim == f32.dim);
        CHECK(s.embeddings.empty());  // the f32 rows are not kept
        CHECK(s.sources == f32.sources);
        CHECK(s.stability == f32.stability);
        if (f == EmbeddingFormat::Bf16) {
            CHECK(s.embeddings_bf16.size() == s.n * s.dim);
            CHECK(s.embeddings_int8.empty());
        } else {
            CHECK(s.embeddings_int8.size() == s.n * s.dim);
            CHECK(s.scales.size() == s.n);
            CHECK(s.embeddings_bf16.empty());
        }
        double worst_rel = 0;
        for (uint64_t i = 0; i < s.n; ++i) {
            const std::vector<float> row = engram::decoded_row(s, i);
            double cc = 0, ee = 0, max_abs = 0;
            for (uint64_t k = 0; k < s.dim; ++k) {
                const double orig = f32.embeddings[i * s.dim + k];
                double dec = row[k];
                if (f == EmbeddingFormat::Int8)
                    dec = double(s.scales[i]) * s.embeddings_int8[i * s.dim + k];
                cc += dec * dec;
                ee += (dec - orig) * (dec - orig);
                max_abs = std::max(max_abs, std::fabs(orig));
                if (f == EmbeddingFormat::Bf16) {
                    REQUIRE(std::fabs(dec - orig) <= std::ldexp(std::fabs(orig), -8));
                    REQUIRE(s.embeddings_bf16[i * s.dim + k] ==
                            codec::float_to_bf16(f32.embeddings[i * s.dim + k]));
                } else {
                    REQUIRE(std::fabs(dec - orig) <= 0.5 * s.scales[i] * (1 + 1e-12));
                }
            }
            if (f == EmbeddingFormat::Int8)
                REQUIRE(s.scales[i] == static_cast<float>(max_abs / 127.0));
            // The host's norm: the decoded row's, computed in double, as float.
            REQUIRE(s.norms[i] == Approx(std::sqrt(cc)).epsilon(1e-7));
            worst_rel = std::max(worst_rel, std::sqrt(ee) / f32.norms[i]);
        }
        // Whole-row relative error: bf16 <= 2^-8; int8 <= sqrt(dim)/254.
        CHECK(worst_rel <= (f == EmbeddingFormat::Bf16 ? std::ldexp(1.0, -8)
                                                       : std::sqrt(double(s.dim)) / 254.0));
    }
}

TEST_CASE("files stores convert too (a float32 .npy, stored as int8)", "[store][compressed]") {
    engram::test::TempDir dir;
    const std::vector<float> emb = {3, 4, 0, -1, 0.5f, 0.25f};
    const auto npy = dir.write("e.npy", engram::test::npy_matrix(2, 3, emb));
    const auto edges = dir.write("e.csv", "source,target,weight\n0,1,0.5\n");
    StoreConfig cfg;
    cfg.kind = StoreConfig::Kind::Files;
    cfg.embeddings = npy;
    cfg.edges = edges;
    cfg.embedding_format = EmbeddingFormat::Int8;
    const MemoryStore s = engram::build_store(cfg, kNow);
    REQUIRE(s.format == EmbeddingFormat::Int8);
    CHECK(s.scales[0] == static_cast<float>(4.0 / 127.0));
    CHECK(std::vector<int8_t>(s.embeddings_int8.begin(), s.embeddings_int8.begin() + 3) ==
          std::vector<int8_t>{95, 127, 0});
    CHECK(s.norms[0] == Approx(std::sqrt(95.0 * 95 + 127 * 127) * (4.0 / 127.0)).epsilon(1e-7));
}

// [store] kind = "files" with the compressed rows themselves in the .npy:
// int8 codes with [store] embedding_scales, or bf16 bit patterns. The store
// they give is bit for bit the one converting the equivalent float32 file
// gives; every mismatch between the files and the config is refused with its
// code and a message that says what to fix.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/embedding_codec.h"
#include "store/memory_store.h"
#include "store_test_support.h"

using engram::EmbeddingFormat;
using engram::ErrorCode;
using engram::MemoryStore;
using engram::StoreConfig;
using engram::test::error_from;
using engram::test::npy_dict;
using engram::test::npy_file;
using engram::test::npy_matrix;
using engram::test::npy_scales;
using engram::test::npy_typed;
using engram::test::raw_bytes;
using engram::test::TempDir;
namespace codec = engram::codec;

namespace {

constexpr double kNow = 1.7e9;
constexpr uint64_t kRows = 41;
constexpr uint64_t kDim = 23;

// Rows of every kind the codecs treat specially: ordinary values, a zero
// row, one dominant element, tiny and huge magnitudes, exact halves.
std::vector<float> float_rows() {
    std::vector<float> v(kRows * kDim);
    uint64_t state = 99;
    for (float& x : v) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        x = static_cast<float>(static_cast<int64_t>(state >> 40) - (int64_t{1} << 23)) / 4.0e6f;
    }
    for (uint64_t k = 0; k < kDim; ++k) {
        v[3 * kDim + k] = 0.0f;                            // zero row
        v[5 * kDim + k] = k == 7 ? 1000.0f : 0.001f;       // one dominant element
        v[8 * kDim + k] = 1e-30f * static_cast<float>(k);  // tiny
        v[9 * kDim + k] = 1e30f * (k % 2 ? 1.0f : -1.0f);  // huge
        v[10 * kDim + k] = static_cast<float>(k) - 11.5f;  // halves
    }
    return v;
}

struct Files {
    TempDir dir;
    std::vector<float> rows = float_rows();
    std::filesystem::path f32 = dir.write("f32.npy", npy_matrix(kRows, kDim, rows));
    std::filesystem::path edges = dir.write("e.csv", "0,1,0.5\n2,0,1.25\n40,3,2\n");
    std::filesystem::path memories = dir.write("m.csv", "1,0.5,1600000000,3600\n");

    // The codec's own output, written as the files people ship.
    std::filesystem::path int8_codes(const std::string& descr = "|i1") {
        std::vector<int8_t> codes(rows.size());
        for (uint64_t i = 0; i < kRows; ++i)
            scales.push_back(
                codec::int8_quantize_row(rows.data() + i * kDim, kDim, codes.data() + i * kDim));
        return dir.write("codes.npy", npy_typed(descr, kRows, kDim, codes));
    }
    std::vector<float> scales;  // filled by int8_codes()
    std::filesystem::path bf16(const std::string& descr = "<u2") {
        std::vector<uint16_t> bits(rows.size());
        for (size_t i = 0; i < rows.size(); ++i) bits[i] = codec::float_to_bf16(rows[i]);
        return dir.write("bf16.npy", npy_typed(descr, kRows, kDim, bits));
    }

    StoreConfig config(const std::filesystem::path& embeddings, EmbeddingFormat f,
                       const std::filesystem::path& scales_file = {}) const {
        StoreConfig cfg;
        cfg.kind = StoreConfig::Kind::Files;
        cfg.embeddings = embeddings;
        cfg.embedding_scales = scales_file;
        cfg.edges = edges;
        cfg.memories_csv = memories;
        cfg.embedding_format = f;
        cfg.reorder = StoreConfig::Reorder::Degree;
        return cfg;
    }
};

template <class T>
bool same_bits(const engram::StoreArray<T>& a, const engram::StoreArray<T>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Every array of the two stores, bit for bit.
void require_identical(const MemoryStore& a, const MemoryStore& b) {
    REQUIRE(a.format == b.format);
    REQUIRE(a.n == b.n);
    REQUIRE(a.dim == b.dim);
    CHECK(same_bits(a.embeddings, b.embeddings));
    CHECK(same_bits(a.embeddings_bf16, b.embeddings_bf16));
    CHECK(same_bits(a.embeddings_int8, b.embeddings_int8));
    CHECK(same_bits(a.scales, b.scales));
    CHECK(same_bits(a.norms, b.norms));
    CHECK(same_bits(a.offsets, b.offsets));
    CHECK(same_bits(a.sources, b.sources));
    CHECK(same_bits(a.weights, b.weights));
    CHECK(same_bits(a.strength, b.strength));
    CHECK(same_bits(a.last_access, b.last_access));
    CHECK(same_bits(a.stability, b.stability));
    CHECK(same_bits(a.graph_slot, b.graph_slot));
    CHECK(same_bits(a.graph_id, b.graph_id));
}

engram::Error build_error(const StoreConfig& cfg) {
    return error_from([&] { engram::build_store(cfg, kNow); });
}

}  // namespace

TEST_CASE("int8 codes + scales from .npy: the store converting the float32 file gives",
          "[store][compressed][files]") {
    Files f;
    const MemoryStore converted = engram::build_store(f.config(f.f32, EmbeddingFormat::Int8), kNow);
    const std::string descr = GENERATE(std::string("|i1"), std::string("<i1"));
    const auto codes = f.int8_codes(descr);
    SECTION("scales of shape (n,)") {
        const auto scales = f.dir.write("s.npy", npy_scales(f.scales));
        const MemoryStore read =
            engram::build_store(f.config(codes, EmbeddingFormat::Int8, scales), kNow);
        require_identical(read, converted);
        CHECK(read.embeddings.empty());
        CHECK(read.scales[3] == 0.0f);  // the zero row
    }
    SECTION("scales of shape (n, 1)") {
        const auto scales =
            f.dir.write("s.npy", npy_file(npy_dict("<f4", kRows, 1), 1, raw_bytes(f.scales)));
        require_identical(engram::build_store(f.config(codes, EmbeddingFormat::Int8, scales), kNow),
                          converted);
    }
}

TEST_CASE("bf16 bit patterns from .npy: the store converting the float32 file gives",
          "[store][compressed][files]") {
    Files f;
    const MemoryStore converted = engram::build_store(f.config(f.f32, EmbeddingFormat::Bf16), kNow);
    const std::string descr = GENERATE(std::string("<u2"), std::string("<V2"), std::string("|V2"));
    const MemoryStore read =
        engram::build_store(f.config(f.bf16(descr), EmbeddingFormat::Bf16), kNow);
    require_identical(read, converted);
    CHECK(read.embeddings.empty());
}

TEST_CASE("a float .npy still works, converted, with every format", "[store][compressed][files]") {
    Files f;
    const std::vector<double> wide(f.rows.begin(), f.rows.end());
    const auto f64 = f.dir.write("f64.npy", npy_matrix(kRows, kDim, wide));
    for (EmbeddingFormat format :
         {EmbeddingFormat::F32, EmbeddingFormat::Bf16, EmbeddingFormat::Int8}) {
        INFO(engram::embedding_format_name(format));
        const MemoryStore s = engram::build_store(f.config(f.f32, format), kNow);
        CHECK(s.format == format);
        // The converter, by hand, from the synthetic-store path's own float rows.
        MemoryStore by_hand;
        by_hand.n = kRows;
        by_hand.dim = kDim;
        by_hand.embeddings.assign(f.rows.begin(), f.rows.end());
        engram::compute_norms(by_hand);
        engram::compress_embeddings(by_hand, format);
        CHECK(same_bits(s.embeddings, by_hand.embeddings));
        CHECK(same_bits(s.embeddings_bf16, by_hand.embeddings_bf16));
        CHECK(same_bits(s.embeddings_int8, by_hand.embeddings_int8));
        CHECK(same_bits(s.scales, by_hand.scales));
        CHECK(same_bits(s.norms, by_hand.norms));
        // float64 rows that are exact floats give the same store.
        require_identical(engram::build_store(f.config(f64, format), kNow), s);
    }
}

TEST_CASE("compress_embeddings leaves a store already in the format alone", "[store][compressed]") {
    Files f;
    MemoryStore s = engram::build_store(f.config(f.bf16(), EmbeddingFormat::Bf16), kNow);
    MemoryStore copy = s;  // unsealed
    engram::compress_embeddings(copy, EmbeddingFormat::Bf16);
    require_identical(copy, s);
    CHECK_THROWS_AS(engram::compress_embeddings(copy, EmbeddingFormat::Int8), std::logic_error);
    CHECK_THROWS_AS(engram::compress_embeddings(copy, EmbeddingFormat::F32), std::logic_error);
}

TEST_CASE("compressed .npy mismatches: each with its code and message",
          "[store][compressed][files]") {
    Files f;
    const auto codes = f.int8_codes();
    const auto scales = f.dir.write("s.npy", npy_scales(f.scales));
    const auto bf16 = f.bf16();
    const std::string c = codes.string();
    const std::string s = scales.string();

    SECTION("int8 codes with format f32 or bf16") {
        for (EmbeddingFormat format : {EmbeddingFormat::F32, EmbeddingFormat::Bf16}) {
            const engram::Error e = build_error(f.config(codes, format));
            CHECK(e.code() == ErrorCode::DataNpy);
            CHECK(std::string(e.what()) ==
                  c +
                      ": dtype '|i1' (int8 codes) is only read with [store] embedding_format = "
                      "\"int8\" (it is \"" +
                      engram::embedding_format_name(format) + "\")");
        }
    }
    SECTION("bf16 bit patterns with format f32 or int8 (with or without scales)") {
        for (const auto& cfg :
             {f.config(bf16, EmbeddingFormat::F32), f.config(bf16, EmbeddingFormat::Int8),
              f.config(bf16, EmbeddingFormat::Int8, scales)}) {
            const engram::Error e = build_error(cfg);
            CHECK(e.code() == ErrorCode::DataNpy);
            CHECK(std::string(e.what()) ==
                  bf16.string() +
                      ": dtype '<u2' (bf16 bit patterns) is only read with [store] "
                      "embedding_format = \"bf16\" (it is \"" +
                      engram::embedding_format_name(cfg.embedding_format) + "\")");
        }
    }
    SECTION("int8 codes without embedding_scales") {
        const engram::Error e = build_error(f.config(codes, EmbeddingFormat::Int8));
        CHECK(e.code() == ErrorCode::ConfigMissing);
        CHECK(std::string(e.what()) ==
              "[store] embedding_scales: required because " + c +
                  " holds int8 codes: name a float32 .npy of their per-row scales");
    }
    SECTION("embedding_scales with a float .npy") {
        const engram::Error e = build_error(f.config(f.f32, EmbeddingFormat::Int8, scales));
        CHECK(e.code() == ErrorCode::ConfigValue);
        CHECK(std::string(e.what()) ==
              "[store] embedding_scales: only used with a .npy of int8 codes, but " +
                  f.f32.string() +
                  " holds float32, which the store converts with scales of its own: remove "
                  "embedding_scales, or give the codes as embeddings");
    }
    SECTION("embedding_scales with format f32 or bf16") {
        for (EmbeddingFormat format : {EmbeddingFormat::F32, EmbeddingFormat::Bf16}) {
            const engram::Error e = build_error(f.config(f.f32, format, scales));
            CHECK(e.code() == ErrorCode::ConfigValue);
            CHECK(std::string(e.what()) ==
                  "[store] embedding_scales: only allowed with embedding_format = \"int8\" (it is "
                  "\"" +
                      std::string(engram::embedding_format_name(format)) + "\")");
        }
    }
    SECTION("a scale per row: too few, too many") {
        for (size_t n : {kRows - 1, kRows + 1}) {
            std::vector<float> wrong = f.scales;
            wrong.resize(n, 1.0f);
            const auto file = f.dir.write("wrong.npy", npy_scales(wrong));
            const engram::Error e = build_error(f.config(codes, EmbeddingFormat::Int8, file));
            CHECK(e.code() == ErrorCode::DataInconsistent);
            CHECK(std::string(e.what()) == file.string() + ": " + std::to_string(n) +
                                               " scales, but " + c +
                                               " has 41 rows (need one scale per row)");
        }
    }
    SECTION("non-finite, negative or float64 scales") {
        struct Case {
            std::string bytes;
            std::string reason;
        };
        std::vector<float> nan = f.scales, neg = f.scales, inf = f.scales;
        nan[4] = std::numeric_limits<float>::quiet_NaN();
        neg[6] = -1.5f;
        inf[40] = -std::numeric_limits<float>::infinity();
        const std::vector<double> wide(f.scales.begin(), f.scales.end());
        for (const Case& k :
             {Case{npy_scales(nan), "non-finite scale NaN at row 4"},
              Case{npy_scales(neg), "negative scale -1.5 at row 6 (the scales are >= 0)"},
              Case{npy_scales(inf), "non-finite scale -inf at row 40"},
              Case{npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': "
                            "(41,), }",
                            1, raw_bytes(wide)),
                   "dtype '<f8': the int8 scales must be '<f4' (float32)"}}) {
            const auto file = f.dir.write("bad.npy", k.bytes);
            const engram::Error e = build_error(f.config(codes, EmbeddingFormat::Int8, file));
            CHECK(e.code() == ErrorCode::DataNpy);
            CHECK(std::string(e.what()) == file.string() + ": " + k.reason);
        }
    }
    SECTION("a scale that decodes a code past float range") {
        std::vector<float> big = f.scales;
        big[2] = std::numeric_limits<float>::max();
        const auto file = f.dir.write("big.npy", npy_scales(big));
        const engram::Error e = build_error(f.config(codes, EmbeddingFormat::Int8, file));
        CHECK(e.code() == ErrorCode::DataNpy);
        CHECK(std::string(e.what()) ==
              file.string() +
                  ": scale 3.4028234663852886e+38 at row 2 times code 127 is out of "
                  "float range");
    }
    SECTION("code -128") {
        std::vector<int8_t> bad(kRows * kDim, 1);
        bad[2 * kDim + 5] = -128;
        const auto file = f.dir.write("bad.npy", npy_typed("|i1", kRows, kDim, bad));
        const engram::Error e = build_error(f.config(file, EmbeddingFormat::Int8, scales));
        CHECK(e.code() == ErrorCode::DataNpy);
        CHECK(std::string(e.what()) ==
              file.string() +
                  ": int8 code -128 at row 2, column 5 (the codes are -127..127, symmetric around "
                  "0)");
    }
    SECTION("a missing scales file") {
        const auto missing = f.dir.path() / "none.npy";
        const engram::Error e = build_error(f.config(codes, EmbeddingFormat::Int8, missing));
        CHECK(e.code() == ErrorCode::DataRead);
        CHECK_THAT(e.what(), Catch::StartsWith(missing.string() + ": cannot open"));
    }
}

// read_npy_matrix: good files of every supported kind, and every way a file
// can be malformed, each with an error that names the file and the reason.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "store/dataset_io.h"
#include "store/npy_header.h"
#include "store_test_support.h"

using engram::ErrorCode;
using engram::NpyMatrix;
using engram::read_npy_matrix;
using engram::test::error_from;
using engram::test::npy_dict;
using engram::test::npy_file;
using engram::test::npy_matrix;
using engram::test::raw_bytes;
using engram::test::TempDir;

namespace {

const std::vector<float> kValues = {0.0f, 1.5f,  -2.25f,  3.0e-8f, 4.0f,   -5.5f,
                                    6.0f, 7.75f, 1.0e30f, -9.0f,   0.125f, 11.0f};

// The error reading `bytes` as a file, checked to be E_DATA_NPY and to name
// the file; returns the message for reason checks.
std::string npy_error(const std::string& bytes, bool scales = false) {
    TempDir dir;
    const auto file = dir.write("emb.npy", bytes);
    const engram::Error e = error_from([&] {
        if (scales)
            engram::read_npy_scales(file);
        else
            read_npy_matrix(file);
    });
    INFO(e.what());
    CHECK(e.code() == ErrorCode::DataNpy);
    CHECK_THAT(e.what(), Catch::StartsWith(file.string() + ": "));
    return e.what();
}

}  // namespace

TEST_CASE("npy: float32 round trip, versions 1.0, 2.0 and 3.0", "[store][npy]") {
    const unsigned major = GENERATE(1u, 2u, 3u);
    TempDir dir;
    const auto file = dir.write("emb.npy", npy_matrix(3, 4, kValues, major));
    const NpyMatrix m = read_npy_matrix(file);
    CHECK(m.rows == 3);
    CHECK(m.cols == 4);
    CHECK(std::vector<float>(m.data.begin(), m.data.end()) == kValues);
}

TEST_CASE("npy: float64 is converted to float", "[store][npy]") {
    const unsigned major = GENERATE(1u, 2u);
    const std::vector<double> values = {0.1, -0.2, 1e-3, 12345.678, 1e30, -7.0};
    TempDir dir;
    const auto file = dir.write("emb.npy", npy_matrix(2, 3, values, major));
    const NpyMatrix m = read_npy_matrix(file);
    CHECK(m.rows == 2);
    CHECK(m.cols == 3);
    REQUIRE(m.data.size() == values.size());
    for (size_t i = 0; i < values.size(); ++i) CHECK(m.data[i] == static_cast<float>(values[i]));
}

TEST_CASE("npy: large f8 arrays are converted across chunks", "[store][npy]") {
    // More than one 64 Ki-value conversion chunk, not a multiple of it.
    const uint64_t rows = 1000;
    const uint64_t cols = 131;
    std::vector<double> values(rows * cols);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i) * 0.5 - 7.0;
    TempDir dir;
    const NpyMatrix m = read_npy_matrix(dir.write("big.npy", npy_matrix(rows, cols, values, 2)));
    REQUIRE(m.data.size() == values.size());
    bool same = true;
    for (size_t i = 0; i < values.size(); ++i)
        same = same && m.data[i] == static_cast<float>(values[i]);
    CHECK(same);
}

TEST_CASE("npy: header dict variants NumPy or people write", "[store][npy]") {
    const std::string payload = raw_bytes(std::vector<float>{1, 2, 3, 4, 5, 6});
    const std::string dict = GENERATE(
        std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}"),
        std::string("{\"shape\": (2,3), \"descr\": \"<f4\", \"fortran_order\": False,}"),
        std::string("{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }"),
        std::string("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }"));
    INFO(dict);
    TempDir dir;
    const NpyMatrix m = read_npy_matrix(dir.write("emb.npy", npy_file(dict, 1, payload)));
    CHECK(m.rows == 2);
    CHECK(m.cols == 3);
    CHECK(std::vector<float>(m.data.begin(), m.data.end()) == std::vector<float>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("npy: a missing file or a directory is E_DATA_READ", "[store][npy]") {
    TempDir dir;
    const auto file = dir.path() / "nope.npy";
    const engram::Error e = error_from([&] { read_npy_matrix(file); });
    CHECK(e.code() == ErrorCode::DataRead);
    CHECK_THAT(e.what(), Catch::Contains("nope.npy: cannot open"));
    const engram::Error d = error_from([&] { read_npy_matrix(dir.path()); });
    CHECK(d.code() == ErrorCode::DataRead);
    CHECK_THAT(d.what(), Catch::EndsWith(": is a directory, not a file"));
}

TEST_CASE("npy: malformed preamble", "[store][npy]") {
    const std::string good = npy_matrix(3, 4, kValues);
    SECTION("empty file") { CHECK_THAT(npy_error(""), Catch::Contains("too short")); }
    SECTION("bad magic") {
        std::string bytes = good;
        bytes[1] = 'X';
        CHECK_THAT(npy_error(bytes), Catch::Contains("bad magic"));
    }
    SECTION("not npy at all") {
        CHECK_THAT(npy_error("source,target,weight\n0,1,0.5\n"), Catch::Contains("bad magic"));
    }
    SECTION("version 4.0") {
        CHECK_THAT(npy_error(npy_file(npy_dict("<f4", 3, 4), 4, raw_bytes(kValues))),
                   Catch::Contains("unsupported .npy format version 4.0"));
    }
    SECTION("version 1.1") {
        CHECK_THAT(npy_error(npy_file(npy_dict("<f4", 3, 4), 1, raw_bytes(kValues), 1)),
                   Catch::Contains("version 1.1"));
    }
    SECTION("no header length") {
        CHECK_THAT(npy_error(good.substr(0, 9)), Catch::Contains("truncated header"));
    }
    SECTION("header shorter than declared") {
        CHECK_THAT(npy_error(good.substr(0, 40)), Catch::Contains("truncated header"));
    }
    SECTION("absurd header length") {
        std::string bytes = npy_file(npy_dict("<f4", 3, 4), 2, raw_bytes(kValues));
        bytes[11] = '\x7f';  // ~2 GiB
        CHECK_THAT(npy_error(bytes), Catch::Contains("implausibly large"));
    }
}

TEST_CASE("npy: malformed header dict", "[store][npy]") {
    struct Case {
        std::string dict;
        std::string reason;
    };
    const Case c = GENERATE(
        Case{"'descr': '<f4'", "expected '{'"},
        Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)", "not closed"},
        Case{"{'descr': '<f4', 'fortran_order': False}", "no 'shape'"},
        Case{"{'fortran_order': False, 'shape': (3, 4)}", "no 'descr'"},
        Case{"{'descr': '<f4', 'shape': (3, 4)}", "no 'fortran_order'"},
        Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), 'x': 1}",
             "unexpected key 'x'"},
        Case{"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)}",
             "duplicate key 'descr'"},
        Case{"{'descr': '<f4' 'fortran_order': False, 'shape': (3, 4)}", "expected ',' or '}'"},
        Case{"{'descr': <f4, 'fortran_order': False, 'shape': (3, 4)}", "expected a quoted"},
        Case{"{'descr': '<f4, 'fortran_order': False, 'shape': (3, 4)}", "bad header"},
        Case{"{'descr': '<f4', 'fortran_order': false, 'shape': (3, 4)}", "True or False"},
        Case{"{'descr': '<f4', 'fortran_order': False, 'shape': [3, 4]}", "must be a tuple"},
        Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (3, -4)}", "non-negative"},
        Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (3 4)}", "expected ',' or ')'"},
        Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4)}",
             "too large"},
        Case{"{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)} junk",
             "unexpected text after"},
        Case{"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,)}",
             "structured dtype"});
    INFO(c.dict);
    const std::string msg = npy_error(npy_file(c.dict, 1, raw_bytes(kValues)));
    CHECK_THAT(msg, Catch::Contains("bad header"));
    CHECK_THAT(msg, Catch::Contains(c.reason));
}

TEST_CASE("npy: unsupported dtypes", "[store][npy]") {
    const std::string descr = GENERATE(std::string("<i4"), std::string(">f4"), std::string("<f2"),
                                       std::string("|u1"), std::string("=f4"), std::string("<c8"));
    const std::string msg = npy_error(npy_file(npy_dict(descr, 3, 4), 1, raw_bytes(kValues)));
    CHECK_THAT(msg, Catch::EndsWith(": unsupported dtype '" + descr +
                                    "' (need '<f4' or '<f8'; '|i1' int8 codes or '<u2' / '<V2' "
                                    "bf16 bit patterns with the matching [store] "
                                    "embedding_format)"));
}

TEST_CASE("npy: the dtypes the header names", "[store][npy]") {
    using engram::NpyDtype;
    using engram::detail::parse_npy_dtype;
    CHECK(parse_npy_dtype("<f4") == NpyDtype::F4);
    CHECK(parse_npy_dtype("<f8") == NpyDtype::F8);
    CHECK(parse_npy_dtype("|i1") == NpyDtype::I1);
    CHECK(parse_npy_dtype("<i1") == NpyDtype::I1);
    CHECK(parse_npy_dtype("<u2") == NpyDtype::Bf16);
    CHECK(parse_npy_dtype("<V2") == NpyDtype::Bf16);
    CHECK(parse_npy_dtype("|V2") == NpyDtype::Bf16);
    for (const char* other :
         {">f4", "=f4", "|u1", ">i1", "=i1", ">u2", "<i2", "|V4", "<f2", "bf16"})
        CHECK_FALSE(parse_npy_dtype(other).has_value());
    CHECK(engram::detail::npy_itemsize(NpyDtype::I1) == 1);
    CHECK(engram::detail::npy_itemsize(NpyDtype::Bf16) == 2);

    TempDir dir;
    const auto file =
        dir.write("c.npy", engram::test::npy_typed("|i1", 2, 2, std::vector<int8_t>{1, 2, 3, 4}));
    CHECK(engram::read_npy_dtype(file) == NpyDtype::I1);
}

TEST_CASE("npy: int8 codes are read as they are, with embedding_format int8", "[store][npy]") {
    using engram::EmbeddingFormat;
    const std::string descr = GENERATE(std::string("|i1"), std::string("<i1"));
    const std::vector<int8_t> codes = {0, 1, -1, 127, -127, 42, -7, 100, 3, 0, 0, -50};
    TempDir dir;
    const auto file = dir.write("c.npy", engram::test::npy_typed(descr, 3, 4, codes));
    const NpyMatrix m = read_npy_matrix(file, EmbeddingFormat::Int8);
    CHECK(m.dtype == engram::NpyDtype::I1);
    CHECK(m.rows == 3);
    CHECK(m.cols == 4);
    CHECK(m.data.empty());
    CHECK(m.bf16.empty());
    CHECK(std::vector<int8_t>(m.int8.begin(), m.int8.end()) == codes);
}

TEST_CASE("npy: bf16 bit patterns are read as they are, with embedding_format bf16",
          "[store][npy]") {
    using engram::EmbeddingFormat;
    const std::string descr = GENERATE(std::string("<u2"), std::string("<V2"), std::string("|V2"));
    const std::vector<uint16_t> bits = {0x3f80, 0xc000, 0x0000, 0x8000, 0x7f7f, 0x0001};
    TempDir dir;
    const auto file = dir.write("b.npy", engram::test::npy_typed(descr, 2, 3, bits));
    const NpyMatrix m = read_npy_matrix(file, EmbeddingFormat::Bf16);
    CHECK(m.dtype == engram::NpyDtype::Bf16);
    CHECK(m.rows == 2);
    CHECK(m.cols == 3);
    CHECK(m.data.empty());
    CHECK(std::vector<uint16_t>(m.bf16.begin(), m.bf16.end()) == bits);
}

TEST_CASE("npy: float files are read with every embedding_format", "[store][npy]") {
    using engram::EmbeddingFormat;
    const EmbeddingFormat f =
        GENERATE(EmbeddingFormat::F32, EmbeddingFormat::Bf16, EmbeddingFormat::Int8);
    TempDir dir;
    const NpyMatrix m = read_npy_matrix(dir.write("e.npy", npy_matrix(3, 4, kValues)), f);
    CHECK(m.dtype == engram::NpyDtype::F4);
    CHECK(std::vector<float>(m.data.begin(), m.data.end()) == kValues);
    const NpyMatrix d =
        read_npy_matrix(dir.write("d.npy", npy_matrix(1, 2, std::vector<double>{0.5, -2})), f);
    CHECK(d.dtype == engram::NpyDtype::F8);
    CHECK(std::vector<float>(d.data.begin(), d.data.end()) == std::vector<float>{0.5f, -2.0f});
}

TEST_CASE("npy: compressed rows only for their own embedding_format", "[store][npy]") {
    using engram::EmbeddingFormat;
    struct Case {
        std::string descr;
        EmbeddingFormat format;
        std::string reason;
    };
    const Case c = GENERATE(
        Case{"|i1", EmbeddingFormat::F32,
             "dtype '|i1' (int8 codes) is only read with [store] embedding_format = \"int8\" (it "
             "is \"f32\")"},
        Case{"<i1", EmbeddingFormat::Bf16,
             "dtype '<i1' (int8 codes) is only read with [store] embedding_format = \"int8\" (it "
             "is \"bf16\")"},
        Case{"<u2", EmbeddingFormat::F32,
             "dtype '<u2' (bf16 bit patterns) is only read with [store] embedding_format = "
             "\"bf16\" (it is \"f32\")"},
        Case{"<V2", EmbeddingFormat::Int8,
             "dtype '<V2' (bf16 bit patterns) is only read with [store] embedding_format = "
             "\"bf16\" (it is \"int8\")"});
    INFO(c.descr);
    TempDir dir;
    // Refused from the header: the data (here too short) is never looked at.
    const auto file = dir.write("c.npy", npy_file(npy_dict(c.descr, 1000, 1000), 1, ""));
    const engram::Error e = error_from([&] { read_npy_matrix(file, c.format); });
    CHECK(e.code() == ErrorCode::DataNpy);
    CHECK(std::string(e.what()) == file.string() + ": " + c.reason);
}

TEST_CASE("npy: int8 code -128 and non-finite bf16 are refused with their place", "[store][npy]") {
    using engram::EmbeddingFormat;
    TempDir dir;
    SECTION("-128") {
        const auto file = dir.write(
            "c.npy",
            engram::test::npy_typed("|i1", 2, 3, std::vector<int8_t>{1, 2, 3, 4, -128, 6}));
        const engram::Error e = error_from([&] { read_npy_matrix(file, EmbeddingFormat::Int8); });
        CHECK(e.code() == ErrorCode::DataNpy);
        CHECK(std::string(e.what()) ==
              file.string() +
                  ": int8 code -128 at row 1, column 1 (the codes are -127..127, symmetric around "
                  "0)");
    }
    SECTION("bf16 infinity and NaN") {
        struct Case {
            uint16_t bits;
            std::string text;
        };
        const Case c = GENERATE(Case{0x7f80, "inf"}, Case{0xff80, "-inf"}, Case{0x7fc0, "NaN"},
                                Case{0xffc1, "NaN"});
        const auto file = dir.write(
            "b.npy", engram::test::npy_typed("<u2", 2, 2, std::vector<uint16_t>{0, 0, 0, c.bits}));
        const engram::Error e = error_from([&] { read_npy_matrix(file, EmbeddingFormat::Bf16); });
        CHECK(e.code() == ErrorCode::DataNpy);
        CHECK(std::string(e.what()) ==
              file.string() + ": non-finite value " + c.text + " at row 1, column 1");
    }
    SECTION("data length is checked in the dtype's own item size") {
        const auto file =
            dir.write("c.npy", npy_file(npy_dict("<u2", 2, 2), 1, std::string(7, '\0')));
        const engram::Error e = error_from([&] { read_npy_matrix(file, EmbeddingFormat::Bf16); });
        CHECK(e.code() == ErrorCode::DataNpy);
        CHECK_THAT(e.what(), Catch::Contains("needs 8 bytes, file has 7"));
    }
}

TEST_CASE("npy: int8 scales, (n,) or (n, 1) float32, finite and >= 0", "[store][npy]") {
    TempDir dir;
    const std::vector<float> scales = {0.5f, 0.0f, 1e-30f, 3.0f};
    SECTION("good") {
        const auto one_d = dir.write("s.npy", engram::test::npy_scales(scales));
        const auto col = dir.write("c.npy", npy_file(npy_dict("<f4", 4, 1), 2, raw_bytes(scales)));
        for (const auto& file : {one_d, col}) {
            const auto got = engram::read_npy_scales(file);
            CHECK(std::vector<float>(got.begin(), got.end()) == scales);
        }
    }
    SECTION("malformed") {
        struct Case {
            std::string dict;
            std::vector<float> values;
            std::string reason;
        };
        const auto dict = [](const std::string& descr, const std::string& shape) {
            return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + "}";
        };
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        const Case c = GENERATE_COPY(
            Case{dict("<f8", "(2,)"),
                 {1, 2, 3, 4},
                 "dtype '<f8': the int8 scales must be '<f4' (float32)"},
            Case{dict("|i1", "(4,)"), {1}, "dtype '|i1': the int8 scales must be '<f4' (float32)"},
            Case{dict("<f4", "(2, 2)"), scales,
                 "shape (2, 2): need (n,) or (n, 1), one scale per row"},
            Case{dict("<f4", "()"), {1}, "shape (): need (n,) or (n, 1), one scale per row"},
            Case{dict("<f4", "(0,)"), {}, "shape (0,) is empty"},
            Case{dict("<f4", "(5,)"), scales,
                 "truncated data: shape (5,) '<f4' needs 20 bytes, file has 16"},
            Case{dict("<f4", "(3,)"), scales, "trailing data: 4 bytes after the (3,) '<f4' array"},
            Case{dict("<f4", "(4,)"), {1, 2, nan, 4}, "non-finite scale NaN at row 2"},
            Case{dict("<f4", "(4,)"), {inf, 2, 3, 4}, "non-finite scale inf at row 0"},
            Case{dict("<f4", "(4,)"),
                 {1, 2, 3, -0.25f},
                 "negative scale -0.25 at row 3 (the scales are >= 0)"});
        INFO(c.dict);
        const std::string msg = npy_error(npy_file(c.dict, 1, raw_bytes(c.values)), true);
        CHECK(msg.substr(msg.find(": ") + 2) == c.reason);
    }
}

TEST_CASE("npy: fortran order is refused", "[store][npy]") {
    const std::string dict = "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }";
    CHECK_THAT(npy_error(npy_file(dict, 1, raw_bytes(kValues))), Catch::Contains("fortran_order"));
}

TEST_CASE("npy: shapes other than a non-empty 2-D matrix", "[store][npy]") {
    struct Case {
        std::string shape;
        std::string payload;
        std::string reason;
    };
    const Case c = GENERATE(Case{"(12,)", raw_bytes(kValues), "shape (12,) is 1-D; need 2-D"},
                            Case{"()", raw_bytes(std::vector<float>{1}), "shape () is 0-D"},
                            Case{"(2, 3, 2)", raw_bytes(kValues), "shape (2, 3, 2) is 3-D"},
                            Case{"(0, 4)", "", "shape (0, 4) is empty"},
                            Case{"(3, 0)", "", "shape (3, 0) is empty"},
                            Case{"(4294967296, 4294967296)", "", "too large"});
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + c.shape + "}";
    CHECK_THAT(npy_error(npy_file(dict, 1, c.payload)), Catch::Contains(c.reason));
}

TEST_CASE("npy: data length must match the shape exactly", "[store][npy]") {
    const std::string payload = raw_bytes(kValues);
    SECTION("truncated") {
        const std::string msg =
            npy_error(npy_file(npy_dict("<f4", 3, 4), 1, payload.substr(0, payload.size() - 1)));
        CHECK_THAT(msg, Catch::Contains("truncated data"));
        CHECK_THAT(msg, Catch::Contains("needs 48 bytes, file has 47"));
    }
    SECTION("no data at all") {
        CHECK_THAT(npy_error(npy_file(npy_dict("<f8", 3, 4), 1, "")),
                   Catch::Contains("needs 96 bytes, file has 0"));
    }
    SECTION("trailing bytes") {
        CHECK_THAT(npy_error(npy_file(npy_dict("<f4", 3, 4), 1, payload + "xyz")),
                   Catch::Contains("trailing data: 3 bytes"));
    }
    SECTION("f4 data declared as f8") {
        CHECK_THAT(npy_error(npy_file(npy_dict("<f8", 3, 4), 1, payload)),
                   Catch::Contains("truncated data"));
    }
}

TEST_CASE("npy: non-finite values name their row and column", "[store][npy]") {
    SECTION("f4 NaN") {
        std::vector<float> v = kValues;
        v[6] = std::numeric_limits<float>::quiet_NaN();  // row 1, column 2
        CHECK_THAT(npy_error(npy_matrix(3, 4, v)),
                   Catch::Contains("non-finite value NaN at row 1, column 2"));
    }
    SECTION("f4 -inf") {
        std::vector<float> v = kValues;
        v[11] = -std::numeric_limits<float>::infinity();
        CHECK_THAT(npy_error(npy_matrix(3, 4, v)),
                   Catch::Contains("non-finite value -inf at row 2, column 3"));
    }
    SECTION("f8 inf") {
        std::vector<double> v(12, 1.0);
        v[4] = std::numeric_limits<double>::infinity();
        CHECK_THAT(npy_error(npy_matrix(3, 4, v)),
                   Catch::Contains("non-finite value inf at row 1, column 0"));
    }
    SECTION("f8 beyond float range") {
        std::vector<double> v(12, 1.0);
        v[3] = 1e300;
        CHECK_THAT(npy_error(npy_matrix(3, 4, v)),
                   Catch::Contains("value 1e+300 at row 0, column 3 is out of float range"));
    }
}

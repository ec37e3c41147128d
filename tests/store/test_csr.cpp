// build_in_edge_csr on graphs small enough to check by hand.
#include <catch2/catch.hpp>
#include <vector>

#include "store/dataset_io.h"
#include "store_test_support.h"

using engram::build_in_edge_csr;
using engram::Edge;
using engram::ErrorCode;
using engram::StoreArray;
using engram::test::error_from;

TEST_CASE("csr: in-edges grouped by target, stable in file order", "[store][csr]") {
    // Memory 2 has no in-edges; 1 has three, which must keep file order.
    const std::vector<Edge> edges = {
        {0, 1, 0.5f}, {2, 3, 0.25f}, {3, 1, 1.0f}, {1, 0, 0.75f}, {1, 1, 0.125f}, {2, 0, 2.0f},
    };
    StoreArray<uint32_t> offsets;
    StoreArray<uint32_t> sources;
    StoreArray<float> weights;
    build_in_edge_csr(edges, 4, offsets, sources, weights);
    CHECK(offsets == StoreArray<uint32_t>{0, 2, 5, 5, 6});
    CHECK(sources == StoreArray<uint32_t>{1, 2, 0, 3, 1, 2});
    CHECK(weights == StoreArray<float>{0.75f, 2.0f, 0.5f, 1.0f, 0.125f, 0.25f});
}

TEST_CASE("csr: no edges gives all-zero offsets", "[store][csr]") {
    StoreArray<uint32_t> offsets = {9, 9};
    StoreArray<uint32_t> sources = {1};
    StoreArray<float> weights = {1.0f};
    build_in_edge_csr({}, 3, offsets, sources, weights);
    CHECK(offsets == StoreArray<uint32_t>{0, 0, 0, 0});
    CHECK(sources.empty());
    CHECK(weights.empty());
}

TEST_CASE("csr: edges naming a memory beyond n are refused", "[store][csr]") {
    StoreArray<uint32_t> offsets;
    StoreArray<uint32_t> sources;
    StoreArray<float> weights;
    const engram::Error e = error_from([&] {
        build_in_edge_csr({{0, 1, 1.0f}, {0, 3, 1.0f}}, 3, offsets, sources, weights);
    });
    CHECK(e.code() == ErrorCode::DataInconsistent);
    CHECK_THAT(e.what(), Catch::Contains("edge 1 (0 -> 3)"));
}

// build_store: the synthetic path, and a real dataset assembled from files.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "store/memory_store.h"
#include "store_test_support.h"

using engram::build_store;
using engram::ErrorCode;
using engram::MemoryStore;
using engram::StoreConfig;
using engram::test::error_from;
using engram::test::npy_matrix;
using engram::test::TempDir;

namespace {
constexpr double kNow = 1.7e9;
// The store's arrays (StoreArray) as plain vectors, to compare with literals.
template <class T, class A>
std::vector<T> vec(const std::vector<T, A>& v) {
    return {v.begin(), v.end()};
}
}  // namespace

TEST_CASE("build_store: synthetic follows the config", "[store][build]") {
    StoreConfig cfg;
    cfg.kind = StoreConfig::Kind::Synthetic;
    cfg.memories = 300;
    cfg.dim = 24;
    cfg.avg_in_degree = 5.0;
    cfg.seed = 9;
    cfg.default_stability_seconds = 7200.0;
    const MemoryStore s = build_store(cfg, kNow);
    const MemoryStore t = engram::make_synthetic_store(300, 24, 5.0, 9, 7200.0, kNow);
    CHECK(s.n == 300);
    CHECK(s.dim == 24);
    CHECK(s.embeddings == t.embeddings);
    CHECK(s.sources == t.sources);
    CHECK(s.stability == t.stability);
    CHECK(s.sources.size() == 1500);
}

TEST_CASE("build_store: files with and without a memories csv", "[store][build]") {
    TempDir dir;
    // 4 memories x 3 dims; row norms 5, 0, 1, 13.
    const std::vector<float> emb = {3, 4, 0, 0, 0, 0, 0, 0, -1, 12, 0, 5};
    StoreConfig cfg;
    cfg.kind = StoreConfig::Kind::Files;
    cfg.embeddings = dir.write("emb.npy", npy_matrix(4, 3, emb));
    cfg.edges = dir.write("edges.csv", "source,target,weight\n0,2,0.5\n3,2,1\n2,0,0.25\n");
    cfg.default_stability_seconds = 500.0;

    SECTION("defaults for every memory") {
        const MemoryStore s = build_store(cfg, kNow);
        CHECK(s.n == 4);
        CHECK(s.dim == 3);
        CHECK(vec(s.embeddings) == emb);
        CHECK(vec(s.norms) == std::vector<float>{5, 0, 1, 13});
        CHECK(vec(s.offsets) == std::vector<uint32_t>{0, 1, 1, 3, 3});
        CHECK(vec(s.sources) == std::vector<uint32_t>{2, 0, 3});
        CHECK(vec(s.weights) == std::vector<float>{0.25f, 0.5f, 1.0f});
        CHECK(vec(s.strength) == std::vector<float>(4, 1.0f));
        CHECK(vec(s.last_access) == std::vector<double>(4, kNow));
        CHECK(vec(s.stability) == std::vector<float>(4, 500.0f));
    }
    SECTION("memories csv rows override the defaults") {
        cfg.memories_csv = dir.write("memories.csv",
                                     "id,strength,last_access,stability\n"
                                     "2,0.5,1600000000,60\n");
        const MemoryStore s = build_store(cfg, kNow);
        CHECK(vec(s.strength) == std::vector<float>{1, 1, 0.5f, 1});
        CHECK(vec(s.last_access) == std::vector<double>{kNow, kNow, 1.6e9, kNow});
        CHECK(vec(s.stability) == std::vector<float>{500, 500, 60, 500});
    }
    SECTION("no edges file means no edges") {
        cfg.edges.clear();
        const MemoryStore s = build_store(cfg, kNow);
        CHECK(vec(s.offsets) == std::vector<uint32_t>{0, 0, 0, 0, 0});
        CHECK(s.sources.empty());
    }
    SECTION("edges naming a memory the embeddings lack") {
        cfg.edges = dir.write("bad_edges.csv", "0,1,1\n1,4,1\n");
        const engram::Error e = error_from([&] { build_store(cfg, kNow); });
        CHECK(e.code() == ErrorCode::DataInconsistent);
        CHECK_THAT(e.what(), Catch::StartsWith(cfg.edges.string() + ":2: target '4'"));
    }
    SECTION("memories csv naming a memory the embeddings lack") {
        cfg.memories_csv = dir.write("bad_mem.csv", "4,1,1,1\n");
        const engram::Error e = error_from([&] { build_store(cfg, kNow); });
        CHECK(e.code() == ErrorCode::DataInconsistent);
        CHECK_THAT(e.what(), Catch::StartsWith(cfg.memories_csv.string() + ":1: id '4'"));
    }
    SECTION("missing embeddings file") {
        cfg.embeddings = dir.path() / "missing.npy";
        CHECK(error_from([&] { build_store(cfg, kNow); }).code() == ErrorCode::DataRead);
    }
    SECTION("no embeddings configured") {
        cfg.embeddings.clear();
        CHECK(error_from([&] { build_store(cfg, kNow); }).code() == ErrorCode::DataRead);
    }
    SECTION("malformed embeddings") {
        cfg.embeddings = dir.write("emb1d.npy", "\x93NUMPY garbage");
        CHECK(error_from([&] { build_store(cfg, kNow); }).code() == ErrorCode::DataNpy);
    }
}

// [store] reorder = "degree": the graph's nodes are renumbered inside the
// store, the API's ids are not. Every answer of the engine over a reordered
// store equals the answer over the same store in id order, with every shipped
// backend this CPU runs (activations within the kernel's tolerance, the same
// ranking).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "arena/arena.h"
#include "engine_fixture.h"
#include "oracle/tolerances.h"
#include "platform/cpu_features.h"
#include "store/dataset_io.h"
#include "store/memory_store.h"

using namespace engram;

namespace {

// A store whose graph has hubs: target rank floor(n u^3) over a shuffled
// order (a few nodes with hundreds of in-edges, most with a handful, some
// with none), sources uniform, weights in (0, 1].
MemoryStore skewed_store(uint64_t n, uint64_t m, uint64_t seed) {
    MemoryStore s = make_synthetic_store(n, 8, 0.0, seed, 86400.0, 1.7e9);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    const auto next = [&x] {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        return x * 0x2545F4914F6CDD1Dull;
    };
    const auto unit = [&] { return static_cast<double>(next() >> 11) * 0x1.0p-53; };
    std::vector<uint32_t> perm(n);
    for (uint32_t i = 0; i < n; ++i) perm[i] = i;
    for (uint64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[next() % (i + 1)]);
    std::vector<Edge> edges(m);
    for (Edge& e : edges) {
        const double u = unit();
        const auto r =
            std::min<uint64_t>(n - 1, static_cast<uint64_t>(static_cast<double>(n) * u * u * u));
        e.target = perm[r];
        e.source = static_cast<uint32_t>(next() % n);
        e.weight = static_cast<float>(1.0 - unit());
    }
    build_in_edge_csr(edges, n, s.offsets, s.sources, s.weights);
    return s;
}

std::vector<std::shared_ptr<const KernelSet>> shipped_sets() {
    std::vector<std::shared_ptr<const KernelSet>> out;
    for (const char* name :
         {"reference", "avx2", "avx512", "avx512_vnni", "neon", "neon_dotprod"}) {
        const std::string path = std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_" + name + ".so";
        if (!std::filesystem::exists(path)) continue;
        Config c;
        c.plugins[name] = path;
        c.backends.priority = {name};
        try {
            out.push_back(build_kernel_set(c, usable_cpu_features(), 1, nullptr));
        } catch (const std::exception& e) {
            const std::string what = e.what();
            INFO(name << ": " << what);
            REQUIRE(what.find("E_CPU_FEATURE") != std::string::npos);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("reorder_graph renumbers by descending in-degree and keeps every edge") {
    const MemoryStore plain = skewed_store(3000, 24000, 7);
    MemoryStore r = plain;
    reorder_graph(r, StoreConfig::Reorder::Degree);
    REQUIRE(r.graph_reordered());
    REQUIRE(r.graph_slot.size() == r.n);
    REQUIRE(r.graph_id.size() == r.n);
    REQUIRE(r.offsets.size() == r.n + 1);
    REQUIRE(r.sources.size() == plain.sources.size());
    std::vector<bool> seen(r.n, false);
    for (uint32_t id = 0; id < r.n; ++id) {
        const uint32_t row = r.graph_slot[id];
        REQUIRE(row < r.n);
        REQUIRE(r.graph_id[row] == id);
        REQUIRE(!seen[row]);
        seen[row] = true;
        // The node's in-edges, renamed, in their order.
        const uint32_t b0 = plain.offsets[id], e0 = plain.offsets[id + 1];
        const uint32_t b1 = r.offsets[row], e1 = r.offsets[row + 1];
        REQUIRE(e1 - b1 == e0 - b0);
        for (uint32_t k = 0; k < e0 - b0; ++k) {
            REQUIRE(r.graph_id[r.sources[b1 + k]] == plain.sources[b0 + k]);
            REQUIRE(r.weights[b1 + k] == plain.weights[b0 + k]);
        }
    }
    for (uint64_t row = 0; row + 1 < r.n; ++row) {
        const uint32_t d0 = r.offsets[row + 1] - r.offsets[row];
        const uint32_t d1 = r.offsets[row + 2] - r.offsets[row + 1];
        REQUIRE(d0 >= d1);
        if (d0 == d1) REQUIRE(r.graph_id[row] < r.graph_id[row + 1]);  // ties by id
    }
    // Only the graph moves.
    CHECK(std::equal(r.embeddings.begin(), r.embeddings.end(), plain.embeddings.begin()));
    CHECK(std::equal(r.strength.begin(), r.strength.end(), plain.strength.begin()));
    // "none" leaves (and puts back) the id order.
    MemoryStore none = plain;
    reorder_graph(none, StoreConfig::Reorder::None);
    CHECK(!none.graph_reordered());
    CHECK(std::equal(none.sources.begin(), none.sources.end(), plain.sources.begin()));
}

TEST_CASE("a degree-reordered store answers every request as the id-ordered one") {
    const double now = 1.7e9;
    const MemoryStore plain_store = skewed_store(1000, 9000, 3);
    MemoryStore reordered_store = plain_store;
    reorder_graph(reordered_store, StoreConfig::Reorder::Degree);
    seal_store(reordered_store);
    auto plain = std::make_shared<const MemoryStore>(plain_store);
    auto reordered = std::make_shared<const MemoryStore>(std::move(reordered_store));
    const auto sets = shipped_sets();
    REQUIRE(!sets.empty());
    const std::vector<std::vector<uint32_t>> seed_sets = {
        {0}, {17, 17, 400}, {1, 2, 3, 4, 5, 6, 7, 8}, {999}, {250, 500, 750}};
    for (const auto& set : sets) {
        const std::string backend = set->backend(Kernel::Spreading).name();
        INFO("backend " << backend);
        Engine a(plain), b(reordered);
        a.install(set);
        b.install(set);
        for (const auto& seeds : seed_sets) {
            for (uint32_t iterations : {0u, 1u, 3u, 10u}) {
                for (float threshold : {0.0f, 0.01f}) {
                    INFO("seeds[0] " << seeds[0] << ", " << iterations << " iterations, threshold "
                                     << threshold);
                    SpreadRequest r;
                    r.seeds = seeds;
                    r.iterations = iterations;
                    r.threshold = threshold;
                    r.decay = 0.5f;
                    r.top = Engine::kMaxK;  // all 1,000 memories: every non-zero activation
                    const KernelAnswer x = a.spread(r), y = b.spread(r);
                    REQUIRE(x.items.size() == y.items.size());
                    std::map<uint32_t, float> want;
                    float peak = 0.0f;
                    for (const auto& it : x.items) {
                        want[it.id] = it.value;
                        peak = std::max(peak, it.value);
                    }
                    for (size_t i = 0; i < y.items.size(); ++i) {
                        const auto found = want.find(y.items[i].id);
                        REQUIRE(found != want.end());
                        const double w = found->second, g = y.items[i].value;
                        INFO("id " << y.items[i].id << ": " << g << " vs " << w);
                        REQUIRE(std::fabs(g - w) <= tolerance::kSpreadRel * std::fabs(w) +
                                                        tolerance::kSpreadAbsOfMax * peak);
                        // The same ranking, except between values closer than
                        // the tolerance (none in these cases, so: the same ids).
                        CHECK(x.items[i].id == y.items[i].id);
                    }
                }
            }
        }
        // Similarity and retention do not touch the graph.
        const std::vector<float> q(plain->embeddings.begin(), plain->embeddings.begin() + 8);
        const auto s1 = a.find_similar(q, 20), s2 = b.find_similar(q, 20);
        for (size_t i = 0; i < s1.items.size(); ++i) {
            CHECK(s1.items[i].id == s2.items[i].id);
            CHECK(s1.items[i].value == s2.items[i].value);
        }
        const std::vector<uint32_t> ids = {0, 5, 999, 5};
        const auto r1 = a.retention(ids, now), r2 = b.retention(ids, now);
        for (size_t i = 0; i < ids.size(); ++i) CHECK(r1.items[i].value == r2.items[i].value);
    }
}

TEST_CASE("a reordered store keeps top-k ties in id order at every k") {
    // Iterations 0: every seed has activation exactly 1, so the answer is the
    // seeds in id order, whatever rows they sit in; then a real spread with
    // small tops, where the heap (not a full sort) decides.
    const MemoryStore plain_store = skewed_store(3000, 30000, 9);
    MemoryStore reordered_store = plain_store;
    reorder_graph(reordered_store, StoreConfig::Reorder::Degree);
    auto plain = std::make_shared<const MemoryStore>(plain_store);
    auto reordered = std::make_shared<const MemoryStore>(std::move(reordered_store));
    Engine a(plain), b(reordered);
    const auto sets = shipped_sets();
    a.install(sets.front());
    b.install(sets.front());
    SpreadRequest r;
    r.seeds = {2999, 5, 1700, 17, 400, 2, 2500, 999, 1, 0};
    r.iterations = 0;
    for (uint32_t top : {1u, 3u, 7u, 10u, 11u}) {
        r.top = top;
        const KernelAnswer x = a.spread(r), y = b.spread(r);
        REQUIRE(x.items.size() == y.items.size());
        for (size_t i = 0; i < x.items.size(); ++i) {
            CHECK(y.items[i].id == x.items[i].id);
            CHECK(y.items[i].value == 1.0f);
        }
    }
    r.iterations = 4;
    for (uint32_t top : {1u, 2u, 5u, 16u, 100u}) {
        r.top = top;
        const KernelAnswer x = a.spread(r), y = b.spread(r);
        REQUIRE(x.items.size() == y.items.size());
        for (size_t i = 0; i < x.items.size(); ++i) CHECK(y.items[i].id == x.items[i].id);
    }
}

TEST_CASE("build_store applies [store] reorder and seals the permutation") {
    StoreConfig c;
    c.memories = 2000;
    c.dim = 4;
    c.avg_in_degree = 5.0;
    c.reorder = StoreConfig::Reorder::Degree;
    const MemoryStore s = build_store(c, 1.7e9);
    CHECK(s.graph_reordered());
    CHECK(s.graph_slot.size() == 2000);
    c.reorder = StoreConfig::Reorder::None;
    CHECK(!build_store(c, 1.7e9).graph_reordered());
}

// ---------------------------------------------- out-edges and spread_push (ABI 1.2)

namespace {

// Every in-edge (u -> i, w) of the store, as a sorted list of triples.
std::vector<std::tuple<uint32_t, uint32_t, float>> in_edge_list(const MemoryStore& s) {
    std::vector<std::tuple<uint32_t, uint32_t, float>> e;
    for (uint32_t i = 0; i < s.n; ++i)
        for (uint32_t j = s.offsets[i]; j < s.offsets[i + 1]; ++j)
            e.emplace_back(s.sources[j], i, s.weights[j]);
    std::sort(e.begin(), e.end());
    return e;
}

// The same from the out-edges; each source's out-edges in ascending target.
std::vector<std::tuple<uint32_t, uint32_t, float>> out_edge_list(const MemoryStore& s) {
    std::vector<std::tuple<uint32_t, uint32_t, float>> e;
    for (uint32_t u = 0; u < s.n; ++u)
        for (uint32_t k = s.out_offsets[u]; k < s.out_offsets[u + 1]; ++k) {
            if (k > s.out_offsets[u]) REQUIRE(s.targets[k - 1] <= s.targets[k]);
            e.emplace_back(u, s.targets[k], s.out_weights[k]);
        }
    std::sort(e.begin(), e.end());
    return e;
}

// The arena high-water of one spread request served on a thread of its own
// (a fresh thread arena, so its high water is this request's need).
uint64_t spread_need_on_new_thread(const Engine& e, const SpreadRequest& r, KernelAnswer& answer) {
    std::set<uint64_t> before;
    for (const auto& t : arena_stats().threads) before.insert(t.thread_index);
    std::string error;
    std::thread([&] {
        try {
            answer = e.spread(r);
        } catch (const std::exception& x) {
            error = x.what();
        }
    }).join();
    REQUIRE(error == "");
    uint64_t need = 0;
    for (const auto& t : arena_stats().threads)
        if (!before.count(t.thread_index)) need = std::max(need, t.high_water_bytes);
    return need;
}

}  // namespace

TEST_CASE("build_out_edges holds every in-edge once, by source, in the reordered numbering too") {
    MemoryStore s = skewed_store(2000, 20000, 5);
    CHECK(!s.has_out_edges());
    build_out_edges(s);
    REQUIRE(s.has_out_edges());
    REQUIRE(s.targets.size() == s.sources.size());
    CHECK(out_edge_list(s) == in_edge_list(s));
    reorder_graph(s, StoreConfig::Reorder::Degree);
    build_out_edges(s);
    CHECK(out_edge_list(s) == in_edge_list(s));
    // build_store keeps them, sealed with the rest.
    StoreConfig c;
    c.memories = 500;
    c.dim = 4;
    c.avg_in_degree = 3.0;
    c.reorder = StoreConfig::Reorder::Degree;
    const MemoryStore b = build_store(c, 1.7e9);
    REQUIRE(b.has_out_edges());
    CHECK(out_edge_list(b) == in_edge_list(b));
}

TEST_CASE(
    "every shipped backend serves /v1/spread by spread_push when the store has out-edges, "
    "with the pull's answers; without arena room for it, by spread") {
    const MemoryStore plain_store = skewed_store(4000, 40000, 11);
    MemoryStore push_store = plain_store;
    build_out_edges(push_store);
    seal_store(push_store);
    auto plain = std::make_shared<const MemoryStore>(plain_store);
    auto pushed = std::make_shared<const MemoryStore>(std::move(push_store));
    const uint64_t n = plain->n;
    const uint64_t push_need = ArenaScope::block(n * 4) + ArenaScope::block(17 * n + 128);
    const ArenaSettings saved = current_arena_settings();
    const auto sets = shipped_sets();
    REQUIRE(!sets.empty());
    for (const auto& set : sets) {
        const engram_kernel_table& t = set->table(Kernel::Spreading);
        INFO("backend " << set->backend(Kernel::Spreading).name());
        REQUIRE(t.spread_push != nullptr);  // every shipped backend offers it
        Engine a(plain), b(pushed);
        a.install(set);
        b.install(set);
        for (const auto& seeds :
             std::vector<std::vector<uint32_t>>{{0}, {5, 17, 3999}, {1, 2, 3}}) {
            for (float threshold : {0.0f, 0.01f, 0.2f}) {
                SpreadRequest r;
                r.seeds = seeds;
                r.iterations = 10;
                r.decay = 0.7f;
                r.threshold = threshold;
                r.top = 200;
                INFO("seeds[0] " << seeds[0] << ", threshold " << threshold);
                KernelAnswer x, y;
                CHECK(spread_need_on_new_thread(a, r, x) < push_need);
                CHECK(spread_need_on_new_thread(b, r, y) >= push_need);
                REQUIRE(x.items.size() == y.items.size());
                float peak = 0.0f;
                for (const auto& it : x.items) peak = std::max(peak, it.value);
                for (size_t i = 0; i < x.items.size(); ++i) {
                    const double w = x.items[i].value, g = y.items[i].value;
                    INFO("rank " << i << ": " << g << " vs " << w);
                    CHECK(std::fabs(g - w) <=
                          tolerance::kSpreadRel * std::fabs(w) + tolerance::kSpreadAbsOfMax * peak);
                }
            }
        }
        // An arena with room for the pull but not the push: served by the pull.
        configure_arenas({push_need - 64, OverflowPolicy::Error});
        SpreadRequest r;
        r.seeds = {5, 17};
        r.threshold = 0.01f;
        KernelAnswer y;
        const uint64_t overflows = arena_stats().overflows;
        CHECK(spread_need_on_new_thread(b, r, y) < push_need);
        CHECK(arena_stats().overflows == overflows);
        CHECK(!y.items.empty());
        configure_arenas(saved);
    }
}

TEST_CASE(
    "an ABI 1.1 plugin (no spread_push) serves /v1/spread on a store with out-edges by "
    "spread") {
    const std::string v11 = std::string(ENGRAM_TEST_SDK_FIXTURE_DIR) + "/libengram_abi_v1_1.so";
    Config c;
    c.plugins["abi_v1_1"] = v11;
    c.backends.priority = {"abi_v1_1"};
    const auto set = build_kernel_set(c, usable_cpu_features(), 1, nullptr);
    const engram_kernel_table& t = set->table(Kernel::Spreading);
    CHECK(t.abi_minor == 1);
    CHECK(t.struct_size == ENGRAM_KERNEL_TABLE_V1_1_SIZE);
    CHECK(t.spread_push == nullptr);
    CHECK(t.similarity_int8 != nullptr);
    MemoryStore with_out = skewed_store(3000, 30000, 2);
    build_out_edges(with_out);
    seal_store(with_out);
    auto store = std::make_shared<const MemoryStore>(std::move(with_out));
    Engine v11_engine(store), ref_engine(store);
    v11_engine.install(set);
    ref_engine.install(shipped_sets().front());  // reference: pushes
    SpreadRequest r;
    r.seeds = {3, 1000, 2999};
    r.threshold = 0.05f;
    r.top = 100;
    KernelAnswer x, y;
    CHECK(spread_need_on_new_thread(v11_engine, r, x) <
          ArenaScope::block(store->n * 4) + ArenaScope::block(17 * store->n + 128));
    spread_need_on_new_thread(ref_engine, r, y);
    CHECK(x.backend == "abi_v1_1");
    REQUIRE(x.items.size() == y.items.size());
    for (size_t i = 0; i < x.items.size(); ++i) {
        const double w = y.items[i].value, g = x.items[i].value;
        CHECK(std::fabs(g - w) <=
              tolerance::kSpreadRel * std::fabs(w) + tolerance::kSpreadAbsOfMax * y.items[0].value);
    }
}

// Large requests split over the kernel pool ([server] kernel_threads): the
// answers are bit-identical to one thread with every shipped backend this
// CPU runs, for every thread count and for every 64-aligned split point.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/host.h"
#include "engine/kernel_pool.h"
#include "engine_fixture.h"
#include "metrics/registry.h"
#include "platform/cpu_features.h"
#include "store/memory_store.h"

using namespace engram;

namespace {

// The shipped backends this CPU can run, each as a kernel set of its own.
struct Backend {
    std::string name;
    std::shared_ptr<const KernelSet> set;
};

const std::vector<Backend>& backends() {
    static const std::vector<Backend> all = [] {
        std::vector<Backend> out;
        for (const char* name :
             {"reference", "avx2", "avx512", "avx512_vnni", "neon", "neon_dotprod"}) {
            const std::string path =
                std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_" + name + ".so";
            if (!std::filesystem::exists(path)) continue;
            Config c;
            c.plugins[name] = path;
            c.backends.priority = {name};
            c.validation.timeout_seconds = testing::kTestValidationTimeoutSeconds;
            try {
                out.push_back({name, build_kernel_set(c, usable_cpu_features(), 1, nullptr)});
            } catch (const std::exception& e) {
                // Only a CPU this backend cannot run on is a reason to skip it.
                const std::string what = e.what();
                INFO(name << ": " << what);
                REQUIRE(what.find("E_CPU_FEATURE") != std::string::npos);
            }
        }
        return out;
    }();
    return all;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void require_same(const KernelAnswer& a, const KernelAnswer& b) {
    REQUIRE(a.items.size() == b.items.size());
    for (size_t i = 0; i < a.items.size(); ++i) {
        INFO("item " << i << ": id " << a.items[i].id << " vs " << b.items[i].id << ", value "
                     << a.items[i].value << " vs " << b.items[i].value);
        REQUIRE(a.items[i].id == b.items[i].id);
        REQUIRE(same_bits(a.items[i].value, b.items[i].value));
    }
}

uint64_t split_calls(Kernel k) {
    return metrics::Registry::global().parallel[static_cast<size_t>(k)].split_calls.value();
}

}  // namespace

TEST_CASE("split_rows: contiguous, 64-aligned, at least 64 rows each, nearly equal") {
    for (uint64_t n : {1ull, 63ull, 64ull, 127ull, 128ull, 129ull, 1000ull, 4097ull, 100000ull,
                       100003ull, 1000001ull}) {
        for (unsigned parts = 0; parts <= 9; ++parts) {
            INFO("n = " << n << ", parts = " << parts);
            const auto r = split_rows(n, parts);
            REQUIRE(!r.empty());
            REQUIRE(r.size() <= std::max(1u, parts));
            REQUIRE(r.front().begin == 0);
            REQUIRE(r.back().end == n);
            uint64_t smallest = n, largest = 0;
            for (size_t i = 0; i < r.size(); ++i) {
                if (i > 0) REQUIRE(r[i].begin == r[i - 1].end);
                REQUIRE(r[i].begin % kSplitAlignRows == 0);
                REQUIRE(r[i].end > r[i].begin);
                if (r.size() > 1) REQUIRE(r[i].end - r[i].begin >= kSplitAlignRows);
                smallest = std::min(smallest, r[i].end - r[i].begin);
                largest = std::max(largest, r[i].end - r[i].begin);
            }
            // As many ranges as asked whenever there are enough 64-row blocks,
            // within one block (plus the tail) of each other.
            if (parts >= 1 && n / kSplitAlignRows >= parts) REQUIRE(r.size() == parts);
            REQUIRE(largest - smallest < 2 * kSplitAlignRows);
        }
    }
}

TEST_CASE("the kernel pool is bounded and never waits: a busy pool gives a one-part lease",
          "[threads]") {
    KernelPool pool(3);
    REQUIRE(pool.threads() == 3);
    KernelPool::Lease a = pool.claim(3);
    CHECK(a.parts() == 3);
    {
        KernelPool::Lease b = pool.claim(3);  // every helper is out: runs inline
        CHECK(b.parts() == 1);
    }
    // Each part runs once, on its own thread, part 0 on the caller.
    std::mutex mu;
    std::vector<std::pair<unsigned, std::thread::id>> seen;
    struct Ctx {
        std::mutex* mu;
        std::vector<std::pair<unsigned, std::thread::id>>* seen;
    } ctx{&mu, &seen};
    a.run(
        [](void* c, unsigned part) {
            auto& x = *static_cast<Ctx*>(c);
            std::lock_guard<std::mutex> lock(*x.mu);
            x.seen->emplace_back(part, std::this_thread::get_id());
        },
        &ctx);
    REQUIRE(seen.size() == 3);
    std::set<unsigned> parts;
    std::set<std::thread::id> threads;
    for (auto& [p, t] : seen) {
        parts.insert(p);
        threads.insert(t);
        if (p == 0) CHECK(t == std::this_thread::get_id());
    }
    CHECK(parts == std::set<unsigned>{0, 1, 2});
    CHECK(threads.size() == 3);
    // Released after run: claimable again, and a smaller want takes fewer.
    CHECK(pool.claim(2).parts() == 2);
    CHECK(pool.claim(9).parts() == 3);
    CHECK(KernelPool(1).claim(4).parts() == 1);
}

TEST_CASE("every 64-aligned split point gives the same bits as one call, every backend") {
    // What the engine relies on, checked directly on the tables: scores and
    // retention of rows [0, b) and [b, n) computed apart equal one call over
    // [0, n), for every b that is a multiple of 64 (odd n and dim: tails).
    const uint64_t n = 1093, dim = 37;
    const MemoryStore s = make_synthetic_store(n, dim, 1.0, 11, 86400.0, 1.7e9);
    std::vector<float> query(s.embeddings.begin() + 5 * dim, s.embeddings.begin() + 6 * dim);
    query[3] += 0.25f;
    std::vector<float> age(n);
    for (uint64_t i = 0; i < n; ++i) age[i] = static_cast<float>(1.7e9 - s.last_access[i]);
    REQUIRE(!backends().empty());
    for (const Backend& b : backends()) {
        INFO("backend " << b.name);
        const engram_kernel_table& t = b.set->table(Kernel::Similarity);
        std::vector<float> whole(n), parts(n), dwhole(n), dparts(n);
        REQUIRE(t.similarity(query.data(), s.embeddings.data(), s.norms.data(), n, dim,
                             whole.data(), nullptr, 0) == ENGRAM_OK);
        REQUIRE(t.decay(s.strength.data(), age.data(), s.stability.data(), 0.0f, n, dwhole.data(),
                        nullptr, 0) == ENGRAM_OK);
        int bad_status = 0;
        std::vector<uint64_t> differ;
        for (uint64_t at = kSplitAlignRows; at + kSplitAlignRows <= n; at += kSplitAlignRows) {
            const uint64_t cut[3] = {0, at, n};
            for (int h = 0; h < 2; ++h) {
                const uint64_t lo = cut[h], hi = cut[h + 1];
                bad_status |=
                    t.similarity(query.data(), s.embeddings.data() + lo * dim, s.norms.data() + lo,
                                 hi - lo, dim, parts.data() + lo, nullptr, 0);
                bad_status |=
                    t.decay(s.strength.data() + lo, age.data() + lo, s.stability.data() + lo, 0.0f,
                            hi - lo, dparts.data() + lo, nullptr, 0);
            }
            if (std::memcmp(whole.data(), parts.data(), n * sizeof(float)) != 0 ||
                std::memcmp(dwhole.data(), dparts.data(), n * sizeof(float)) != 0)
                differ.push_back(at);
        }
        CHECK(bad_status == ENGRAM_OK);
        CHECK(differ.empty());  // split points whose halves differ from the whole
    }
}

TEST_CASE("a large store through the engine: 1 thread and 2..5 threads answer the same bits",
          "[threads]") {
    // 100,003 memories (odd; the split threshold is the default 100,000) of
    // 33 dimensions, so every range but the last ends inside nothing odd and
    // the last carries both tails.
    const double now = 1.7e9;
    const uint64_t n = 100003, dim = 33;
    auto store =
        std::make_shared<const MemoryStore>(make_synthetic_store(n, dim, 2.0, 3, 86400.0, now));
    std::vector<float> query(store->embeddings.begin() + 77 * dim,
                             store->embeddings.begin() + 78 * dim);
    query[0] -= 0.5f;
    std::vector<uint32_t> ids(n);
    for (uint32_t i = 0; i < n; ++i) ids[i] = (i * 7919u) % static_cast<uint32_t>(n);
    REQUIRE(!backends().empty());
    for (const Backend& b : backends()) {
        INFO("backend " << b.name);
        Engine one(store, ParallelSettings{1, kDefaultSplitMinRows});
        one.install(b.set);
        const uint64_t sim0 = split_calls(Kernel::Similarity);
        const KernelAnswer sim1 = one.find_similar(query, Engine::kMaxK);
        const KernelAnswer ret1 = one.retention(ids, now);
        CHECK(split_calls(Kernel::Similarity) == sim0);  // one thread never splits
        REQUIRE(ret1.items.size() == n);
        for (unsigned threads = 2; threads <= 5; ++threads) {
            INFO(threads << " kernel threads");
            Engine many(store, ParallelSettings{threads, kDefaultSplitMinRows});
            many.install(b.set);
            const uint64_t s0 = split_calls(Kernel::Similarity), d0 = split_calls(Kernel::Decay);
            require_same(many.find_similar(query, Engine::kMaxK), sim1);
            require_same(many.retention(ids, now), ret1);
            // Nothing else holds this engine's pool: both calls were split.
            CHECK(split_calls(Kernel::Similarity) == s0 + 1);
            CHECK(split_calls(Kernel::Decay) == d0 + 1);
        }
        // Below the threshold nothing is split (a 99,999-id retention).
        Engine many(store, ParallelSettings{2, kDefaultSplitMinRows});
        many.install(b.set);
        const uint64_t d0 = split_calls(Kernel::Decay);
        const std::span<const uint32_t> fewer(ids.data(), kDefaultSplitMinRows - 1);
        require_same(many.retention(fewer, now), one.retention(fewer, now));
        CHECK(split_calls(Kernel::Decay) == d0);
    }
}

TEST_CASE("a low threshold splits small stores the same way, under concurrent requests",
          "[threads]") {
    // kernel_split_min_rows = 128 with 4 threads on 1,093 rows; eight client
    // threads at once, so some requests find the pool busy and run inline.
    const double now = 1.7e9;
    const uint64_t n = 1093, dim = 19;
    auto store =
        std::make_shared<const MemoryStore>(make_synthetic_store(n, dim, 2.0, 5, 86400.0, now));
    std::vector<uint32_t> ids(n);
    for (uint32_t i = 0; i < n; ++i) ids[i] = n - 1 - i;
    for (const Backend& b : backends()) {
        INFO("backend " << b.name);
        Engine one(store, ParallelSettings{1, 128});
        one.install(b.set);
        Engine many(store, ParallelSettings{4, 128});
        many.install(b.set);
        std::vector<std::vector<float>> queries;
        std::vector<KernelAnswer> want;
        for (uint64_t q = 0; q < 8; ++q) {
            queries.emplace_back(store->embeddings.begin() + static_cast<long>(q * 97 * dim),
                                 store->embeddings.begin() + static_cast<long>((q * 97 + 1) * dim));
            want.push_back(one.find_similar(queries.back(), 50));
        }
        const KernelAnswer ret = one.retention(ids, now);
        std::atomic<int> bad{0};
        std::vector<std::thread> clients;
        for (int c = 0; c < 8; ++c) {
            clients.emplace_back([&, c] {
                for (int r = 0; r < 20; ++r) {
                    const size_t q = static_cast<size_t>(c + r) % queries.size();
                    const KernelAnswer got = many.find_similar(queries[q], 50);
                    for (size_t i = 0; i < got.items.size(); ++i)
                        if (got.items[i].id != want[q].items[i].id ||
                            !same_bits(got.items[i].value, want[q].items[i].value))
                            ++bad;
                    const KernelAnswer r2 = many.retention(ids, now);
                    for (size_t i = 0; i < n; ++i)
                        if (!same_bits(r2.items[i].value, ret.items[i].value)) ++bad;
                }
            });
        }
        for (auto& t : clients) t.join();
        CHECK(bad.load() == 0);
    }
}

TEST_CASE("engramd's config reaches the engine: kernel_threads, kernel_split_min_rows, reorder") {
    namespace fs = std::filesystem;
    std::string t = (fs::temp_directory_path() / "engram-parallel-XXXXXX").string();
    const fs::path dir = mkdtemp(t.data());
    const fs::path file = dir / "engram.toml";
    std::ofstream(file) << "[plugins]\nreference = \"" << testing::reference_path()
                        << "\"\n[server]\nkernel_threads = 3\nkernel_split_min_rows = 256\n"
                           "[store]\nmemories = 1000\ndim = 8\navg_in_degree = 4\n"
                           "reorder = \"degree\"\n[validation]\ntimeout_seconds = 60\n";
    {
        Host host(file);
        CHECK(host.engine().parallel().threads == 3);
        CHECK(host.engine().parallel().min_rows == 256);
        CHECK(host.engine().store().graph_reordered());
        CHECK(metrics::Registry::global().kernel_threads.value() == 3);
        // 1,000 memories >= 256: this similarity request is split.
        const uint64_t s0 = split_calls(Kernel::Similarity);
        const std::vector<float> q(8, 0.5f);
        CHECK(host.engine().find_similar(q, 5).items.size() == 5);
        CHECK(split_calls(Kernel::Similarity) == s0 + 1);
        const std::string text = metrics::Registry::global().render();
        CHECK_THAT(text, Catch::Contains("engram_kernel_threads 3\n"));
        CHECK_THAT(text, Catch::Contains("engram_kernel_split_calls_total{kernel=\"similarity\"} " +
                                         std::to_string(s0 + 1) + "\n"));
        CHECK_THAT(text, Catch::Contains("engram_kernel_split_busy_total{kernel=\"decay\"} "));
    }
    fs::remove_all(dir);
}

TEST_CASE("compressed stores (bf16, int8) split over the pool answer the same bits as one thread",
          "[threads]") {
    // The split path calls the store format's kernel on each 64-aligned
    // range (rows, scales and norms offset together): 4 threads on 1,093
    // rows of 40 dimensions with the split threshold lowered to 128.
    const double now = 1.7e9;
    const uint64_t n = 1093, dim = 40;
    int ran = 0;
    for (EmbeddingFormat format : {EmbeddingFormat::Bf16, EmbeddingFormat::Int8}) {
        MemoryStore built = make_synthetic_store(n, dim, 2.0, 9, 86400.0, now);
        std::vector<float> query(built.embeddings.begin() + 5 * dim,
                                 built.embeddings.begin() + 6 * dim);
        query[1] += 0.25f;
        compress_embeddings(built, format);
        auto store = std::make_shared<const MemoryStore>(std::move(built));
        for (const Backend& b : backends()) {
            const engram_kernel_table& t = b.set->table(Kernel::Similarity);
            const bool offered = format == EmbeddingFormat::Bf16 ? t.similarity_bf16 != nullptr
                                                                 : t.similarity_int8 != nullptr;
            if (!offered) continue;
            INFO("backend " << b.name << ", format "
                            << (format == EmbeddingFormat::Bf16 ? "bf16" : "int8"));
            Engine one(store, ParallelSettings{1, 128});
            one.install(b.set);
            Engine many(store, ParallelSettings{4, 128});
            many.install(b.set);
            const uint64_t s0 = split_calls(Kernel::Similarity);
            require_same(many.find_similar(query, Engine::kMaxK),
                         one.find_similar(query, Engine::kMaxK));
            CHECK(split_calls(Kernel::Similarity) == s0 + 1);
            ++ran;
        }
    }
    CHECK(ran >= 2);  // the reference backend offers both formats
}

TEST_CASE("more kernel threads than 64-row blocks: one range per block, nothing past the end",
          "[threads]") {
    // kernel_threads = 4 with kernel_split_min_rows = 128: a 150-id retention
    // and a 150-memory store have two whole blocks, so two threads run (a
    // lease of four once ran two threads on ranges that did not exist).
    const double now = 1.7e9;
    const uint64_t n = 150, dim = 24;
    auto store =
        std::make_shared<const MemoryStore>(make_synthetic_store(n, dim, 2.0, 13, 86400.0, now));
    std::vector<uint32_t> ids(n);
    for (uint32_t i = 0; i < n; ++i) ids[i] = (i * 37u) % static_cast<uint32_t>(n);
    const std::vector<float> query(store->embeddings.begin() + 3 * dim,
                                   store->embeddings.begin() + 4 * dim);
    REQUIRE(!backends().empty());
    for (const Backend& b : backends()) {
        INFO("backend " << b.name);
        Engine one(store, ParallelSettings{1, 128});
        one.install(b.set);
        Engine many(store, ParallelSettings{4, 128});
        many.install(b.set);
        const uint64_t s0 = split_calls(Kernel::Similarity), d0 = split_calls(Kernel::Decay);
        require_same(many.find_similar(query, 20), one.find_similar(query, 20));
        require_same(many.retention(ids, now), one.retention(ids, now));
        CHECK(split_calls(Kernel::Similarity) == s0 + 1);
        CHECK(split_calls(Kernel::Decay) == d0 + 1);
    }
}

TEST_CASE("a split across a backend's cache-size path switch gives the same bits", "[threads]") {
    // A store over 16 MiB whose halves are under it: a backend that picks its
    // row walk by the size of the call (avx2 streams rows from 16 MiB on)
    // must still give each row the same bits.
    const uint64_t dim = 37, n = 120000;  // 17.8 MB whole, 8.9 MB halves
    const MemoryStore s = make_synthetic_store(n, dim, 1.0, 13, 86400.0, 1.7e9);
    std::vector<float> query(s.embeddings.begin() + 9 * dim, s.embeddings.begin() + 10 * dim);
    query[1] += 0.25f;
    REQUIRE(!backends().empty());
    for (const Backend& b : backends()) {
        INFO("backend " << b.name);
        const engram_kernel_table& t = b.set->table(Kernel::Similarity);
        for (const bool with_norms : {true, false}) {
            INFO("norms given: " << with_norms);
            const float* norms = with_norms ? s.norms.data() : nullptr;
            std::vector<float> whole(n), parts(n);
            REQUIRE(t.similarity(query.data(), s.embeddings.data(), norms, n, dim, whole.data(),
                                 nullptr, 0) == ENGRAM_OK);
            const uint64_t at = split_rows(n, 2)[1].begin;
            REQUIRE(t.similarity(query.data(), s.embeddings.data(), norms, at, dim, parts.data(),
                                 nullptr, 0) == ENGRAM_OK);
            REQUIRE(t.similarity(query.data(), s.embeddings.data() + at * dim,
                                 with_norms ? norms + at : nullptr, n - at, dim, parts.data() + at,
                                 nullptr, 0) == ENGRAM_OK);
            uint64_t differ = 0;
            for (uint64_t i = 0; i < n; ++i)
                differ += std::memcmp(&whole[i], &parts[i], sizeof(float)) != 0;
            CHECK(differ == 0);
        }
    }
}

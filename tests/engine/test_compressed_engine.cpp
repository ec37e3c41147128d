// [store] embedding_format = "bf16" / "int8" end to end in the engine (ABI
// 1.1): the real plugins serve /v1/similar from the compressed store, and
// their top-k agrees with the exact fp32 top-k within the documented bound
// (docs/internal/kernels.md, "Compressed embeddings"); a backend without the
// kernel (the frozen ABI 1.0 fixture, a 1.1 table with NULL fields) is
// refused with E_BACKEND_FORMAT_UNSUPPORTED. A store read from a .npy of
// int8 codes (+ scales) or bf16 bit patterns serves exactly what the store
// converted from the float32 file serves.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../store/store_test_support.h"
#include "common/error.h"
#include "engine_fixture.h"
#include "oracle/oracle.h"
#include "oracle/tolerances.h"
#include "store/embedding_codec.h"
#include "store/memory_store.h"

using namespace engram;
using namespace engram::testing;

namespace {

constexpr double kNow = 1.7e9;
const std::string kFixture = std::string(ENGRAM_TEST_SDK_FIXTURE_DIR) + "/libengram_abi_v1_0.so";

StoreConfig store_config(EmbeddingFormat f) {
    StoreConfig cfg;
    cfg.memories = 3000;
    cfg.dim = 384;
    cfg.avg_in_degree = 2.0;
    cfg.seed = 5;
    cfg.embedding_format = f;
    return cfg;
}

std::vector<Error> errors_of(const Config& c) {
    try {
        build_kernel_set(c, detect_cpu_features(), 1, nullptr);
    } catch (const ErrorList& e) {
        return e.errors();
    }
    return {};
}

// The bound of one row's compressed cosine against the fp32 exact one:
// bf16 arcsin(2^-8); int8 arcsin(sqrt(dim) * scale/2 / |c|); plus the
// kernel's own tolerance against the oracle on the decoded rows.
double row_bound(const MemoryStore& s, const MemoryStore& f32, uint64_t i) {
    double rel = 0;
    if (s.format == EmbeddingFormat::Bf16) rel = std::ldexp(1.0, -8);
    if (s.format == EmbeddingFormat::Int8)
        rel = std::sqrt(double(s.dim)) * 0.5 * s.scales[i] / f32.norms[i];
    return std::asin(std::min(1.0, rel)) + tolerance::kSimilarityAbs + 1e-6;
}

}  // namespace

TEST_CASE(
    "compressed stores: each backend's top-k agrees with the fp32 exact top-k within the "
    "bound") {
    const MemoryStore f32 = make_synthetic_store(3000, 384, 2.0, 5, 86400.0, kNow);
    std::vector<std::string> backends = {"reference"};
    const uint64_t cpu = detect_cpu_features();
#if defined(__x86_64__)
    if ((cpu & (ENGRAM_CPU_AVX2 | ENGRAM_CPU_FMA)) == (ENGRAM_CPU_AVX2 | ENGRAM_CPU_FMA))
        backends.push_back("avx2");
    if (cpu & ENGRAM_CPU_AVX512F) backends.push_back("avx512");
    if ((cpu & ENGRAM_CPU_AVX512F) && (cpu & ENGRAM_CPU_AVX512_VNNI))
        backends.push_back("avx512_vnni");
#elif defined(__aarch64__)
    if (cpu & ENGRAM_CPU_NEON) backends.push_back("neon");
    if ((cpu & ENGRAM_CPU_NEON) && (cpu & ENGRAM_CPU_ASIMDDP)) backends.push_back("neon_dotprod");
#endif
    for (EmbeddingFormat f : {EmbeddingFormat::Bf16, EmbeddingFormat::Int8}) {
        auto store = std::make_shared<const MemoryStore>(build_store(store_config(f), kNow));
        REQUIRE(store->format == f);
        for (const std::string& b : backends) {
            INFO(embedding_format_name(f) << " on " << b);
            Config c;
            c.plugins[b] = std::string(ENGRAM_TEST_PLUGIN_DIR) + "/libengram_" + b + ".so";
            c.backends.priority = {b};
            c.store = store_config(f);
            Engine engine(store);
            engine.install(build_kernel_set(c, cpu, 1, nullptr));
            uint64_t hits = 0, total = 0;
            for (uint64_t qi = 0; qi < 20; ++qi) {
                // Queries near stored rows, so the top-k is meaningful.
                std::vector<float> q(f32.embeddings.begin() + long(qi * 131 * 384),
                                     f32.embeddings.begin() + long((qi * 131 + 1) * 384));
                for (size_t k = 0; k < q.size(); ++k)
                    q[k] += 0.05f * float((k * 7 + qi) % 5) - 0.1f;
                const KernelAnswer a = engine.find_similar(q, 10);
                REQUIRE(a.backend == b);
                REQUIRE(a.items.size() == 10);
                const std::vector<double> exact =
                    oracle::similarity(q.data(), f32.embeddings.data(), f32.n, f32.dim);
                std::vector<double> sorted = exact;
                std::nth_element(sorted.begin(), sorted.begin() + 9, sorted.end(),
                                 std::greater<double>());
                const double kth = sorted[9];
                double b_max = 0;
                for (uint64_t i = 0; i < f32.n; ++i)
                    b_max = std::max(b_max, row_bound(*store, f32, i));
                for (const Scored& it : a.items) {
                    const double bound = row_bound(*store, f32, it.id);
                    // The served score is the compressed cosine: within the bound of the exact.
                    REQUIRE(std::fabs(it.value - exact[it.id]) <= bound);
                    // And the item belongs in the exact top-k up to the bounds.
                    REQUIRE(exact[it.id] >= kth - bound - b_max);
                    hits += exact[it.id] >= kth ? 1 : 0;
                    ++total;
                }
            }
            // Recall@10 against fp32 exact, for the record (asserted: the bound above).
            WARN(embedding_format_name(f)
                 << " on " << b << ": recall@10 vs fp32 exact = " << double(hits) / double(total));
        }
    }
}

TEST_CASE("a backend without the format's kernel is refused with E_BACKEND_FORMAT_UNSUPPORTED") {
    Config c;
    c.plugins["abi_v1_0"] = kFixture;
    c.backends.priority = {"abi_v1_0"};
    // f32: the frozen ABI 1.0 fixture serves as before.
    c.store = store_config(EmbeddingFormat::F32);
    auto set = build_kernel_set(c, detect_cpu_features(), 1, nullptr);
    CHECK(set->table(Kernel::Similarity).abi_minor == 0);
    auto f32_store = std::make_shared<const MemoryStore>(build_store(c.store, kNow));
    Engine engine(f32_store);
    engine.install(set);
    std::vector<float> q(f32_store->embeddings.begin(), f32_store->embeddings.begin() + 384);
    CHECK(engine.find_similar(q, 5).items.front().id == 0);

    for (EmbeddingFormat f : {EmbeddingFormat::Bf16, EmbeddingFormat::Int8}) {
        INFO(embedding_format_name(f));
        c.store = store_config(f);
        c.backends.similarity = "abi_v1_0";  // named
        auto errs = errors_of(c);
        REQUIRE(errs.size() == 1);
        CHECK(errs[0].code() == ErrorCode::BackendFormatUnsupported);
        const std::string kernel =
            f == EmbeddingFormat::Bf16 ? "similarity_bf16" : "similarity_int8";
        CHECK_THAT(errs[0].what(),
                   Catch::Contains("'abi_v1_0'") && Catch::Contains("ABI 1.0") &&
                       Catch::Contains(kernel) &&
                       Catch::Contains(std::string("\"") + embedding_format_name(f) + "\""));
        c.backends.similarity = "auto";  // the only plugin: nothing to fall back to
        errs = errors_of(c);
        REQUIRE(errs.size() == 1);
        CHECK(errs[0].code() == ErrorCode::BackendFormatUnsupported);
        // Spreading and decay do not read embeddings: the 1.0 fixture may serve them.
        c.plugins["reference"] = reference_path();
        c.backends.priority = {"abi_v1_0", "reference"};
        auto mixed = build_kernel_set(c, detect_cpu_features(), 1, nullptr);
        CHECK(std::string(mixed->backend(Kernel::Similarity).name()) == "reference");
        CHECK(std::string(mixed->backend(Kernel::Decay).name()) == "abi_v1_0");
        // A similarity rollout candidate must offer it too.
        c.rollout[static_cast<size_t>(Kernel::Similarity)].candidate = "abi_v1_0";
        errs = errors_of(c);
        REQUIRE(errs.size() == 1);
        CHECK(errs[0].code() == ErrorCode::BackendFormatUnsupported);
        CHECK_THAT(errs[0].what(), Catch::Contains("[rollout.similarity]"));
        c.rollout[static_cast<size_t>(Kernel::Similarity)].candidate.clear();
        c.plugins.erase("reference");
        c.backends.priority = {"abi_v1_0"};
    }
}

TEST_CASE(
    "a 1.1 table with NULL compressed fields is refused; a newer minor that offers them "
    "serves") {
    Config c;
    c.plugins["zoo_good"] = zoo_path("good");  // ABI 1.1, similarity_bf16/int8 NULL
    c.backends.priority = {"zoo_good"};
    c.store = store_config(EmbeddingFormat::Int8);
    auto errs = errors_of(c);
    REQUIRE(errs.size() == 1);
    CHECK(errs[0].code() == ErrorCode::BackendFormatUnsupported);

    // ABI 1.4 with a struct_size larger than this host knows, offering the
    // 1.1 kernels: accepted, and it answers from the int8 store.
    c.plugins = {{"zoo_newer_minor", zoo_path("newer_minor")}};
    c.backends.priority = {"zoo_newer_minor"};
    auto set = build_kernel_set(c, detect_cpu_features(), 1, nullptr);
    CHECK(set->table(Kernel::Similarity).abi_minor == ENGRAM_ABI_MINOR + 3);
    auto store = std::make_shared<const MemoryStore>(build_store(c.store, kNow));
    Engine engine(store);
    engine.install(set);
    const std::vector<float> q = decoded_row(*store, 42);
    const KernelAnswer a = engine.find_similar(q, 3);
    CHECK(a.backend == "zoo_newer_minor");
    CHECK(a.items.front().id == 42);
    CHECK(a.items.front().value == Approx(1.0).margin(1e-5));
}

TEST_CASE("a store read from int8 codes or bf16 .npy serves what the converted store serves") {
    const MemoryStore f32 = make_synthetic_store(700, 96, 2.0, 9, 86400.0, kNow);
    const std::vector<float> rows(f32.embeddings.begin(), f32.embeddings.end());
    engram::test::TempDir dir;
    const auto float_file = dir.write("f32.npy", engram::test::npy_matrix(f32.n, f32.dim, rows));
    const auto edges = dir.write("e.csv", "0,1,0.5\n5,4,1\n");
    std::vector<int8_t> codes(rows.size());
    std::vector<float> scales(f32.n);
    std::vector<uint16_t> bits(rows.size());
    for (uint64_t i = 0; i < f32.n; ++i)
        scales[i] = codec::int8_quantize_row(rows.data() + i * f32.dim, f32.dim,
                                             codes.data() + i * f32.dim);
    for (size_t k = 0; k < rows.size(); ++k) bits[k] = codec::float_to_bf16(rows[k]);
    const auto codes_file =
        dir.write("codes.npy", engram::test::npy_typed("|i1", f32.n, f32.dim, codes));
    const auto scales_file = dir.write("scales.npy", engram::test::npy_scales(scales));
    const auto bf16_file =
        dir.write("bf16.npy", engram::test::npy_typed("<u2", f32.n, f32.dim, bits));

    for (EmbeddingFormat f : {EmbeddingFormat::Bf16, EmbeddingFormat::Int8}) {
        INFO(embedding_format_name(f));
        Config c = reference_config();
        c.store.kind = StoreConfig::Kind::Files;
        c.store.edges = edges;
        c.store.embedding_format = f;
        c.store.embeddings = float_file;
        Engine converted(std::make_shared<const MemoryStore>(build_store(c.store, kNow)));
        converted.install(build_kernel_set(c, detect_cpu_features(), 1, nullptr));
        c.store.embeddings = f == EmbeddingFormat::Int8 ? codes_file : bf16_file;
        if (f == EmbeddingFormat::Int8) c.store.embedding_scales = scales_file;
        Engine read(std::make_shared<const MemoryStore>(build_store(c.store, kNow)));
        read.install(build_kernel_set(c, detect_cpu_features(), 1, nullptr));
        for (uint64_t qi = 0; qi < 5; ++qi) {
            std::vector<float> q(rows.begin() + long(qi * 97 * f32.dim),
                                 rows.begin() + long((qi * 97 + 1) * f32.dim));
            q[qi] += 0.25f;
            const KernelAnswer a = converted.find_similar(q, 10);
            const KernelAnswer b = read.find_similar(q, 10);
            REQUIRE(a.items.size() == 10);
            REQUIRE(b.items.size() == 10);
            CHECK(a.items.front().id == qi * 97);
            for (size_t k = 0; k < 10; ++k) {
                CHECK(a.items[k].id == b.items[k].id);
                CHECK(std::memcmp(&a.items[k].value, &b.items[k].value, sizeof(float)) == 0);
            }
        }
    }
}

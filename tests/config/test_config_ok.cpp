// Configs that must be accepted, and what they read as.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "config_test_util.h"

using namespace cfgtest;
using engram::Config;
using engram::Kernel;
using engram::StoreConfig;

TEST_CASE("the shipped config/engram.toml parses", "[config]") {
    const std::filesystem::path file = ENGRAM_TEST_SOURCE_DIR "/config/engram.toml";
    const Config cfg = engram::load_config(file);
    const auto root = std::filesystem::absolute(ENGRAM_TEST_SOURCE_DIR).lexically_normal();
    CHECK(cfg.source == (root / "config/engram.toml").lexically_normal());
    REQUIRE(cfg.plugins.size() == 4);
    CHECK(cfg.plugins.at("reference") == root / "build/plugins/libengram_reference.so");
    CHECK(cfg.plugins.at("avx2") == root / "build/plugins/libengram_avx2.so");
    CHECK(cfg.plugins.at("avx512") == root / "build/plugins/libengram_avx512.so");
    CHECK(cfg.plugins.at("avx512_vnni") == root / "build/plugins/libengram_avx512_vnni.so");
    CHECK(cfg.backends.similarity == "auto");
    CHECK(cfg.backends.spreading == "auto");
    CHECK(cfg.backends.decay == "auto");
    CHECK(cfg.backends.priority == std::vector<std::string>{"avx512_vnni", "avx512", "avx2",
                                                            "neon_dotprod", "neon", "reference"});
    CHECK(cfg.store.kind == StoreConfig::Kind::Synthetic);
    CHECK(cfg.store.memories == 10000);
    CHECK(cfg.store.dim == 768);
    CHECK(cfg.store.avg_in_degree == 8.0);
    CHECK(cfg.store.seed == 42);
    CHECK(cfg.store.default_stability_seconds == 86400.0);
    CHECK(cfg.server.listen == "127.0.0.1:8080");
    CHECK(cfg.server.threads == 2);
    CHECK(cfg.server.log_level == "info");
    CHECK(cfg.server.log_format == "text");
    CHECK(cfg.server.pid_file.empty());
    CHECK_FALSE(cfg.server.allow_remote_admin);
    CHECK(cfg.arena.size == (16u << 20));
    CHECK(cfg.arena.overflow == "error");
}

TEST_CASE("omitted tables keep the documented defaults", "[config]") {
    const Config cfg = parse(kPlugins);
    const Config defaults;
    CHECK(cfg.backends.similarity == "auto");
    CHECK(cfg.backends.spreading == "auto");
    CHECK(cfg.backends.decay == "auto");
    CHECK(cfg.backends.priority == defaults.backends.priority);
    CHECK(cfg.store.kind == StoreConfig::Kind::Synthetic);
    CHECK(cfg.store.memories == 10000);
    CHECK(cfg.store.dim == 768);
    CHECK(cfg.store.avg_in_degree == 8.0);
    CHECK(cfg.store.seed == 42);
    CHECK(cfg.store.default_stability_seconds == 86400.0);
    CHECK(cfg.server.listen == "127.0.0.1:8080");
    CHECK(cfg.server.threads == 2);
    CHECK(cfg.server.log_level == "info");
    CHECK(cfg.server.log_format == "text");
    CHECK(cfg.server.pid_file.empty());
    CHECK_FALSE(cfg.server.allow_remote_admin);
    CHECK(cfg.arena.size == (16u << 20));
    CHECK(cfg.arena.overflow == "error");
    CHECK(cfg.validation.timeout_seconds == 10.0);
    CHECK(cfg.validation.address_space_mib == 4096);
    CHECK(cfg.validation.cpu_seconds == 30);
    CHECK_FALSE(cfg.security.require_signature);
    CHECK(cfg.security.trusted_keys_dir.empty());
    CHECK(cfg.policy_for("reference").sha256.empty());
    CHECK(cfg.policy_for("reference").strict_permissions);
    CHECK(cfg.source == kBase / "t.toml");
}

TEST_CASE("empty tables and partial tables keep defaults for the rest", "[config]") {
    const Config cfg =
        parse(kPlugins + "[backends]\n[store]\nseed = 0\n[server]\nthreads = 8\n[arena]\n");
    CHECK(cfg.store.kind == StoreConfig::Kind::Synthetic);
    CHECK(cfg.store.seed == 0);
    CHECK(cfg.store.dim == 768);
    CHECK(cfg.server.threads == 8);
    CHECK(cfg.server.listen == "127.0.0.1:8080");
}

TEST_CASE("plugin paths resolve against the config directory", "[config]") {
    const Config cfg = parse(
        "[plugins]\n"
        "a = \"a.so\"\n"
        "b = \"../lib/./b.so\"\n"
        "c = \"/opt/engram/c.so\"\n"
        "d = \"sub/../d.so\"\n");
    CHECK(cfg.plugins.at("a") == "/srv/engram/etc/a.so");
    CHECK(cfg.plugins.at("b") == "/srv/engram/lib/b.so");
    CHECK(cfg.plugins.at("c") == "/opt/engram/c.so");
    CHECK(cfg.plugins.at("d") == "/srv/engram/etc/d.so");
    for (const auto& [name, path] : cfg.plugins) CHECK(path.is_absolute());
}

TEST_CASE("a relative base directory still yields absolute paths", "[config]") {
    const Config cfg = engram::parse_config(kPlugins, "t.toml", "rel/dir");
    const auto expected = (std::filesystem::current_path() / "rel/dir/ref.so").lexically_normal();
    CHECK(cfg.plugins.at("reference") == expected);
}

TEST_CASE("backends name plugins or auto; priority may name absent plugins", "[config]") {
    const Config cfg = parse(
        "[plugins]\nreference = \"r.so\"\navx2 = \"a.so\"\n"
        "[backends]\nsimilarity = \"avx2\"\nspreading = \"reference\"\ndecay = \"auto\"\n"
        "priority = [\"sve\", \"avx2\", \"reference\"]\n");
    CHECK(cfg.backends.for_kernel(Kernel::Similarity) == "avx2");
    CHECK(cfg.backends.for_kernel(Kernel::Spreading) == "reference");
    CHECK(cfg.backends.for_kernel(Kernel::Decay) == "auto");
    CHECK(cfg.backends.priority == std::vector<std::string>{"sve", "avx2", "reference"});
}

TEST_CASE("priority may be empty or name no configured plugin", "[config]") {
    // Whether "auto" then finds a backend is decided when plugins load.
    CHECK(parse(kPlugins + "[backends]\npriority = []\n").backends.priority.empty());
    CHECK(parse(kPlugins + "[backends]\npriority = [\"sve\"]\n").backends.priority ==
          std::vector<std::string>{"sve"});
}

TEST_CASE("kernel names", "[config]") {
    CHECK(std::string(engram::kernel_name(Kernel::Similarity)) == "similarity");
    CHECK(std::string(engram::kernel_name(Kernel::Spreading)) == "spreading");
    CHECK(std::string(engram::kernel_name(Kernel::Decay)) == "decay");
}

TEST_CASE("[store] embedding_format: f32 by default, bf16 and int8 for either kind", "[config]") {
    using engram::EmbeddingFormat;
    CHECK(parse(kPlugins).store.embedding_format == EmbeddingFormat::F32);
    CHECK(parse(kPlugins + "[store]\nembedding_format = \"f32\"\n").store.embedding_format ==
          EmbeddingFormat::F32);
    CHECK(parse(kPlugins + "[store]\nembedding_format = \"bf16\"\n").store.embedding_format ==
          EmbeddingFormat::Bf16);
    const auto files = parse(kPlugins +
                             "[store]\nkind = \"files\"\nembeddings = \"e.npy\"\nedges = "
                             "\"e.csv\"\nembedding_format = \"int8\"\n");
    CHECK(files.store.embedding_format == EmbeddingFormat::Int8);
    CHECK(std::string(engram::embedding_format_name(EmbeddingFormat::Bf16)) == "bf16");
    // A different format is a different store (a reload warns: restart to apply).
    CHECK_FALSE(parse(kPlugins).store == files.store);
}

TEST_CASE("[store] embedding_scales: a path, with kind files and embedding_format int8",
          "[config]") {
    const std::string files = kPlugins +
                              "[store]\nkind = \"files\"\nembeddings = \"codes.npy\"\nedges = "
                              "\"e.csv\"\nembedding_format = \"int8\"\n";
    const Config without = parse(files);
    CHECK(without.store.embedding_scales.empty());
    const Config with = parse(files + "embedding_scales = \"../data/scales.npy\"\n");
    CHECK(with.store.embedding_scales == "/srv/engram/data/scales.npy");
    CHECK(with.store.embeddings == "/srv/engram/etc/codes.npy");
    // Another scales file is another store (a reload warns: restart to apply).
    CHECK_FALSE(with.store == without.store);
}

TEST_CASE("synthetic store values, ints accepted where floats are", "[config]") {
    const Config cfg = parse(kPlugins +
                             "[store]\nkind = \"synthetic\"\nmemories = 50_000_000\ndim = 65536\n"
                             "avg_in_degree = 0\nseed = 9223372036854775807\n"
                             "default_stability_seconds = 0.5\n");
    CHECK(cfg.store.memories == 50'000'000);
    CHECK(cfg.store.dim == 65536);
    CHECK(cfg.store.avg_in_degree == 0.0);
    CHECK(cfg.store.seed == 9223372036854775807ull);
    CHECK(cfg.store.default_stability_seconds == 0.5);
    CHECK(parse(kPlugins + "[store]\navg_in_degree = 2.5\n").store.avg_in_degree == 2.5);
}

TEST_CASE("files store: paths resolved, memories_csv optional", "[config]") {
    const Config cfg = parse(kPlugins +
                             "[store]\nkind = \"files\"\nembeddings = \"data/e.npy\"\n"
                             "edges = \"/data/edges.csv\"\ndefault_stability_seconds = 3600\n");
    CHECK(cfg.store.kind == StoreConfig::Kind::Files);
    CHECK(cfg.store.embeddings == "/srv/engram/etc/data/e.npy");
    CHECK(cfg.store.edges == "/data/edges.csv");
    CHECK(cfg.store.memories_csv.empty());
    CHECK(cfg.store.default_stability_seconds == 3600.0);
    const Config with_csv = parse(kPlugins +
                                  "[store]\nkind = \"files\"\nembeddings = \"e.npy\"\n"
                                  "edges = \"e.csv\"\nmemories_csv = \"../m.csv\"\n");
    CHECK(with_csv.store.memories_csv == "/srv/engram/m.csv");
}

TEST_CASE("kernel threads and graph order", "[config]") {
    const Config d = parse(kPlugins);
    CHECK(d.server.kernel_threads == 0);  // absent: the engine's default, min(2, hardware)
    CHECK(d.server.kernel_split_min_rows == 100000);
    CHECK(d.store.reorder == StoreConfig::Reorder::None);
    const Config c = parse(kPlugins +
                           "[server]\nkernel_threads = 4\nkernel_split_min_rows = 128\n"
                           "[store]\nreorder = \"degree\"\n");
    CHECK(c.server.kernel_threads == 4);
    CHECK(c.server.kernel_split_min_rows == 128);
    CHECK(c.store.reorder == StoreConfig::Reorder::Degree);
}

TEST_CASE("server values", "[config]") {
    const Config cfg =
        parse(kPlugins +
              "[server]\nlisten = \"[::1]:9000\"\nthreads = 256\nlog_level = \"debug\"\n"
              "log_format = \"json\"\npid_file = \"run/engramd.pid\"\n"
              "allow_remote_admin = true\n");
    CHECK(cfg.server.listen == "[::1]:9000");
    CHECK(cfg.server.threads == 256);
    CHECK(cfg.server.log_level == "debug");
    CHECK(cfg.server.log_format == "json");
    CHECK(cfg.server.pid_file == "/srv/engram/etc/run/engramd.pid");
    CHECK(cfg.server.allow_remote_admin);
}

TEST_CASE("arena sizes: integers and suffixed strings", "[config]") {
    auto size_of = [](const std::string& value) {
        return parse(kPlugins + "[arena]\nsize = " + value + "\n").arena.size;
    };
    CHECK(size_of("4096") == 4096u);
    CHECK(size_of("\"4096\"") == 4096u);
    CHECK(size_of("\"4KiB\"") == 4096u);
    CHECK(size_of("\"512 KiB\"") == 512u * 1024u);
    CHECK(size_of("\"16MiB\"") == 16u << 20);
    CHECK(size_of("\"2GiB\"") == uint64_t{2} << 30);
    CHECK(size_of("\"64GiB\"") == uint64_t{64} << 30);
    CHECK(size_of("68719476736") == uint64_t{64} << 30);
    for (const char* policy : {"panic", "error", "fallback"}) {
        CHECK(parse(kPlugins + "[arena]\noverflow = \"" + policy + "\"\n").arena.overflow ==
              policy);
    }
}

TEST_CASE("inline tables and dotted keys are the same tables", "[config]") {
    const Config cfg = parse("plugins = { reference = \"r.so\" }\nserver.threads = 4\n");
    CHECK(cfg.plugins.at("reference") == "/srv/engram/etc/r.so");
    CHECK(cfg.server.threads == 4);
}

TEST_CASE("load_config reads a real file and resolves against its directory", "[config]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("engram_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "etc");
    const auto file = dir / "etc" / "engram.toml";
    std::ofstream(file) << "[plugins]\nref = \"../plugins/libref.so\"\n[server]\nthreads = 3\n";
    const Config cfg = engram::load_config(file);
    CHECK(cfg.source == file);
    CHECK(cfg.plugins.at("ref") == dir / "plugins" / "libref.so");
    CHECK(cfg.server.threads == 3);
    std::filesystem::remove_all(dir);
}

TEST_CASE("the fixture for the files store loads", "[config]") {
    const std::filesystem::path file =
        ENGRAM_TEST_SOURCE_DIR "/tests/config/fixtures/files_store.toml";
    const Config cfg = engram::load_config(file);
    const auto dir = std::filesystem::absolute(file).lexically_normal().parent_path();
    CHECK(cfg.store.kind == StoreConfig::Kind::Files);
    CHECK(cfg.store.embeddings == dir / "data" / "embeddings.npy");
    CHECK(cfg.store.edges == dir / "data" / "edges.csv");
    CHECK(cfg.store.memories_csv == dir / "data" / "memories.csv");
    CHECK(cfg.backends.similarity == "reference");
}

TEST_CASE("plugin entries in table form: path, pinned sha256, strict_permissions",
          "[config][provenance]") {
    const std::string upper = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    const std::string lower = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const Config cfg = parse(
        "[plugins]\n"
        "reference = \"r.so\"\n"
        "pinned = { path = \"../lib/p.so\", sha256 = \"" +
        upper +
        "\" }\n"
        "lax = { path = \"/opt/l.so\", strict_permissions = false }\n"
        "both = { path = \"b.so\", sha256 = \"" +
        lower +
        "\", strict_permissions = true }\n"
        "[plugins.sub]\n"
        "path = \"s.so\"\n"
        "strict_permissions = false\n"
        "[backends]\n"
        "similarity = \"pinned\"\n");
    REQUIRE(cfg.plugins.size() == 5);
    CHECK(cfg.plugins.at("reference") == "/srv/engram/etc/r.so");
    CHECK(cfg.plugins.at("pinned") == "/srv/engram/lib/p.so");
    CHECK(cfg.plugins.at("lax") == "/opt/l.so");
    CHECK(cfg.plugins.at("both") == "/srv/engram/etc/b.so");
    CHECK(cfg.plugins.at("sub") == "/srv/engram/etc/s.so");
    CHECK(cfg.backends.similarity == "pinned");

    CHECK(cfg.policy_for("reference").sha256.empty());
    CHECK(cfg.policy_for("reference").strict_permissions);
    CHECK(cfg.policy_for("pinned").sha256 == lower);  // normalised to lower case
    CHECK(cfg.policy_for("pinned").strict_permissions);
    CHECK(cfg.policy_for("lax").sha256.empty());
    CHECK_FALSE(cfg.policy_for("lax").strict_permissions);
    CHECK(cfg.policy_for("both").sha256 == lower);
    CHECK(cfg.policy_for("both").strict_permissions);
    CHECK_FALSE(cfg.policy_for("sub").strict_permissions);
    // Every configured plugin has its policy; an unknown name has the defaults.
    CHECK(cfg.plugin_policy.size() == 5);
    CHECK(cfg.policy_for("nonexistent").sha256.empty());
    CHECK(cfg.policy_for("nonexistent").strict_permissions);
}

TEST_CASE("plugin names of exactly 64 characters are accepted", "[config]") {
    const std::string name(64, 'z');
    const Config cfg =
        parse("[plugins]\n" + name + " = \"z.so\"\n[backends]\npriority = [\"" + name + "\"]\n");
    CHECK(cfg.plugins.at(name) == "/srv/engram/etc/z.so");
    CHECK(cfg.backends.priority == std::vector<std::string>{name});
}

TEST_CASE("[validation] values, at both ends of their ranges", "[config]") {
    const Config cfg = parse(kPlugins +
                             "[validation]\ntimeout_seconds = 2.5\naddress_space_mib = 8192\n"
                             "cpu_seconds = 60\n");
    CHECK(cfg.validation.timeout_seconds == 2.5);
    CHECK(cfg.validation.address_space_mib == 8192);
    CHECK(cfg.validation.cpu_seconds == 60);
    const Config low = parse(kPlugins +
                             "[validation]\ntimeout_seconds = 0.1\naddress_space_mib = 256\n"
                             "cpu_seconds = 1\n");
    CHECK(low.validation.timeout_seconds == 0.1);
    CHECK(low.validation.address_space_mib == 256);
    CHECK(low.validation.cpu_seconds == 1);
    // An integer is accepted where a float is expected.
    const Config high = parse(kPlugins +
                              "[validation]\ntimeout_seconds = 600\naddress_space_mib = 1048576\n"
                              "cpu_seconds = 3600\n");
    CHECK(high.validation.timeout_seconds == 600.0);
    CHECK(high.validation.address_space_mib == 1048576);
    CHECK(high.validation.cpu_seconds == 3600);
}

TEST_CASE("[security] values; the keys directory resolves like other paths", "[config]") {
    const Config cfg = parse(kPlugins +
                             "[security]\nrequire_signature = true\n"
                             "trusted_keys_dir = \"../keys/./engram\"\n");
    CHECK(cfg.security.require_signature);
    CHECK(cfg.security.trusted_keys_dir == "/srv/engram/keys/engram");
    const Config abs = parse(kPlugins + "[security]\ntrusted_keys_dir = \"/etc/engram/keys\"\n");
    CHECK_FALSE(abs.security.require_signature);
    CHECK(abs.security.trusted_keys_dir == "/etc/engram/keys");
    // Signatures not required: no directory needed.
    const Config off = parse(kPlugins + "[security]\nrequire_signature = false\n");
    CHECK_FALSE(off.security.require_signature);
    CHECK(off.security.trusted_keys_dir.empty());
}

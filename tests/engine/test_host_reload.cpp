// The Host's reload path with real files: a bad edit or a bad plugin leaves
// the serving set untouched; a good edit swaps it.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "app/host.h"
#include "engine_fixture.h"

using namespace engram;
using namespace engram::testing;
namespace fs = std::filesystem;

namespace {
struct ConfigFile {
    fs::path dir, file;
    ConfigFile() {
        std::string t = (fs::temp_directory_path() / "engram-host-XXXXXX").string();
        dir = mkdtemp(t.data());
        file = dir / "engram.toml";
    }
    ~ConfigFile() { fs::remove_all(dir); }
    void write(const std::string& text) const { std::ofstream(file) << text; }
};

std::string config_text(const std::string& plugins, const std::string& backends) {
    return "[plugins]\n" + plugins + "\n[backends]\n" + backends +
           "\n[store]\nkind = \"synthetic\"\nmemories = 200\ndim = 16\navg_in_degree = 4\nseed = "
           "1\n"
           // ~4 s for the deep self-test under ASan when idle: room for a loaded CI machine.
           "[validation]\ntimeout_seconds = 60\n";
}
}  // namespace

TEST_CASE("reload: good edit swaps, bad edits keep the old set serving") {
    ConfigFile cf;
    const std::string plugins =
        "reference = \"" + reference_path() + "\"\nzoo_good = \"" + zoo_path("good") + "\"";
    cf.write(config_text(plugins, "similarity = \"reference\"\npriority = [\"reference\"]"));
    Host host(cf.file);
    std::vector<float> q(16, 0.5f);
    CHECK(host.engine().find_similar(q, 3).backend == "reference");

    cf.write(config_text(plugins, "similarity = \"zoo_good\"\npriority = [\"reference\"]"));
    auto r = host.reload();
    CHECK(r.ok);
    CHECK(r.generation == 2);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");

    // Broken TOML.
    cf.write("[plugins\n");
    r = host.reload();
    CHECK_FALSE(r.ok);
    REQUIRE_FALSE(r.errors.empty());
    CHECK(r.errors[0].code() == ErrorCode::ConfigSyntax);
    CHECK(r.generation == 2);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");

    // A refused plugin.
    cf.write(config_text(plugins + "\nbad = \"" + zoo_path("wrong_numerics") + "\"",
                         "priority = [\"reference\"]"));
    r = host.reload();
    CHECK_FALSE(r.ok);
    CHECK(r.errors[0].code() == ErrorCode::SelfTestNumerics);
    CHECK(host.engine().snapshot()->generation() == 2);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");

    // A missing plugin.
    cf.write(config_text("reference = \"" + reference_path() + "\"\nx = \"nowhere.so\"", ""));
    r = host.reload();
    CHECK_FALSE(r.ok);
    CHECK(r.errors[0].code() == ErrorCode::PluginNotFound);
    CHECK(host.engine().find_similar(q, 3).backend == "zoo_good");
}

TEST_CASE("a bad config at startup is an error listing every problem") {
    ConfigFile cf;
    cf.write("[plugins]\nreference = \"" + reference_path() +
             "\"\n[backends]\nsimilarty = \"auto\"\ndecay = 3\n");
    try {
        Host host(cf.file);
        FAIL("accepted a bad config");
    } catch (const ErrorList& e) {
        CHECK(e.errors().size() == 2);
    }
}

// --- [store] changes: every key of StoreConfig is named in a warning -------

namespace {
const std::string kStoreWarningTail = "the store is built once, at start-up; restart to apply";

std::string synthetic_store(const std::string& extra_or_override) {
    return "[plugins]\nreference = \"" + reference_path() +
           "\"\n[backends]\npriority = [\"reference\"]\n" + "[store]\nkind = \"synthetic\"\n" +
           extra_or_override;
}

// Starts a Host on `before`, reloads `after`: the reload succeeds, keeps
// serving, and warns exactly once, naming `key` with both values.
void check_store_key_warns(const std::string& before, const std::string& after,
                           const std::string& key, const std::string& from, const std::string& to) {
    ConfigFile cf;
    cf.write(before);
    Host host(cf.file);
    cf.write(after);
    const auto r = host.reload();
    REQUIRE(r.ok);
    REQUIRE(r.warnings.size() == 1);
    CHECK(r.warnings[0] == "[store] " + key + " changed from \"" + from + "\" to \"" + to +
                               "\": " + kStoreWarningTail);
    // A reload of the same text again: nothing changed, no warning.
    const auto again = host.reload();
    REQUIRE(again.ok);
    CHECK(again.warnings.empty());
}

std::string base_synthetic(const std::string& key, const std::string& value) {
    std::string t =
        "memories = 50\ndim = 8\navg_in_degree = 2\nseed = 1\ndefault_stability_seconds = 100\n";
    const auto at = t.find(key + " = ");
    REQUIRE(at != std::string::npos);
    t.replace(at, t.find('\n', at) - at, key + " = " + value);
    return synthetic_store(t);
}

// A files store: 3 memories in 2-D, 2 edges, memories CSV.
struct FilesStore {
    ConfigFile files;  // only its directory
    FilesStore() {
        std::string npy = "\x93NUMPY";
        npy += '\x01';
        npy += '\x00';
        std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
        while ((10 + header.size() + 1) % 64 != 0) header += ' ';
        header += '\n';
        npy += static_cast<char>(header.size() & 0xFF);
        npy += static_cast<char>(header.size() >> 8);
        npy += header;
        const float v[6] = {1, 0, 0, 1, 1, 1};
        npy.append(reinterpret_cast<const char*>(v), sizeof v);
        std::ofstream(files.dir / "a.npy", std::ios::binary) << npy;
        std::ofstream(files.dir / "b.npy", std::ios::binary) << npy;
        std::ofstream(files.dir / "a.csv") << "source,target,weight\n0,1,0.5\n1,2,1\n";
        std::ofstream(files.dir / "b.csv") << "source,target,weight\n0,1,0.5\n";
        std::ofstream(files.dir / "m1.csv") << "id,strength,last_access,stability\n0,1,0,100\n";
        std::ofstream(files.dir / "m2.csv") << "id,strength,last_access,stability\n1,1,0,100\n";
    }
    std::string config(const std::string& emb, const std::string& edges,
                       const std::string& mem) const {
        std::string t = "[plugins]\nreference = \"" + reference_path() +
                        "\"\n[backends]\npriority = [\"reference\"]\n[store]\nkind = \"files\"\n";
        t += "embeddings = \"" + (files.dir / emb).string() + "\"\n";
        t += "edges = \"" + (files.dir / edges).string() + "\"\n";
        if (!mem.empty()) t += "memories_csv = \"" + (files.dir / mem).string() + "\"\n";
        return t;
    }
    std::string path(const std::string& f) const { return (files.dir / f).string(); }
};
}  // namespace

TEST_CASE("reload warns when [store] memories changes") {
    check_store_key_warns(base_synthetic("memories", "50"), base_synthetic("memories", "60"),
                          "memories", "50", "60");
}
TEST_CASE("reload warns when [store] dim changes") {
    check_store_key_warns(base_synthetic("dim", "8"), base_synthetic("dim", "16"), "dim", "8",
                          "16");
}
TEST_CASE("reload warns when [store] avg_in_degree changes") {
    check_store_key_warns(base_synthetic("avg_in_degree", "2"),
                          base_synthetic("avg_in_degree", "3.5"), "avg_in_degree", "2", "3.5");
}
TEST_CASE("reload warns when [store] seed changes") {
    check_store_key_warns(base_synthetic("seed", "1"), base_synthetic("seed", "2"), "seed", "1",
                          "2");
}
TEST_CASE("reload warns when [store] default_stability_seconds changes") {
    check_store_key_warns(base_synthetic("default_stability_seconds", "100"),
                          base_synthetic("default_stability_seconds", "200"),
                          "default_stability_seconds", "100", "200");
}
TEST_CASE("reload warns when [store] embedding_format changes") {
    check_store_key_warns(synthetic_store("memories = 50\ndim = 8\n"),
                          synthetic_store("memories = 50\ndim = 8\nembedding_format = \"int8\"\n"),
                          "embedding_format", "f32", "int8");
}

TEST_CASE("reload checks backends against the running store's format, not the edited one") {
    // An ABI 1.0 backend serves an f32 store; editing the file to int8 does
    // not convert the running store (restart to apply), so the reload is
    // judged against f32: accepted, with the restart warning. Started on
    // int8, the same backend is refused at start-up.
    ConfigFile cf;
    const std::string v10 = std::string(ENGRAM_TEST_SDK_FIXTURE_DIR) + "/libengram_abi_v1_0.so";
    const std::string base = "[plugins]\nabi_v1_0 = \"" + v10 +
                             "\"\n[backends]\npriority = [\"abi_v1_0\"]\n[store]\nmemories = "
                             "50\ndim = 8\n";
    cf.write(base);
    Host host(cf.file);
    cf.write(base + "embedding_format = \"int8\"\n");
    const auto r = host.reload();
    REQUIRE(r.ok);
    REQUIRE(r.warnings.size() == 1);
    CHECK_THAT(r.warnings[0], Catch::StartsWith("[store] embedding_format changed from \"f32\""));
    std::vector<float> q(8, 0.5f);
    CHECK(host.engine().find_similar(q, 3).backend == "abi_v1_0");
    try {
        Host fresh(cf.file);
        FAIL("an ABI 1.0 similarity backend was accepted for an int8 store");
    } catch (const ErrorList& e) {
        REQUIRE(e.errors().size() == 1);
        CHECK(e.errors()[0].code() == ErrorCode::BackendFormatUnsupported);
    }
}

TEST_CASE("reload warns when [store] kind changes") {
    FilesStore fs_;
    ConfigFile cf;
    cf.write(synthetic_store("memories = 3\ndim = 2\n"));
    Host host(cf.file);
    cf.write(fs_.config("a.npy", "a.csv", ""));
    const auto r = host.reload();
    REQUIRE(r.ok);
    // kind, and the keys that came with it (memories and dim go back to
    // their defaults, the two paths appear).
    REQUIRE(r.warnings.size() == 5);
    CHECK(r.warnings[0] ==
          "[store] kind changed from \"synthetic\" to \"files\": " + kStoreWarningTail);
    CHECK_THAT(r.warnings[3], Catch::StartsWith("[store] embeddings changed from \"\" to"));
    CHECK_THAT(r.warnings[4], Catch::StartsWith("[store] edges changed from \"\" to"));
}
TEST_CASE("reload warns when [store] embeddings changes") {
    FilesStore f;
    check_store_key_warns(f.config("a.npy", "a.csv", ""), f.config("b.npy", "a.csv", ""),
                          "embeddings", f.path("a.npy"), f.path("b.npy"));
}
TEST_CASE("reload warns when [store] edges changes") {
    FilesStore f;
    check_store_key_warns(f.config("a.npy", "a.csv", ""), f.config("a.npy", "b.csv", ""), "edges",
                          f.path("a.csv"), f.path("b.csv"));
}
TEST_CASE("reload warns when [store] memories_csv changes") {
    FilesStore f;
    check_store_key_warns(f.config("a.npy", "a.csv", "m1.csv"),
                          f.config("a.npy", "a.csv", "m2.csv"), "memories_csv", f.path("m1.csv"),
                          f.path("m2.csv"));
}

TEST_CASE("a config path that is a directory is E_CONFIG_READ, at start-up and on reload") {
    ConfigFile cf;
    fs::create_directories(cf.dir / "conf.d");
    try {
        Host host(cf.dir / "conf.d");
        FAIL("a directory was accepted as a config");
    } catch (const ErrorList& e) {
        REQUIRE(e.errors().size() == 1);
        CHECK(e.errors()[0].code() == ErrorCode::ConfigRead);
        CHECK_THAT(std::string(e.errors()[0].what()), Catch::EndsWith("Is a directory"));
    }
    // On reload: the config file replaced by a directory.
    cf.write(synthetic_store("memories = 10\ndim = 4\n"));
    Host host(cf.file);
    fs::remove(cf.file);
    fs::create_directories(cf.file);
    const auto r = host.reload();
    CHECK_FALSE(r.ok);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].code() == ErrorCode::ConfigRead);
}

// --- the last-good copy ------------------------------------------------------

TEST_CASE("the last-good copy is written durably and replaced whole") {
    ConfigFile cf;
    const std::string a = synthetic_store("memories = 10\ndim = 4\n");
    cf.write(a);
    const auto lg = cf.dir / "state" / "last-good.toml";
    fs::create_directories(lg.parent_path());
    Host host(HostOptions{cf.file, lg, false});
    auto read = [](const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    CHECK(read(lg) == a);
    const std::string b = synthetic_store("memories = 10\ndim = 4\nseed = 9\n");
    cf.write(b);
    REQUIRE(host.reload().ok);
    CHECK(read(lg) == b);
    CHECK_FALSE(host.status().state_write_error);
    // No temporary left beside it.
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(lg.parent_path())) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("a last-good copy that cannot be written: the reload stands, the failure is reported") {
    ConfigFile cf;
    const std::string a = synthetic_store("memories = 10\ndim = 4\n");
    cf.write(a);
    // The target's directory does not exist: open of the temporary fails.
    const auto lg = cf.dir / "missing-dir" / "last-good.toml";
    Host host(HostOptions{cf.file, lg, false});
    auto s = host.status();
    REQUIRE(s.state_write_error);
    CHECK_THAT(*s.state_write_error,
               Catch::Contains("last-good.toml") && Catch::Contains("No such file"));
    REQUIRE(s.state_write_error_unix);
    cf.write(synthetic_store("memories = 10\ndim = 4\nseed = 3\n"));
    const auto r = host.reload();
    CHECK(r.ok);
    REQUIRE(r.warnings.size() == 2);  // seed, and the copy
    CHECK_THAT(r.warnings[1],
               Catch::StartsWith("E_RELOAD_STATE_WRITE: cannot write the last-good config copy"));
    // Once the directory exists, the next write succeeds and clears it.
    fs::create_directories(lg.parent_path());
    cf.write(synthetic_store("memories = 10\ndim = 4\nseed = 4\n"));
    REQUIRE(host.reload().ok);
    CHECK_FALSE(host.status().state_write_error);
    CHECK(fs::exists(lg));
}

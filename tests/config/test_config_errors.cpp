// Configs that must be rejected: each error kind with its code and the exact
// FILE:LINE:COLUMN it points at.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "config_test_util.h"

using namespace cfgtest;
using engram::ErrorCode;

namespace {

void check_one(const std::string& text, ErrorCode code, const std::string& expected) {
    const auto e = one_error(text);
    CHECK(e.code() == code);
    CHECK(message(e) == expected);
}

}  // namespace

TEST_CASE("syntax errors: one E_CONFIG_SYNTAX with toml++'s position", "[config][errors]") {
    check_one("[plugins]\nref = \n", ErrorCode::ConfigSyntax,
              "t.toml:2:7: Error while parsing key-value pair: expected value, saw '\\n'");
    const auto dup = one_error("[plugins]\nref = \"a\"\nref = \"b\"\n");
    CHECK(dup.code() == ErrorCode::ConfigSyntax);
    CHECK_THAT(message(dup), Catch::StartsWith("t.toml:3:"));
    const auto big = one_error("[server]\nthreads = 99999999999999999999\n");
    CHECK(big.code() == ErrorCode::ConfigSyntax);
    CHECK_THAT(message(big), Catch::StartsWith("t.toml:2:"));
}

TEST_CASE("unknown keys at every level", "[config][errors]") {
    check_one(kPlugins + "[backends]\nsimilarty = \"auto\"\n", ErrorCode::ConfigUnknownKey,
              "t.toml:4:1: [backends] unknown key \"similarty\" (known: similarity, spreading, "
              "decay, priority)");
    check_one(kPlugins + "[backend]\nsimilarity = \"auto\"\n", ErrorCode::ConfigUnknownKey,
              "t.toml:3:1: unknown table [backend] (known tables: plugins, backends, store, "
              "server, arena, validation, security, rollout, watchdog)");
    check_one("verbose = true\n" + kPlugins, ErrorCode::ConfigUnknownKey,
              "t.toml:1:1: unknown top-level key \"verbose\" (known tables: plugins, backends, "
              "store, server, arena, validation, security, rollout, watchdog)");
    check_one(kPlugins + "[store.extra]\nx = 1\n", ErrorCode::ConfigUnknownKey,
              "t.toml:3:1: [store] unknown key \"extra\" (known: kind, memories, dim, "
              "avg_in_degree, seed, embeddings, embedding_scales, edges, memories_csv, "
              "default_stability_seconds, embedding_format, reorder)");
    check_one(kPlugins + "[server]\n  threads = 2\n  thread = 3\n", ErrorCode::ConfigUnknownKey,
              "t.toml:5:3: [server] unknown key \"thread\" (known: listen, threads, log_level, "
              "log_format, pid_file, allow_remote_admin, kernel_threads, kernel_split_min_rows)");
    check_one(kPlugins + "[arena]\nsize = 4096\npolicy = \"error\"\n", ErrorCode::ConfigUnknownKey,
              "t.toml:5:1: [arena] unknown key \"policy\" (known: size, overflow)");
    check_one("server = { threads = 2, \"odd\\nkey\" = 1 }\n" + kPlugins,
              ErrorCode::ConfigUnknownKey,
              "t.toml:1:25: [server] unknown key \"odd\\x0akey\" (known: listen, threads, "
              "log_level, log_format, pid_file, allow_remote_admin, kernel_threads, "
              "kernel_split_min_rows)");
}

TEST_CASE("kernel_threads, kernel_split_min_rows and reorder are range-checked",
          "[config][errors]") {
    check_one(kPlugins + "[server]\nkernel_threads = 0\n", ErrorCode::ConfigValue,
              "t.toml:4:18: [server] kernel_threads: 0 is out of range (must be 1..64)");
    check_one(kPlugins + "[server]\nkernel_threads = 65\n", ErrorCode::ConfigValue,
              "t.toml:4:18: [server] kernel_threads: 65 is out of range (must be 1..64)");
    check_one(kPlugins + "[server]\nkernel_split_min_rows = 64\n", ErrorCode::ConfigValue,
              "t.toml:4:25: [server] kernel_split_min_rows: 64 is out of range (must be "
              "128..4294967295)");
    check_one(kPlugins + "[store]\nreorder = \"rcm\"\n", ErrorCode::ConfigValue,
              "t.toml:4:11: [store] reorder: \"rcm\" is not one of \"none\", \"degree\"");
}

TEST_CASE("wrong types are E_CONFIG_TYPE at the value", "[config][errors]") {
    check_one(kPlugins + "[server]\nthreads = 2.0\n", ErrorCode::ConfigType,
              "t.toml:4:11: [server] threads: expected an integer, got float");
    check_one(kPlugins + "[server]\nlisten = 8080\n", ErrorCode::ConfigType,
              "t.toml:4:10: [server] listen: expected a string, got integer");
    check_one(kPlugins + "[server]\nallow_remote_admin = \"yes\"\n", ErrorCode::ConfigType,
              "t.toml:4:22: [server] allow_remote_admin: expected a boolean, got string");
    check_one(kPlugins + "[store]\nmemories = 1e4\n", ErrorCode::ConfigType,
              "t.toml:4:12: [store] memories: expected an integer, got float");
    check_one(kPlugins + "[store]\navg_in_degree = \"8\"\n", ErrorCode::ConfigType,
              "t.toml:4:17: [store] avg_in_degree: expected a number, got string");
    check_one(
        "[plugins]\nref = 5\n", ErrorCode::ConfigType,
        "t.toml:2:7: [plugins] ref: expected a string (the plugin's path) or a table { path = "
        "... }, got integer");
    check_one("server = 5\n" + kPlugins, ErrorCode::ConfigType,
              "t.toml:1:10: [server]: expected a table, got integer");
    check_one("[[plugins]]\nref = \"r.so\"\n", ErrorCode::ConfigType,
              "t.toml:1:1: [plugins]: expected a table, got array");
    check_one(kPlugins + "[backends]\npriority = \"avx2\"\n", ErrorCode::ConfigType,
              "t.toml:4:12: [backends] priority: expected an array of strings, got string");
    check_one(kPlugins + "[backends]\npriority = [\"reference\", 3]\n", ErrorCode::ConfigType,
              "t.toml:4:26: [backends] priority[1]: expected a string, got integer");
    check_one(kPlugins + "[backends]\ndecay = true\n", ErrorCode::ConfigType,
              "t.toml:4:9: [backends] decay: expected a string, got boolean");
    check_one(kPlugins + "[arena]\nsize = 1.5\n", ErrorCode::ConfigType,
              "t.toml:4:8: [arena] size: expected an integer (bytes) or a string like \"1MiB\", "
              "got float");
}

TEST_CASE("out-of-range and disallowed values are E_CONFIG_VALUE", "[config][errors]") {
    const std::string s = kPlugins + "[server]\n";
    check_one(s + "threads = 0\n", ErrorCode::ConfigValue,
              "t.toml:4:11: [server] threads: 0 is out of range (must be 1..256)");
    check_one(s + "threads = 257\n", ErrorCode::ConfigValue,
              "t.toml:4:11: [server] threads: 257 is out of range (must be 1..256)");
    check_one(s + "threads = -2\n", ErrorCode::ConfigValue,
              "t.toml:4:11: [server] threads: -2 is out of range (must be 1..256)");
    check_one(s + "log_level = \"verbose\"\n", ErrorCode::ConfigValue,
              "t.toml:4:13: [server] log_level: \"verbose\" is not one of \"debug\", \"info\", "
              "\"warn\", \"error\"");
    check_one(s + "log_format = \"xml\"\n", ErrorCode::ConfigValue,
              "t.toml:4:14: [server] log_format: \"xml\" is not one of \"text\", \"json\"");
    check_one(s + "listen = \"localhost\"\n", ErrorCode::ConfigValue,
              "t.toml:4:10: [server] listen: \"localhost\": expected HOST:PORT");
    check_one(s + "listen = \"127.0.0.1:0\"\n", ErrorCode::ConfigValue,
              "t.toml:4:10: [server] listen: \"127.0.0.1:0\": the port must be 1..65535");
    check_one(s + "listen = \":8080\"\n", ErrorCode::ConfigValue,
              "t.toml:4:10: [server] listen: \":8080\": the host is empty (use 0.0.0.0 or [::] "
              "for all interfaces)");

    const std::string st = kPlugins + "[store]\n";
    check_one(st + "seed = -1\n", ErrorCode::ConfigValue,
              "t.toml:4:8: [store] seed: -1 is out of range (must be >= 0)");
    check_one(st + "memories = 0\n", ErrorCode::ConfigValue,
              "t.toml:4:12: [store] memories: 0 is out of range (must be 1..50000000)");
    check_one(st + "memories = 50_000_001\n", ErrorCode::ConfigValue,
              "t.toml:4:12: [store] memories: 50000001 is out of range (must be 1..50000000)");
    check_one(st + "dim = 65537\n", ErrorCode::ConfigValue,
              "t.toml:4:7: [store] dim: 65537 is out of range (must be 1..65536)");
    check_one(st + "avg_in_degree = -0.5\n", ErrorCode::ConfigValue,
              "t.toml:4:17: [store] avg_in_degree: -0.5 is out of range (must be 0..1000)");
    check_one(st + "avg_in_degree = 1000.5\n", ErrorCode::ConfigValue,
              "t.toml:4:17: [store] avg_in_degree: 1000.5 is out of range (must be 0..1000)");
    check_one(st + "default_stability_seconds = 0\n", ErrorCode::ConfigValue,
              "t.toml:4:29: [store] default_stability_seconds: 0 is out of range (must be > 0)");
    check_one(st + "default_stability_seconds = nan\n", ErrorCode::ConfigValue,
              "t.toml:4:29: [store] default_stability_seconds: nan is not a finite number");
    check_one(st + "default_stability_seconds = inf\n", ErrorCode::ConfigValue,
              "t.toml:4:29: [store] default_stability_seconds: inf is not a finite number");
    check_one(st + "kind = \"db\"\n", ErrorCode::ConfigValue,
              "t.toml:4:8: [store] kind: \"db\" is not one of \"synthetic\", \"files\"");
    check_one(st + "memories = 50_000_000\navg_in_degree = 1000\n", ErrorCode::ConfigValue,
              "t.toml:5:17: [store] avg_in_degree: 50000000 memories x 1000 in-edges each is "
              "more edges than the store can index (at most 4294967295)");

    const std::string a = kPlugins + "[arena]\n";
    check_one(a + "size = \"1MB\"\n", ErrorCode::ConfigValue,
              "t.toml:4:8: [arena] size: \"1MB\": unknown unit \"MB\" (use B, KiB, MiB or GiB)");
    check_one(a + "size = 1024\n", ErrorCode::ConfigValue,
              "t.toml:4:8: [arena] size: 1024 is out of range (must be 4KiB..64GiB, i.e. "
              "4096..68719476736 bytes)");
    check_one(a + "size = \"65GiB\"\n", ErrorCode::ConfigValue,
              "t.toml:4:8: [arena] size: \"65GiB\" is out of range (must be 4KiB..64GiB, i.e. "
              "4096..68719476736 bytes)");
    check_one(a + "size = -4096\n", ErrorCode::ConfigValue,
              "t.toml:4:8: [arena] size: -4096 is negative");
    check_one(a + "overflow = \"ignore\"\n", ErrorCode::ConfigValue,
              "t.toml:4:12: [arena] overflow: \"ignore\" is not one of \"panic\", \"error\", "
              "\"fallback\"");
}

TEST_CASE("[store] embedding_format: one of f32, bf16, int8, a string", "[config][errors]") {
    const std::string st = kPlugins + "[store]\n";
    check_one(st + "embedding_format = \"fp16\"\n", ErrorCode::ConfigValue,
              "t.toml:4:20: [store] embedding_format: \"fp16\" is not one of \"f32\", \"bf16\", "
              "\"int8\"");
    check_one(st + "embedding_format = \"INT8\"\n", ErrorCode::ConfigValue,
              "t.toml:4:20: [store] embedding_format: \"INT8\" is not one of \"f32\", \"bf16\", "
              "\"int8\"");
    check_one(st + "embedding_format = 8\n", ErrorCode::ConfigType,
              "t.toml:4:20: [store] embedding_format: expected a string, got integer");
}

TEST_CASE("[store] embedding_scales: only with kind files and embedding_format int8",
          "[config][errors]") {
    const std::string files =
        kPlugins + "[store]\nkind = \"files\"\nembeddings = \"e.npy\"\nedges = \"e.csv\"\n";
    check_one(files + "embedding_scales = \"s.npy\"\n", ErrorCode::ConfigValue,
              "t.toml:7:1: [store] embedding_scales: only allowed with embedding_format = "
              "\"int8\" (embedding_format is \"f32\", the default)");
    check_one(files + "embedding_format = \"bf16\"\nembedding_scales = \"s.npy\"\n",
              ErrorCode::ConfigValue,
              "t.toml:8:1: [store] embedding_scales: only allowed with embedding_format = "
              "\"int8\" (embedding_format is \"bf16\")");
    check_one(kPlugins + "[store]\nembedding_format = \"int8\"\nembedding_scales = \"s.npy\"\n",
              ErrorCode::ConfigValue,
              "t.toml:5:1: [store] embedding_scales: only allowed with kind = \"files\" (kind is "
              "\"synthetic\", the default)");
    check_one(files + "embedding_format = \"int8\"\nembedding_scales = \"\"\n",
              ErrorCode::ConfigValue, "t.toml:8:20: [store] embedding_scales: the path is empty");
    check_one(files + "embedding_format = \"int8\"\nembedding_scales = 1\n", ErrorCode::ConfigType,
              "t.toml:8:20: [store] embedding_scales: expected a string, got integer");
    // An invalid format is reported once, not also against the scales.
    check_one(files + "embedding_format = \"int4\"\nembedding_scales = \"s.npy\"\n",
              ErrorCode::ConfigValue,
              "t.toml:7:20: [store] embedding_format: \"int4\" is not one of \"f32\", \"bf16\", "
              "\"int8\"");
}

TEST_CASE("plugin names, paths and backend references", "[config][errors]") {
    check_one("[plugins]\nRef = \"r.so\"\n", ErrorCode::ConfigValue,
              "t.toml:2:1: [plugins] \"Ref\": invalid plugin name (use [a-z0-9_]{1,64})");
    check_one("[plugins]\nref = \"\"\n", ErrorCode::ConfigValue,
              "t.toml:2:7: [plugins] ref: the path is empty");
    check_one(
        "[plugins]\nreference = \"r.so\"\navx2 = \"a.so\"\n[backends]\nsimilarity = \"avx3\"\n",
        ErrorCode::ConfigValue,
        "t.toml:5:14: [backends] similarity: \"avx3\" is neither \"auto\" nor a [plugins] "
        "key (known plugins: avx2, reference)");
    check_one(kPlugins + "[backends]\npriority = [\"avx2\", \"reference\", \"avx2\"]\n",
              ErrorCode::ConfigValue,
              "t.toml:4:34: [backends] priority[2]: \"avx2\" is listed more than once");
    check_one(kPlugins + "[backends]\npriority = [\"reference\", \"AVX2\"]\n",
              ErrorCode::ConfigValue,
              "t.toml:4:26: [backends] priority[1]: \"AVX2\" is not a valid plugin name "
              "([a-z0-9_]{1,64})");
}

TEST_CASE("a backend naming a plugin whose entry is broken is not reported twice",
          "[config][errors]") {
    check_one(
        "[plugins]\nref = 5\n[backends]\nsimilarity = \"ref\"\npriority = [\"ref\"]\n",
        ErrorCode::ConfigType,
        "t.toml:2:7: [plugins] ref: expected a string (the plugin's path) or a table { path = "
        "... }, got integer");
}

TEST_CASE("missing required parts are E_CONFIG_MISSING", "[config][errors]") {
    check_one("[server]\nthreads = 2\n", ErrorCode::ConfigMissing,
              "t.toml:1:1: [plugins] is missing: at least one plugin (name = \"path\") is "
              "required");
    check_one("\n[plugins]\n[server]\n", ErrorCode::ConfigMissing,
              "t.toml:2:1: [plugins] is empty: at least one plugin (name = \"path\") is required");
    check_one("", ErrorCode::ConfigMissing,
              "t.toml:1:1: [plugins] is missing: at least one plugin (name = \"path\") is "
              "required");

    const auto list = errors(kPlugins + "[store]\nkind = \"files\"\n");
    REQUIRE(list.size() == 2);
    CHECK(list[0].code() == ErrorCode::ConfigMissing);
    CHECK(message(list[0]) == "t.toml:3:1: [store] embeddings: required when kind = \"files\"");
    CHECK(list[1].code() == ErrorCode::ConfigMissing);
    CHECK(message(list[1]) == "t.toml:3:1: [store] edges: required when kind = \"files\"");
}

TEST_CASE("keys of the other store kind are refused, saying which", "[config][errors]") {
    check_one(
        kPlugins +
            "[store]\nkind = \"files\"\nembeddings = \"e.npy\"\nedges = \"e.csv\"\n"
            "dim = 768\n",
        ErrorCode::ConfigValue,
        "t.toml:7:1: [store] dim: only allowed with kind = \"synthetic\" (kind is \"files\")");
    check_one(kPlugins + "[store]\nmemories_csv = \"m.csv\"\n", ErrorCode::ConfigValue,
              "t.toml:4:1: [store] memories_csv: only allowed with kind = \"files\" (kind is "
              "\"synthetic\", the default)");
    check_one(kPlugins + "[store]\nkind = \"synthetic\"\nedges = \"e.csv\"\n",
              ErrorCode::ConfigValue,
              "t.toml:5:1: [store] edges: only allowed with kind = \"files\" (kind is "
              "\"synthetic\")");
}

TEST_CASE("every problem is collected into one ErrorList, in document order", "[config][errors]") {
    const std::string text =
        "[plugins]\n"                  // 1
        "reference = \"r.so\"\n"       // 2
        "Bad = \"b.so\"\n"             // 3
        "[backends]\n"                 // 4
        "similarity = \"nope\"\n"      // 5
        "priorty = [\"reference\"]\n"  // 6
        "[store]\n"                    // 7
        "dim = 0\n"                    // 8
        "seed = 1.5\n"                 // 9
        "[server]\n"                   // 10
        "threads = 1000\n"             // 11
        "log_level = \"loud\"\n"       // 12
        "[arena]\n"                    // 13
        "size = \"1 TB\"\n"            // 14
        "[extra]\n";                   // 15
    const auto list = errors(text);
    std::vector<std::pair<ErrorCode, std::string>> got;
    for (const auto& e : list) got.emplace_back(e.code(), message(e).substr(0, 12));
    const std::vector<std::pair<ErrorCode, std::string>> expected = {
        {ErrorCode::ConfigValue, "t.toml:3:1: "},      {ErrorCode::ConfigValue, "t.toml:5:14:"},
        {ErrorCode::ConfigUnknownKey, "t.toml:6:1: "}, {ErrorCode::ConfigValue, "t.toml:8:7: "},
        {ErrorCode::ConfigType, "t.toml:9:8: "},       {ErrorCode::ConfigValue, "t.toml:11:11"},
        {ErrorCode::ConfigValue, "t.toml:12:13"},      {ErrorCode::ConfigValue, "t.toml:14:8:"},
        {ErrorCode::ConfigUnknownKey, "t.toml:15:1:"},
    };
    CHECK(got == expected);
}

TEST_CASE("errors in a real file name the path as given", "[config][errors]") {
    const std::string file = ENGRAM_TEST_SOURCE_DIR "/tests/config/fixtures/bad_mixed.toml";
    try {
        engram::load_config(file);
        FAIL("bad_mixed.toml was accepted");
    } catch (const engram::ErrorList& list) {
        const auto& e = list.errors();
        REQUIRE(e.size() == 3);
        CHECK(e[0].code() == ErrorCode::ConfigUnknownKey);
        CHECK(std::string(e[0].what()) ==
              file +
                  ":7:1: [backends] unknown key \"similarty\" (known: similarity, spreading, "
                  "decay, priority)");
        CHECK(e[1].code() == ErrorCode::ConfigType);
        CHECK(std::string(e[1].what()) ==
              file + ":11:11: [server] threads: expected an integer, got float");
        CHECK(e[2].code() == ErrorCode::ConfigValue);
        CHECK(std::string(e[2].what()) ==
              file +
                  ":12:10: [server] listen: \"::1:8080\": an IPv6 address must be in "
                  "brackets, e.g. \"[::1]:8080\"");
    }
}

TEST_CASE("a syntax error in a real file", "[config][errors]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("engram_config_syntax_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto file = dir / "broken.toml";
    std::ofstream(file) << "[plugins]\nref = \"r.so\"\n[server\n";
    try {
        engram::load_config(file);
        FAIL("broken.toml was accepted");
    } catch (const engram::ErrorList& list) {
        REQUIRE(list.errors().size() == 1);
        CHECK(list.errors()[0].code() == ErrorCode::ConfigSyntax);
        CHECK_THAT(std::string(list.errors()[0].what()), Catch::StartsWith(file.string() + ":3:"));
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("an unreadable file is E_CONFIG_READ", "[config][errors]") {
    const auto check_read = [](const std::filesystem::path& p, const std::string& reason) {
        try {
            engram::load_config(p);
            FAIL("load_config succeeded on " << p);
        } catch (const engram::ErrorList& list) {
            REQUIRE(list.errors().size() == 1);
            CHECK(list.errors()[0].code() == ErrorCode::ConfigRead);
            CHECK_THAT(std::string(list.errors()[0].what()),
                       Catch::StartsWith(p.string() + ": ") && Catch::EndsWith(reason));
        }
    };
    check_read("/nonexistent/engram.toml", "No such file or directory");
    check_read(ENGRAM_TEST_SOURCE_DIR "/tests/config/fixtures", "Is a directory");
}

TEST_CASE("plugin entries in table form: every key checked", "[config][errors][provenance]") {
    const std::string digest(64, 'a');
    check_one("[plugins]\nref = { path = \"r.so\", sha = \"x\" }\n", ErrorCode::ConfigUnknownKey,
              "t.toml:2:24: [plugins.ref] unknown key \"sha\" (known: path, sha256, "
              "strict_permissions)");
    check_one("[plugins]\nref = { sha256 = \"" + digest + "\" }\n", ErrorCode::ConfigMissing,
              "t.toml:2:7: [plugins.ref] path: required (the plugin's file)");
    check_one("[plugins]\nref = { path = 5 }\n", ErrorCode::ConfigType,
              "t.toml:2:16: [plugins.ref] path: expected a string, got integer");
    check_one("[plugins]\nref = { path = \"\" }\n", ErrorCode::ConfigValue,
              "t.toml:2:16: [plugins.ref] path: the path is empty");
    check_one("[plugins]\nref = { path = \"r.so\", sha256 = \"abc\" }\n", ErrorCode::ConfigValue,
              "t.toml:2:33: [plugins.ref] sha256: \"abc\" is not a SHA-256 digest (expected 64 "
              "hexadecimal digits, as engramctl digest prints; got 3 characters)");
    check_one("[plugins]\nref = { path = \"r.so\", sha256 = \"" + std::string(63, 'a') + "g\" }\n",
              ErrorCode::ConfigValue,
              "t.toml:2:33: [plugins.ref] sha256: \"" + std::string(63, 'a') +
                  "g\" is not a SHA-256 digest (expected 64 hexadecimal digits, as engramctl "
                  "digest prints; got 64 characters)");
    check_one("[plugins]\nref = { path = \"r.so\", sha256 = \"" + digest + "0\" }\n",
              ErrorCode::ConfigValue,
              "t.toml:2:33: [plugins.ref] sha256: \"" + digest +
                  "0\" is not a SHA-256 digest (expected 64 hexadecimal digits, as engramctl "
                  "digest prints; got 65 characters)");
    check_one("[plugins]\nref = { path = \"r.so\", sha256 = 5 }\n", ErrorCode::ConfigType,
              "t.toml:2:33: [plugins.ref] sha256: expected a string, got integer");
    check_one("[plugins]\nref = { path = \"r.so\", strict_permissions = \"no\" }\n",
              ErrorCode::ConfigType,
              "t.toml:2:45: [plugins.ref] strict_permissions: expected a boolean, got string");
    // The sub-table spelling is the same table, checked the same way.
    check_one("[plugins.ref]\npath = 5\n", ErrorCode::ConfigType,
              "t.toml:2:8: [plugins.ref] path: expected a string, got integer");
    check_one("[plugins.ref]\nsha256 = \"" + digest + "\"\n", ErrorCode::ConfigMissing,
              "t.toml:1:1: [plugins.ref] path: required (the plugin's file)");
    check_one(
        "[plugins]\nref = [\"r.so\"]\n", ErrorCode::ConfigType,
        "t.toml:2:7: [plugins] ref: expected a string (the plugin's path) or a table { path = "
        "... }, got array");
    // Every problem of one entry is reported, and a broken entry is still a
    // [plugins] key for [backends].
    const auto list = errors(
        "[plugins]\nref = { path = 5, sha256 = \"x\", strict_permissions = 1 }\n"
        "[backends]\nsimilarity = \"ref\"\n");
    REQUIRE(list.size() == 3);
    CHECK(list[0].code() == ErrorCode::ConfigType);
    CHECK(list[1].code() == ErrorCode::ConfigValue);
    CHECK(list[2].code() == ErrorCode::ConfigType);
}

TEST_CASE("plugin names are at most 64 characters, never truncated", "[config][errors]") {
    const std::string long_name(65, 'a');
    check_one("[plugins]\n" + long_name + " = \"r.so\"\n", ErrorCode::ConfigValue,
              "t.toml:2:1: [plugins] \"" + long_name +
                  "\": invalid plugin name: 65 characters, at most 64 are allowed");
    check_one("[plugins]\n" + long_name + " = { path = \"r.so\" }\n", ErrorCode::ConfigValue,
              "t.toml:2:1: [plugins] \"" + long_name +
                  "\": invalid plugin name: 65 characters, at most 64 are allowed");
    check_one(
        "[plugins]\n" + long_name + "X = \"r.so\"\n", ErrorCode::ConfigValue,
        "t.toml:2:1: [plugins] \"" + long_name + "X\": invalid plugin name (use [a-z0-9_]{1,64})");
    check_one(kPlugins + "[backends]\npriority = [\"" + long_name + "\"]\n", ErrorCode::ConfigValue,
              "t.toml:4:13: [backends] priority[0]: \"" + long_name +
                  "\" is not a valid plugin name ([a-z0-9_]{1,64})");
}

TEST_CASE("[validation] keys: types and ranges", "[config][errors]") {
    const std::string v = kPlugins + "[validation]\n";
    check_one(v + "timeout_seconds = 0.05\n", ErrorCode::ConfigValue,
              "t.toml:4:19: [validation] timeout_seconds: 0.05 is out of range (must be 0.1..600)");
    check_one(v + "timeout_seconds = 600.5\n", ErrorCode::ConfigValue,
              "t.toml:4:19: [validation] timeout_seconds: 600.5 is out of range (must be "
              "0.1..600)");
    check_one(v + "timeout_seconds = nan\n", ErrorCode::ConfigValue,
              "t.toml:4:19: [validation] timeout_seconds: nan is not a finite number");
    check_one(v + "timeout_seconds = \"10s\"\n", ErrorCode::ConfigType,
              "t.toml:4:19: [validation] timeout_seconds: expected a number, got string");
    check_one(v + "address_space_mib = 255\n", ErrorCode::ConfigValue,
              "t.toml:4:21: [validation] address_space_mib: 255 is out of range (must be "
              "256..1048576)");
    check_one(v + "address_space_mib = 1048577\n", ErrorCode::ConfigValue,
              "t.toml:4:21: [validation] address_space_mib: 1048577 is out of range (must be "
              "256..1048576)");
    check_one(v + "address_space_mib = 4096.0\n", ErrorCode::ConfigType,
              "t.toml:4:21: [validation] address_space_mib: expected an integer, got float");
    check_one(v + "cpu_seconds = 0\n", ErrorCode::ConfigValue,
              "t.toml:4:15: [validation] cpu_seconds: 0 is out of range (must be 1..3600)");
    check_one(v + "cpu_seconds = 3601\n", ErrorCode::ConfigValue,
              "t.toml:4:15: [validation] cpu_seconds: 3601 is out of range (must be 1..3600)");
    check_one(v + "cpu_seconds = true\n", ErrorCode::ConfigType,
              "t.toml:4:15: [validation] cpu_seconds: expected an integer, got boolean");
    check_one(v + "timeout = 10\n", ErrorCode::ConfigUnknownKey,
              "t.toml:4:1: [validation] unknown key \"timeout\" (known: timeout_seconds, "
              "address_space_mib, cpu_seconds)");
    check_one("validation = 5\n" + kPlugins, ErrorCode::ConfigType,
              "t.toml:1:14: [validation]: expected a table, got integer");
}

TEST_CASE("[security] keys: types, and the keys directory when signatures are required",
          "[config][errors]") {
    const std::string s = kPlugins + "[security]\n";
    check_one(s + "require_signature = \"yes\"\n", ErrorCode::ConfigType,
              "t.toml:4:21: [security] require_signature: expected a boolean, got string");
    check_one(s + "trusted_keys_dir = 5\n", ErrorCode::ConfigType,
              "t.toml:4:20: [security] trusted_keys_dir: expected a string, got integer");
    check_one(s + "trusted_keys_dir = \"\"\n", ErrorCode::ConfigValue,
              "t.toml:4:20: [security] trusted_keys_dir: the path is empty");
    check_one(s + "require_signature = true\n", ErrorCode::ConfigMissing,
              "t.toml:3:1: [security] trusted_keys_dir: required when require_signature = true");
    // A present but broken directory is reported once, as what it is.
    check_one(s + "require_signature = true\ntrusted_keys_dir = 5\n", ErrorCode::ConfigType,
              "t.toml:5:20: [security] trusted_keys_dir: expected a string, got integer");
    check_one(s + "keys = \"k\"\n", ErrorCode::ConfigUnknownKey,
              "t.toml:4:1: [security] unknown key \"keys\" (known: require_signature, "
              "trusted_keys_dir)");
}

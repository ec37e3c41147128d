// engramctl use, the whole command: a real config file, a real engramd
// (tests/server/daemon.h), a real engramctl process. Each test compares the
// whole file after the command with the expected bytes (the original with
// only the chosen values changed or added), and asks engramd what serves.
#include <sys/stat.h>

#include "../server/daemon.h"

using namespace engram::testing;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Replaces the one occurrence of `from` (which must occur exactly once).
std::string replace_once(const std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    REQUIRE(text.find(from, at + 1) == std::string::npos);
    return text.substr(0, at) + to + text.substr(at + from.size());
}

const std::string kStore =
    "\n# a small store\n[store]\nmemories = 2000\ndim = 64\navg_in_degree = 4\nseed = 11\n"
    "\n[server]\nthreads = 2   # enough\n";

std::string plugins_table() {
    return "# plugins, two of them\n[plugins]\nreference = \"" + plugin("reference") +
           "\"\nzoo_good = \"" + zoo("good") + "\"  # calls itself zoo_good\n";
}

std::string serving(const Daemon& d, const std::string& kernel) {
    return d.get("/v1/backends")["kernels"][kernel].value("backend", "");
}
uint64_t generation(const Daemon& d) { return d.get("/v1/backends").value("generation", 0ULL); }

struct Fixture {
    TempDir dir;
    fs::path cfg;
    std::unique_ptr<Daemon> d;
    explicit Fixture(const std::string& text) {
        cfg = dir.write("engram.toml", text);
        REQUIRE(::chmod(cfg.c_str(), 0640) == 0);
        d = std::make_unique<Daemon>(cfg, dir.path);
        REQUIRE(d->ready());
    }
    Run ctl(std::vector<std::string> args) const {
        args.insert(args.begin(), {kEngramctl, "--url", d->url()});
        return run(args, dir.path);
    }
    mode_t mode() const {
        struct stat st {};
        REQUIRE(::stat(cfg.c_str(), &st) == 0);
        return st.st_mode & 07777;
    }
};

}  // namespace

TEST_CASE("use: keys present; the file engramd reports is edited in place, reference serves",
          "[use]") {
    const std::string text =
        plugins_table() +
        "\n# Which plugin serves each kernel.\n[backends]\nsimilarity = \"zoo_good\"  # pinned\n"
        "spreading = \"zoo_good\"\n\ndecay = \"zoo_good\"\npriority = [\"reference\"]\n" +
        kStore;
    Fixture f(text);
    REQUIRE(serving(*f.d, "similarity") == "zoo_good");
    // no --config: engramd's own (absolute) config path from GET /v1/backends
    const auto r = f.ctl({"use", "reference"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    std::string expected =
        replace_once(text, "similarity = \"zoo_good\"", "similarity = \"reference\"");
    expected = replace_once(expected, "spreading = \"zoo_good\"", "spreading = \"reference\"");
    expected = replace_once(expected, "decay = \"zoo_good\"", "decay = \"reference\"");
    CHECK(slurp(f.cfg) == expected);
    CHECK(f.mode() == 0640);
    for (const char* k : {"similarity", "spreading", "decay"})
        CHECK(serving(*f.d, k) == "reference");
    CHECK_THAT(r.out, Catch::Contains("similarity \"zoo_good\" -> \"reference\" (line 8)"));
    CHECK_THAT(r.out, Catch::Contains("reload ok: generation 2"));
    CHECK_THAT(r.out, Catch::Contains("serving now (generation 2): similarity reference, spreading "
                                      "reference, decay reference"));
    // no temp file left beside it
    for (const auto& e : fs::directory_iterator(f.dir.path))
        CHECK(e.path().filename().string().find(".engramctl-") == std::string::npos);

    // again: nothing to change, the file is not rewritten, still reloads and checks
    struct stat st {};
    REQUIRE(::stat(f.cfg.c_str(), &st) == 0);
    const auto again = f.ctl({"use", "reference", "--config", f.cfg.string()});
    CHECK(again.code == 0);
    CHECK_THAT(again.out, Catch::Contains("already says so"));
    CHECK(slurp(f.cfg) == expected);
    struct stat st2 {};
    REQUIRE(::stat(f.cfg.c_str(), &st2) == 0);
    CHECK(st2.st_ino == st.st_ino);
}

TEST_CASE("use --kernel: indented keys, only the chosen one changes", "[use]") {
    const std::string text =
        plugins_table() +
        "\n  [backends]\n    similarity = \"zoo_good\"\n\tspreading = \"zoo_good\"   # tab\n"
        "    decay = 'zoo_good'\n    priority = [\n      \"reference\",\n    ]\n" +
        kStore;
    Fixture f(text);
    const auto r = f.ctl({"use", "reference", "--kernel", "spreading", "--config", f.cfg.string()});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(slurp(f.cfg) ==
          replace_once(text, "spreading = \"zoo_good\"", "spreading = \"reference\""));
    CHECK(serving(*f.d, "spreading") == "reference");
    CHECK(serving(*f.d, "similarity") == "zoo_good");
    CHECK(serving(*f.d, "decay") == "zoo_good");
    CHECK_THAT(r.out, Catch::Contains("serving now (generation 2): similarity zoo_good, spreading "
                                      "reference, decay zoo_good"));

    // a comma list and a repeat
    const auto r2 =
        f.ctl({"use", "reference", "--kernel", "decay,similarity", "--kernel", "decay"});
    INFO(r2.out << r2.err);
    REQUIRE(r2.code == 0);
    std::string expected =
        replace_once(text, "spreading = \"zoo_good\"", "spreading = \"reference\"");
    expected = replace_once(expected, "similarity = \"zoo_good\"", "similarity = \"reference\"");
    expected = replace_once(expected, "decay = 'zoo_good'", "decay = \"reference\"");
    CHECK(slurp(f.cfg) == expected);
    for (const char* k : {"similarity", "spreading", "decay"})
        CHECK(serving(*f.d, k) == "reference");
}

TEST_CASE("use: absent keys are added after the last key line of [backends]", "[use]") {
    // "auto" by default: priority picks zoo_good
    const std::string head =
        plugins_table() + "\n[backends]\n  priority = [\"zoo_good\", \"reference\"]  # order\n";
    const std::string text = head + "\n# comment before the store\n" + kStore;
    Fixture f(text);
    REQUIRE(serving(*f.d, "decay") == "zoo_good");
    const auto r = f.ctl({"use", "reference"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(slurp(f.cfg) ==
          head +
              "  similarity = \"reference\"\n  spreading = \"reference\"\n  decay = \"reference\"\n"
              "\n# comment before the store\n" +
              kStore);
    for (const char* k : {"similarity", "spreading", "decay"})
        CHECK(serving(*f.d, k) == "reference");
    CHECK_THAT(r.out,
               Catch::Contains("decay      (not set: \"auto\") -> \"reference\" (added, line 10)"));
}

TEST_CASE("use: no [backends] table, one is appended", "[use]") {
    // the default priority has no zoo_good: "auto" serves reference
    const std::string text = plugins_table() + kStore;
    Fixture f(text);
    REQUIRE(serving(*f.d, "similarity") == "reference");
    const auto r = f.ctl({"use", "zoo_good"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(slurp(f.cfg) == text +
                              "\n[backends]\nsimilarity = \"zoo_good\"\nspreading = "
                              "\"zoo_good\"\ndecay = \"zoo_good\"\n");
    for (const char* k : {"similarity", "spreading", "decay"})
        CHECK(serving(*f.d, k) == "zoo_good");
}

TEST_CASE("use: an inline backends table is edited inside its braces", "[use]") {
    const std::string text =
        "backends = { similarity = \"reference\", priority = [\"reference\"] }  # inline\n\n" +
        plugins_table() + kStore;
    Fixture f(text);
    const auto r = f.ctl({"use", "zoo_good", "--kernel", "similarity,decay"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(slurp(f.cfg) ==
          replace_once(
              text, "{ similarity = \"reference\", priority = [\"reference\"] }",
              "{ similarity = \"zoo_good\", priority = [\"reference\"], decay = \"zoo_good\" }"));
    CHECK(serving(*f.d, "similarity") == "zoo_good");
    CHECK(serving(*f.d, "decay") == "zoo_good");
    CHECK(serving(*f.d, "spreading") == "reference");
}

TEST_CASE("use: an unknown backend is refused, the file untouched, nothing reloaded", "[use]") {
    const std::string text =
        config_text({{"reference", plugin("reference")}, {"zoo_good", zoo("good")}}, "zoo_good");
    Fixture f(text);
    const auto mtime_before = fs::last_write_time(f.cfg);
    const auto r = f.ctl({"use", "avx512"});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("E_BACKEND_UNKNOWN") && Catch::Contains("'avx512'") &&
                          Catch::Contains("reference, zoo_good"));
    CHECK(slurp(f.cfg) == text);
    CHECK(fs::last_write_time(f.cfg) == mtime_before);
    CHECK(generation(*f.d) == 1);
    CHECK(serving(*f.d, "similarity") == "zoo_good");
    // a bad --kernel is a usage error
    const auto k = f.ctl({"use", "reference", "--kernel", "similarty"});
    CHECK(k.code == 2);
    CHECK_THAT(k.err, Catch::Contains("'similarty' is not a kernel"));
    CHECK(slurp(f.cfg) == text);
}

TEST_CASE("use --dry-run prints the diff, writes and reloads nothing", "[use]") {
    const std::string text =
        config_text({{"reference", plugin("reference")}, {"zoo_good", zoo("good")}}, "zoo_good");
    Fixture f(text);
    const auto r = f.ctl({"use", "reference", "--dry-run", "--kernel", "decay"});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("-decay = \"zoo_good\"\n+decay = \"reference\"\n"));
    CHECK_THAT(r.out, Catch::Contains("dry run: nothing written, nothing reloaded"));
    CHECK(slurp(f.cfg) == text);
    CHECK(generation(*f.d) == 1);
}

TEST_CASE("use auto: whatever serves is accepted and reported", "[use]") {
    // priority = ["reference"] (config_text): auto serves reference
    const std::string text =
        config_text({{"reference", plugin("reference")}, {"zoo_good", zoo("good")}}, "zoo_good");
    Fixture f(text);
    const auto r = f.ctl({"use", "auto"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(slurp(f.cfg) ==
          config_text({{"reference", plugin("reference")}, {"zoo_good", zoo("good")}}, "auto"));
    CHECK_THAT(
        r.out,
        Catch::Contains(
            "similarity reference (auto), spreading reference (auto), decay reference (auto)"));
}

TEST_CASE("use: a failed reload is reported non-zero; the file changed, the old set serves",
          "[use]") {
    const std::string text =
        config_text({{"reference", plugin("reference")}, {"zoo_good", zoo("good")}}, "zoo_good");
    Fixture f(text);
    // an operator adds a plugin whose file is not there, then switches to it
    const std::string broken =
        replace_once(text, "[plugins]\n",
                     "[plugins]\nmissing = \"" + (f.dir.path / "nowhere.so").string() + "\"\n");
    f.dir.write("engram.toml", broken);
    const auto r = f.ctl({"use", "missing", "--kernel", "similarity"});
    CHECK(r.code == 1);
    CHECK_THAT(r.err, Catch::Contains("reload FAILED") && Catch::Contains("E_PLUGIN_NOT_FOUND"));
    CHECK_THAT(r.err,
               Catch::Contains(
                   "WAS changed, but the reload failed: engramd keeps serving its previous set"));
    CHECK(slurp(f.cfg) ==
          replace_once(broken, "similarity = \"zoo_good\"", "similarity = \"missing\""));
    CHECK(generation(*f.d) == 1);
    CHECK(serving(*f.d, "similarity") == "zoo_good");
}

TEST_CASE("use: editing a file engramd does not read fails the serving check", "[use]") {
    const std::string text =
        config_text({{"reference", plugin("reference")}, {"zoo_good", zoo("good")}}, "zoo_good");
    Fixture f(text);
    const fs::path other = f.dir.write("other.toml", text);
    const auto r = f.ctl({"use", "reference", "--config", other.string()});
    CHECK(r.code == 4);
    CHECK_THAT(r.err, Catch::Contains("reads " + f.cfg.string()));
    CHECK(slurp(f.cfg) == text);
    CHECK(serving(*f.d, "similarity") == "zoo_good");
}

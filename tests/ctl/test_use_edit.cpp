// engramctl use: the in-place [backends] edit as a pure function, on many
// layouts. Every test compares the WHOLE edited text with the expected one,
// so a byte changed outside the value (comment, blank line, indentation,
// line ending, another key) fails it.
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "ctl/ctl_use.h"

using namespace engram;
using engram::ctl::set_backends;

namespace {

const std::vector<std::string> kAll{"similarity", "spreading", "decay"};

std::string edited(const std::string& text, const std::string& backend = "reference",
                   const std::vector<std::string>& kernels = kAll) {
    return set_backends(text, kernels, backend, "t.toml").text;
}

ErrorCode refusal(const std::string& text, const std::string& backend = "reference",
                  const std::vector<std::string>& kernels = kAll, std::string* message = nullptr) {
    try {
        set_backends(text, kernels, backend, "t.toml");
    } catch (const Error& e) {
        if (message) *message = e.what();
        return e.code();
    }
    FAIL("the edit was not refused");
    return ErrorCode::HttpInternal;
}

const std::string kPlugins = "[plugins]\nreference = \"r.so\"\navx2 = \"a.so\"\n";

}  // namespace

TEST_CASE("present keys: only the value bytes change", "[use]") {
    const std::string in =
        "# head comment\n" + kPlugins +
        "\n# Which plugin serves each kernel\n[backends]\nsimilarity = \"auto\"   # fast\n"
        "spreading=\"avx2\"\n\n# decay too\ndecay = \"auto\"\npriority = [\"avx2\", "
        "\"reference\"]\n"
        "\n[store]\nmemories = 10\n";
    const std::string out =
        "# head comment\n" + kPlugins +
        "\n# Which plugin serves each kernel\n[backends]\nsimilarity = \"reference\"   # fast\n"
        "spreading=\"reference\"\n\n# decay too\ndecay = \"reference\"\npriority = [\"avx2\", "
        "\"reference\"]\n\n[store]\nmemories = 10\n";
    const auto e = set_backends(in, kAll, "reference", "t.toml");
    CHECK(e.text == out);
    REQUIRE(e.changes.size() == 3);
    CHECK(e.changes[0].kernel == "similarity");
    CHECK(e.changes[0].old_text == std::optional<std::string>("\"auto\""));
    CHECK(e.changes[0].new_text == "\"reference\"");
    CHECK(e.changes[0].line == 8);
    CHECK(e.changes[1].old_text == std::optional<std::string>("\"avx2\""));
    CHECK(e.changes[2].line == 12);
    for (const auto& c : e.changes) CHECK(c.changed);
}

TEST_CASE("indented keys, tabs, CRLF and quoted keys", "[use]") {
    const std::string in =
        "[plugins]\r\n  reference = \"r.so\"\r\n\r\n  [backends]\r\n    similarity  =  'auto'\r\n"
        "\t\"spreading\" = \"auto\" # x\r\n\t  decay\t=\t\"auto\"\r\n";
    const std::string out =
        "[plugins]\r\n  reference = \"r.so\"\r\n\r\n  [backends]\r\n    similarity  =  "
        "\"reference\"\r\n"
        "\t\"spreading\" = \"reference\" # x\r\n\t  decay\t=\t\"reference\"\r\n";
    CHECK(edited(in) == out);
}

TEST_CASE("other value forms are replaced whole", "[use]") {
    // a multi-line basic string, a literal, a number: the span is the value
    const std::string in =
        kPlugins + "[backends]\nsimilarity = \"\"\"auto\"\"\"\nspreading = 'avx2'\ndecay = 7 # ?\n";
    const std::string out = kPlugins +
                            "[backends]\nsimilarity = \"reference\"\nspreading = "
                            "\"reference\"\ndecay = \"reference\" # ?\n";
    CHECK(edited(in) == out);
    const std::string multi =
        kPlugins + "[backends]\nsimilarity = \"\"\"\nauto\"\"\"\ndecay = \"auto\"\n";
    CHECK(edited(multi, "avx2", {"similarity"}) ==
          kPlugins + "[backends]\nsimilarity = \"avx2\"\ndecay = \"auto\"\n");
}

TEST_CASE("a key already naming the backend keeps its bytes", "[use]") {
    const std::string in =
        kPlugins + "[backends]\nsimilarity = 'reference'\nspreading = \"auto\"\n";
    const auto e = set_backends(in, kAll, "reference", "t.toml");
    CHECK(e.text == kPlugins +
                        "[backends]\nsimilarity = 'reference'\nspreading = \"reference\"\ndecay = "
                        "\"reference\"\n");
    CHECK_FALSE(e.changes[0].changed);
    CHECK(e.changes[1].changed);
    CHECK_FALSE(e.changes[2].old_text.has_value());
    CHECK(e.changes[2].line == 7);
    // everything already so: the text is returned unchanged
    const std::string done =
        kPlugins + "[backends]\nsimilarity = \"avx2\"\nspreading = \"avx2\"\ndecay = \"avx2\"\n";
    CHECK(edited(done, "avx2") == done);
}

TEST_CASE("only the chosen kernels", "[use]") {
    const std::string in =
        kPlugins + "[backends]\nsimilarity = \"auto\"\nspreading = \"auto\"\ndecay = \"auto\"\n";
    CHECK(edited(in, "reference", {"spreading"}) ==
          kPlugins +
              "[backends]\nsimilarity = \"auto\"\nspreading = \"reference\"\ndecay = \"auto\"\n");
    CHECK(edited(in, "avx2", {"similarity", "decay"}) ==
          kPlugins + "[backends]\nsimilarity = \"avx2\"\nspreading = \"auto\"\ndecay = \"avx2\"\n");
}

TEST_CASE("absent keys are added after the table's last key line, indented alike", "[use]") {
    // after a multi-line priority array and its trailing comment, before the
    // comments and blank lines that precede the next table
    const std::string in =
        kPlugins +
        "\n[backends]\n  spreading = \"auto\"\n  priority = [\n    \"avx2\",\n  ]  # order\n"
        "\n# the store\n[store]\nmemories = 10\n";
    const std::string out =
        kPlugins +
        "\n[backends]\n  spreading = \"reference\"\n  priority = [\n    \"avx2\",\n  ]  # order\n"
        "  similarity = \"reference\"\n  decay = \"reference\"\n\n# the store\n[store]\nmemories = "
        "10\n";
    const auto e = set_backends(in, kAll, "reference", "t.toml");
    CHECK(e.text == out);
    CHECK(e.changes[0].line == 10);
    CHECK(e.changes[2].line == 11);
}

TEST_CASE("an empty [backends] gets the keys right under its header", "[use]") {
    const std::string in = kPlugins + "  [backends]  # pinned kernels\n\n[store]\nmemories = 10\n";
    const std::string out =
        kPlugins +
        "  [backends]  # pinned kernels\n  similarity = \"avx2\"\n  spreading = \"avx2\"\n"
        "  decay = \"avx2\"\n\n[store]\nmemories = 10\n";
    CHECK(edited(in, "avx2") == out);
    // the header as the last line, without a newline
    CHECK(edited(kPlugins + "[backends]", "avx2", {"decay"}) ==
          kPlugins + "[backends]\ndecay = \"avx2\"\n");
}

TEST_CASE("no [backends]: a table is appended at the end", "[use]") {
    const std::string in = kPlugins + "[store]\nmemories = 10  # small\n";
    CHECK(edited(in) == in + "\n[backends]\nsimilarity = \"reference\"\nspreading = "
                             "\"reference\"\ndecay = \"reference\"\n");
    // no final newline: one is added first, the rest is kept
    const std::string bare = kPlugins + "[store]\nmemories = 10";
    CHECK(edited(bare, "avx2", {"spreading"}) == bare + "\n\n[backends]\nspreading = \"avx2\"\n");
    // CRLF file: CRLF lines
    const std::string crlf = "[plugins]\r\nreference = \"r.so\"\r\n";
    CHECK(edited(crlf, "reference", {"decay"}) ==
          crlf + "\r\n[backends]\r\ndecay = \"reference\"\r\n");
}

TEST_CASE("inline table: replaced or added inside the braces", "[use]") {
    // backends must be a top-level key: before [plugins]
    const std::string in =
        "backends = { similarity = \"auto\", priority = [\"a\", \"b\"] }  # inline\n" + kPlugins;
    CHECK(edited(in) ==
          "backends = { similarity = \"reference\", priority = [\"a\", \"b\"], spreading = "
          "\"reference\", "
          "decay = \"reference\" }  # inline\n" +
              kPlugins);
    CHECK(edited("backends = {}\n" + kPlugins, "avx2", {"decay"}) ==
          "backends = { decay = \"avx2\" }\n" + kPlugins);
    CHECK(edited("backends = {   }\n" + kPlugins, "avx2", {"decay", "similarity"}) ==
          "backends = { similarity = \"avx2\", decay = \"avx2\" }\n" + kPlugins);
    // code points before the value (columns are counted in code points)
    const std::string utf8 =
        "backends = { x = \"\xC3\xA9\xE2\x82\xAC\", decay = 'auto' }\n" + kPlugins;
    CHECK(edited(utf8, "avx2", {"decay"}) ==
          "backends = { x = \"\xC3\xA9\xE2\x82\xAC\", decay = \"avx2\" }\n" + kPlugins);
}

TEST_CASE("dotted keys at the top level", "[use]") {
    const std::string in =
        "backends.similarity = \"auto\"\n  backends.priority = [\"avx2\"]\n" + kPlugins;
    CHECK(edited(in) ==
          "backends.similarity = \"reference\"\n  backends.priority = [\"avx2\"]\n"
          "  backends.spreading = \"reference\"\n  backends.decay = \"reference\"\n" +
              kPlugins);
}

TEST_CASE("a byte order mark and non-ASCII comments are kept", "[use]") {
    const std::string in = "\xEF\xBB\xBF# caf\xC3\xA9\n" + kPlugins +
                           "[backends] # \xE2\x82\xAC\nsimilarity = \"auto\" # \xC3\xA9\n";
    CHECK(edited(in, "avx2", {"similarity"}) ==
          "\xEF\xBB\xBF# caf\xC3\xA9\n" + kPlugins +
              "[backends] # \xE2\x82\xAC\nsimilarity = \"avx2\" # \xC3\xA9\n");
}

TEST_CASE("\"auto\" needs no plugin; an unknown backend is refused", "[use]") {
    const std::string in = kPlugins + "[backends]\nsimilarity = \"reference\"\n";
    CHECK(edited(in, "auto", {"similarity"}) == kPlugins + "[backends]\nsimilarity = \"auto\"\n");
    std::string msg;
    CHECK(refusal(in, "avx512", kAll, &msg) == ErrorCode::BackendUnknown);
    CHECK_THAT(msg, Catch::Contains("'avx512'") && Catch::Contains("reference") &&
                        Catch::Contains("avx2"));
    CHECK(refusal("[backends]\nsimilarity = \"auto\"\n", "reference", kAll, &msg) ==
          ErrorCode::BackendUnknown);
    CHECK_THAT(msg, Catch::Contains("no [plugins]"));
    // a [plugins] key elsewhere (a sub-key of another table) does not count
    CHECK(refusal("[store.plugins]\nreference = 1\n") == ErrorCode::BackendUnknown);
}

TEST_CASE("what cannot be edited safely is refused", "[use]") {
    std::string msg;
    CHECK(refusal(kPlugins + "[backends\nsimilarity = \"auto\"\n", "reference", kAll, &msg) ==
          ErrorCode::ConfigSyntax);
    CHECK_THAT(msg, Catch::Contains("t.toml:4"));
    CHECK(refusal(kPlugins + "[backends.similarity]\nx = 1\n", "reference", kAll, &msg) ==
          ErrorCode::ConfigType);
    CHECK_THAT(msg, Catch::Contains("similarity is a table"));
    CHECK(refusal(kPlugins + "[backends]\nsimilarity = [\"a\"]\n") == ErrorCode::ConfigType);
    CHECK(refusal("backends = \"reference\"\n" + kPlugins) == ErrorCode::ConfigType);
    CHECK(refusal(kPlugins + "[backends.extra]\nx = 1\n", "reference", kAll, &msg) ==
          ErrorCode::ConfigValue);
    CHECK_THAT(msg, Catch::Contains("sub-tables"));
    // the duplicate-table trick that text editing would get wrong
    CHECK(refusal(kPlugins + "[[backends]]\nsimilarity = \"auto\"\n") == ErrorCode::ConfigType);
}

TEST_CASE("--kernel lists", "[use]") {
    using engram::ctl::parse_kernel_list;
    CHECK(parse_kernel_list({}) == kAll);
    CHECK(parse_kernel_list({"decay", "similarity"}) ==
          std::vector<std::string>{"similarity", "decay"});
    CHECK(parse_kernel_list({"decay, spreading", "decay"}) ==
          std::vector<std::string>{"spreading", "decay"});
    CHECK_THROWS_AS(parse_kernel_list({"simlarity"}), std::invalid_argument);
    CHECK_THROWS_AS(parse_kernel_list({"decay,"}), std::invalid_argument);
    CHECK_THROWS_AS(parse_kernel_list({""}), std::invalid_argument);
    CHECK_THROWS_AS(parse_kernel_list({"decay,,spreading"}), std::invalid_argument);
}

TEST_CASE("line_diff", "[use]") {
    using engram::ctl::line_diff;
    CHECK(line_diff("a\nb\n", "a\nb\n").empty());
    CHECK(line_diff("a\nb\nc\n", "a\nB\nc\n") == "@@ -2 +2 @@\n-b\n+B\n");
    CHECK(line_diff("a\nc\n", "a\nb\nc\n") == "@@ -1,0 +2 @@\n+b\n");
    CHECK(line_diff("a\n", "a\n\nx\ny\n") == "@@ -1,0 +2,3 @@\n+\n+x\n+y\n");
    CHECK(line_diff("s = 1\nk\nd = 1\n", "s = 2\nk\nd = 2\n") ==
          "@@ -1 +1 @@\n-s = 1\n+s = 2\n@@ -3 +3 @@\n-d = 1\n+d = 2\n");
}

namespace {
namespace fs = std::filesystem;
struct Dir {
    fs::path path;
    Dir() {
        std::string t = (fs::temp_directory_path() / "engram-ctl-XXXXXX").string();
        path = mkdtemp(t.data());
    }
    ~Dir() { fs::remove_all(path); }
};
std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE("write_file_atomically keeps the mode and a symlink, refuses a concurrent change",
          "[use]") {
    Dir d;
    const fs::path f = d.path / "engram.toml";
    std::ofstream(f) << "old\n";
    REQUIRE(::chmod(f.c_str(), 0640) == 0);
    engram::ctl::write_file_atomically(f, "new\n", "old\n");
    CHECK(slurp(f) == "new\n");
    struct stat st {};
    REQUIRE(::stat(f.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);
    // no temp file left behind
    CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 1);

    const fs::path link = d.path / "link.toml";
    fs::create_symlink(f, link);
    engram::ctl::write_file_atomically(link, "newer\n", "new\n");
    CHECK(fs::is_symlink(link));
    CHECK(slurp(f) == "newer\n");

    CHECK_THROWS_WITH(engram::ctl::write_file_atomically(f, "x\n", "not what is there\n"),
                      Catch::Contains("changed while"));
    CHECK(slurp(f) == "newer\n");
    CHECK(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()) == 2);
}

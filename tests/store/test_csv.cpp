// The edges and memories CSV readers: the tolerated dialect, and errors that
// point at FILE:LINE.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "store/dataset_io.h"
#include "store_test_support.h"

using engram::Edge;
using engram::ErrorCode;
using engram::MemoryRow;
using engram::read_edges_csv;
using engram::read_memories_csv;
using engram::test::error_from;
using engram::test::TempDir;

namespace {

// Reads `text` as an edges file with 10 memories and returns the error,
// checked to carry `code` and to start with "FILE:LINE: ".
std::string edges_error(const std::string& text, unsigned line,
                        ErrorCode code = ErrorCode::DataCsv) {
    TempDir dir;
    const auto file = dir.write("edges.csv", text);
    const engram::Error e = error_from([&] { read_edges_csv(file, 10); });
    INFO(e.what());
    CHECK(e.code() == code);
    CHECK_THAT(e.what(), Catch::StartsWith(file.string() + ":" + std::to_string(line) + ": "));
    return e.what();
}

std::string memories_error(const std::string& text, unsigned line,
                           ErrorCode code = ErrorCode::DataCsv) {
    TempDir dir;
    const auto file = dir.write("memories.csv", text);
    const engram::Error e = error_from([&] { read_memories_csv(file, 10); });
    INFO(e.what());
    CHECK(e.code() == code);
    CHECK_THAT(e.what(), Catch::StartsWith(file.string() + ":" + std::to_string(line) + ": "));
    return e.what();
}

}  // namespace

TEST_CASE("edges csv: header, comments, blanks, spaces and CRLF", "[store][csv]") {
    TempDir dir;
    const auto file = dir.write("edges.csv",
                                "\xEF\xBB\xBF source , target,weight\r\n"
                                "# a comment\n"
                                "\n"
                                "0,1,0.5\r\n"
                                "   \t\n"
                                "  9 ,\t0 , 1e-3  \n"
                                "   # indented comment\n"
                                "3,3,0\n"
                                "2,5,2.5");  // no final newline
    const std::vector<Edge> edges = read_edges_csv(file, 10);
    REQUIRE(edges.size() == 4);
    CHECK(edges[0].source == 0);
    CHECK(edges[0].target == 1);
    CHECK(edges[0].weight == 0.5f);
    CHECK(edges[1].source == 9);
    CHECK(edges[1].target == 0);
    CHECK(edges[1].weight == 0.001f);
    CHECK(edges[2].source == 3);
    CHECK(edges[2].target == 3);
    CHECK(edges[2].weight == 0.0f);
    CHECK(edges[3].weight == 2.5f);
}

TEST_CASE("edges csv: no header is fine, and so is an empty file", "[store][csv]") {
    TempDir dir;
    CHECK(read_edges_csv(dir.write("a.csv", "1,2,0.25\n"), 10).size() == 1);
    CHECK(read_edges_csv(dir.write("b.csv", ""), 10).empty());
    CHECK(read_edges_csv(dir.write("c.csv", "source,target,weight\n"), 10).empty());
    CHECK(read_edges_csv(dir.write("d.csv", "# only comments\n\n"), 10).empty());
}

TEST_CASE("edges csv: errors name file and line", "[store][csv]") {
    CHECK_THAT(edges_error("0,1\n", 1), Catch::Contains("expected 3 fields"));
    CHECK_THAT(edges_error("source,target,weight\n0,1,0.5\n\n0,1,0.5,7\n", 4),
               Catch::Contains("expected 3 fields (source,target,weight), got 4"));
    CHECK_THAT(edges_error("0,1,0.5\n#\nx,1,0.5\n", 3),
               Catch::Contains("source 'x' is not a non-negative integer"));
    CHECK_THAT(edges_error("0,-1,0.5\n", 1), Catch::Contains("target '-1' is not a non-negative"));
    CHECK_THAT(edges_error("0,1.0,0.5\n", 1), Catch::Contains("target '1.0' is not"));
    CHECK_THAT(edges_error("0,,0.5\n", 1), Catch::Contains("target '' is not"));
    CHECK_THAT(edges_error("0,1,abc\n", 1), Catch::Contains("weight 'abc' is not a number"));
    CHECK_THAT(edges_error("0,1,0.5x\n", 1), Catch::Contains("weight '0.5x' is not a number"));
    CHECK_THAT(edges_error("0,1,nan\n", 1), Catch::Contains("weight 'nan' is not finite"));
    CHECK_THAT(edges_error("0,1,inf\n", 1), Catch::Contains("weight 'inf' is not finite"));
    CHECK_THAT(edges_error("0,1,1e999\n", 1), Catch::Contains("out of double range"));
    CHECK_THAT(edges_error("0,1,1e300\n", 1), Catch::Contains("out of float range"));
    CHECK_THAT(edges_error("0,1,-0.5\n", 1),
               Catch::Contains("weight '-0.5' is negative (need >= 0)"));
    // A header anywhere but first is just a bad record.
    CHECK_THAT(edges_error("0,1,0.5\nsource,target,weight\n", 2),
               Catch::Contains("source 'source' is not"));
}

TEST_CASE("edges csv: ids beyond the embeddings are E_DATA_INCONSISTENT", "[store][csv]") {
    CHECK_THAT(edges_error("0,1,0.5\n10,1,0.5\n", 2, ErrorCode::DataInconsistent),
               Catch::Contains("source '10' is out of range: the embeddings have 10 memories"));
    CHECK_THAT(edges_error("0,99999999999999999999999,0.5\n", 1, ErrorCode::DataInconsistent),
               Catch::Contains("target '99999999999999999999999' is out of range"));
}

TEST_CASE("csv: a missing file or a directory is E_DATA_READ", "[store][csv]") {
    TempDir dir;
    const engram::Error e = error_from([&] { read_edges_csv(dir.path() / "none.csv", 10); });
    CHECK(e.code() == ErrorCode::DataRead);
    CHECK_THAT(e.what(), Catch::Contains("none.csv: cannot open"));
    const engram::Error d = error_from([&] { read_memories_csv(dir.path(), 10); });
    CHECK(d.code() == ErrorCode::DataRead);
    CHECK_THAT(d.what(), Catch::EndsWith(": is a directory, not a file"));
}

TEST_CASE("memories csv: good rows", "[store][csv]") {
    TempDir dir;
    const auto file = dir.write("memories.csv",
                                "id,strength,last_access,stability\n"
                                "# id 1 keeps its defaults\n"
                                "0, 1.5, 1700000000.25, 3600\n"
                                "7,0.001,-5,1e-3\n");
    const std::vector<MemoryRow> rows = read_memories_csv(file, 10);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].id == 0);
    CHECK(rows[0].strength == 1.5f);
    CHECK(rows[0].last_access == 1700000000.25);
    CHECK(rows[0].stability == 3600.0f);
    CHECK(rows[1].id == 7);
    CHECK(rows[1].strength == 0.001f);
    CHECK(rows[1].last_access == -5.0);
    CHECK(rows[1].stability == 0.001f);
    CHECK(read_memories_csv(dir.write("empty.csv", ""), 10).empty());
}

TEST_CASE("memories csv: errors name file and line", "[store][csv]") {
    CHECK_THAT(memories_error("0,1,2\n", 1),
               Catch::Contains("expected 4 fields (id,strength,last_access,stability), got 3"));
    CHECK_THAT(memories_error("0,0,1,1\n", 1), Catch::Contains("strength '0' must be > 0"));
    CHECK_THAT(memories_error("0,-1,1,1\n", 1), Catch::Contains("strength '-1' must be > 0"));
    CHECK_THAT(memories_error("0,1e-50,1,1\n", 1), Catch::Contains("out of float range"));
    CHECK_THAT(memories_error("0,nan,1,1\n", 1), Catch::Contains("strength 'nan' is not finite"));
    CHECK_THAT(memories_error("0,1,inf,1\n", 1),
               Catch::Contains("last_access 'inf' is not finite"));
    CHECK_THAT(memories_error("0,1,1,0\n", 1), Catch::Contains("stability '0' must be > 0"));
    CHECK_THAT(memories_error("0,1,1,-3\n", 1), Catch::Contains("stability '-3' must be > 0"));
    CHECK_THAT(memories_error("0,1,1,1e39\n", 1), Catch::Contains("out of float range"));
    CHECK_THAT(memories_error("a,1,1,1\n", 1), Catch::Contains("id 'a' is not"));
    CHECK_THAT(memories_error("id,strength,last_access,stability\n3,1,1,1\n\n# x\n3,2,2,2\n", 5),
               Catch::Contains("duplicate id 3 (first on line 2)"));
    CHECK_THAT(memories_error("3,1,1,1\n10,1,1,1\n", 2, ErrorCode::DataInconsistent),
               Catch::Contains("id '10' is out of range"));
}

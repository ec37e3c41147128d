// The JSON codec: what is a bad shape (E_HTTP_BAD_JSON) and what is a bad
// value (E_BAD_REQUEST), including the numbers JSON can smuggle in.
#include <catch2/catch.hpp>

#include "server/json_codec.h"

using namespace engram;
using namespace engram::server;

namespace {
ErrorCode code_of(void (*f)(const std::string&), const std::string& body) {
    try {
        f(body);
    } catch (const Error& e) {
        return e.code();
    }
    FAIL("accepted: " << body);
    return ErrorCode::HttpInternal;
}
void similar(const std::string& b) { parse_similar(b); }
void spread(const std::string& b) { parse_spread(b); }
void retention(const std::string& b) { parse_retention(b); }
}  // namespace

TEST_CASE("similar: a good body parses, k defaults to 10") {
    const auto r = parse_similar(R"({"vector":[1, 2.5, -3e2]})");
    CHECK(r.vector == std::vector<float>{1.0f, 2.5f, -300.0f});
    CHECK(r.k == 10);
    CHECK(parse_similar(R"({"vector":[0],"k":3})").k == 3);
}

TEST_CASE("malformed or mis-shaped bodies are E_HTTP_BAD_JSON") {
    CHECK(code_of(similar, "") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, "{") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, "[1,2]") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, R"({"vector":"1,2"})") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, R"({"vector":[1,"2"]})") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, R"({"vector":[1,null]})") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, R"({"vektor":[1]})") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, R"({"vector":[1],"k":"3"})") == ErrorCode::HttpBadJson);
    CHECK(code_of(spread, R"({"top":3})") == ErrorCode::HttpBadJson);
    CHECK(code_of(retention, R"({"ids":[1]})") == ErrorCode::HttpBadJson);
}

TEST_CASE("values JSON can carry but a float cannot are E_BAD_REQUEST") {
    CHECK(code_of(similar, R"({"vector":[1e39]})") ==
          ErrorCode::BadRequest);  // finite double, inf float
    CHECK(code_of(similar, R"({"vector":[1],"k":-1})") == ErrorCode::BadRequest);
    CHECK(code_of(similar, R"({"vector":[1],"k":2.5})") == ErrorCode::BadRequest);
    CHECK(code_of(similar, R"({"vector":[1],"k":10.0})") == ErrorCode::BadRequest);
    CHECK(code_of(similar, R"({"vector":[1],"k":99999999999})") == ErrorCode::BadRequest);
    CHECK(code_of(spread, R"({"seeds":[4294967296]})") == ErrorCode::BadRequest);
    CHECK(code_of(spread, R"({"seeds":[-1]})") == ErrorCode::BadRequest);
    CHECK(code_of(spread, R"({"seeds":[1],"decay":1e39})") == ErrorCode::BadRequest);
}

TEST_CASE("numbers beyond double (1e999) are refused by the JSON parser itself") {
    CHECK(code_of(similar, R"({"vector":[1e999]})") == ErrorCode::HttpBadJson);
    CHECK(code_of(similar, R"({"vector":[-1e999]})") == ErrorCode::HttpBadJson);
    CHECK(code_of(retention, R"({"ids":[1],"now":1e999})") == ErrorCode::HttpBadJson);
}

TEST_CASE("answers and errors encode as documented") {
    KernelAnswer a{{{3, 0.5f}, {1, 0.25f}}, "reference", 7};
    const auto j = nlohmann::json::parse(encode_answer(a, "score"));
    CHECK(j["backend"] == "reference");
    CHECK(j["generation"] == 7);
    CHECK(j["results"][0]["id"] == 3);
    CHECK(j["results"][0]["score"] == 0.5);
    const auto e =
        nlohmann::json::parse(encode_error(ErrorCode::BadRequest, "k must be in 1..1000 \xff"));
    CHECK(e["error"]["code"] == "E_BAD_REQUEST");
    CHECK(e["error"]["message"].get<std::string>().rfind("k must be", 0) == 0);
}

// The /v1/similar fast path (simdjson) against the nlohmann/json parse it
// stands in for: on every body it accepts it must yield bit-for-bit the same
// request, and every body it refuses must still get the same answer or the
// same error code through parse_similar.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/xoshiro256.h"
#include "server/json_codec.h"
#include "server/similar_fast_parse.h"

using namespace engram;
using namespace engram::server;

namespace {

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// Either an accepted request or an error code, from one parser.
struct Outcome {
    bool ok = false;
    SimilarRequest request;
    ErrorCode code = ErrorCode::HttpInternal;
};

template <class Parse>
Outcome outcome(Parse parse, const std::string& body) {
    Outcome o;
    try {
        o.request = parse(body);
        o.ok = true;
    } catch (const Error& e) {
        o.code = e.code();
    }
    return o;
}

void check_equivalent(const std::string& body) {
    INFO("body: " << body);
    const Outcome reference = outcome(parse_similar_json, body);
    const Outcome served = outcome(parse_similar, body);
    REQUIRE(served.ok == reference.ok);
    if (reference.ok) {
        CHECK(same_bits(served.request.vector, reference.request.vector));
        CHECK(served.request.k == reference.request.k);
    } else {
        CHECK(code_string(served.code) == code_string(reference.code));
    }
}

// A JSON number in one of the spellings a client might send.
std::string number(Xoshiro256Core& rng) {
    const uint64_t r = rng.next();
    const double unit = static_cast<double>(rng.next() >> 11) * 0x1.0p-53;  // [0, 1)
    const double x =
        (r & 1 ? -1.0 : 1.0) * unit * std::pow(10.0, static_cast<int>((r >> 1) % 12) - 6);
    char buf[64];
    switch ((r >> 8) % 6) {
        case 0:
            std::snprintf(buf, sizeof buf, "%.9g", x);
            break;  // float round-trip
        case 1:
            std::snprintf(buf, sizeof buf, "%.17g", x);
            break;  // double round-trip
        case 2:
            std::snprintf(buf, sizeof buf, "%.6f", x);
            break;  // what Python's round() gives
        case 3:
            std::snprintf(buf, sizeof buf, "%.3E", x);
            break;  // capital exponent
        case 4:
            std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(x * 1000));
            break;  // integer
        default:
            std::snprintf(buf, sizeof buf, "%.25g", x);
            break;  // more digits than a double holds
    }
    return buf;
}

std::string space(Xoshiro256Core& rng) {
    static const char* const kSpaces[] = {"", "", "", " ", "\n", "\t ", "\r\n  "};
    return kSpaces[rng.next() % 7];
}

std::string random_body(Xoshiro256Core& rng) {
    std::string vector = "\"vector\"" + space(rng) + ":" + space(rng) + "[";
    const size_t n = 1 + rng.next() % 64;
    for (size_t i = 0; i < n; ++i) vector += (i ? "," : "") + space(rng) + number(rng) + space(rng);
    vector += "]";
    const uint64_t shape = rng.next() % 3;
    const std::string k =
        "\"k\"" + space(rng) + ":" + space(rng) + std::to_string(rng.next() % 2000);
    std::string body = "{" + space(rng);
    if (shape == 0)
        body += vector;
    else if (shape == 1)
        body += vector + "," + space(rng) + k;
    else
        body += k + "," + space(rng) + vector;
    return body + space(rng) + "}" + space(rng);
}

}  // namespace

TEST_CASE("the fast path takes well-formed bodies and yields the nlohmann parse bit for bit") {
    Xoshiro256Core rng(0xFA57'9A55ull);
    size_t taken = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string body = random_body(rng);
        SimilarRequest fast;
        if (parse_similar_fast(body, &fast)) ++taken;
        check_equivalent(body);
    }
    // Every generated body is well formed with finite floats: the fast path
    // must have taken them all, or it is not the fast path.
    CHECK(taken == 3000);
}

TEST_CASE("a 768-d query like the ones clients send is taken by the fast path") {
    Xoshiro256Core rng(768);
    std::string body = "{\"vector\": [";
    for (int i = 0; i < 768; ++i)
        body += (i ? ", " : "") + std::to_string(static_cast<double>(rng.next() >> 40) / 1e7 - 0.8);
    body += "], \"k\": 10}";
    SimilarRequest fast;
    REQUIRE(parse_similar_fast(body, &fast));
    CHECK(fast.vector.size() == 768);
    CHECK(fast.k == 10);
    check_equivalent(body);
}

TEST_CASE("bodies the fast path refuses get the reference parser's answer or error code") {
    const char* const bodies[] = {
        "",
        "{",
        "}",
        "[1,2]",
        "null",
        "{}",
        "{\"vector\":[]}",
        R"({"vector":"1,2"})",
        R"({"vector":[1,"2"]})",
        R"({"vector":[1,null]})",
        R"({"vector":[1,true]})",
        R"({"vektor":[1]})",
        R"({"vector":[1],"k":"3"})",
        R"({"vector":[1],"extra":0})",
        R"({"vector":[1e39]})",
        R"({"vector":[1e999]})",
        R"({"vector":[-1e999]})",
        R"({"vector":[1e-999]})",
        R"({"vector":[1],"k":-1})",
        R"({"vector":[1],"k":2.5})",
        R"({"vector":[1],"k":10.0})",
        R"({"vector":[1],"k":1e1})",
        R"({"vector":[1],"k":99999999999})",
        R"({"vector":[1],"k":4294967295})",
        R"({"vector":[1],"k":18446744073709551616})",
        R"({"vector":[18446744073709551616]})",
        R"({"vector":[1],"k":3,"k":4})",
        R"({"vector":[1],"vector":[2,3]})",
        R"({"vector":[1]} {})",
        R"({"vector":[1]} x)",
        R"({"vector":[01]})",
        R"({"vector":[.5]})",
        R"({"vector":[+1]})",
        R"({"vector":[1.]})",
        R"({"vector":[NaN]})",
        R"({"vector":[Infinity]})",
        R"({"vector":[1,]})",
        R"({"vector":[1] "k":3})",
        R"({"vec\u0074or":[1.5]})",
        "{\"vector\":[1],\"\xff\":1}",
        R"({"vector":[[1]]})",
        R"({"vector":{"0":1}})",
        R"({"vector":[-0]})",
        R"({"vector":[-0.0,0e0]})",
    };
    for (const char* b : bodies) check_equivalent(b);
}

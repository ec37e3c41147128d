// libFuzzer harness: the JSON request codec. Every body goes through
// parse_similar (simdjson fast path, then nlohmann), parse_similar_json,
// parse_spread and parse_retention; each must return a request or throw
// engram::Error (E_HTTP_BAD_JSON / E_BAD_REQUEST). And the fast parser's
// promise (server/similar_fast_parse.h): when it accepts a body, the
// nlohmann path yields exactly the same request.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.h"
#include "server/json_codec.h"
#include "server/similar_fast_parse.h"

using namespace engram;
using namespace engram::server;

namespace {
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    SimilarRequest fast;
    const bool fast_ok = parse_similar_fast(body, &fast);
    try {
        const SimilarRequest slow = parse_similar_json(body);
        if (fast_ok && (!same_bits(fast.vector, slow.vector) || fast.k != slow.k)) std::abort();
    } catch (const Error&) {
        if (fast_ok) std::abort();  // the fast path accepted a body the reference refuses
    }
    try {
        (void)parse_similar(body);
    } catch (const Error&) {
    }
    try {
        (void)parse_spread(body);
    } catch (const Error&) {
    }
    try {
        (void)parse_retention(body);
    } catch (const Error&) {
    }
    return 0;
}

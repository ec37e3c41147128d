// The fast path for the hot request: POST /v1/similar carries a few thousand
// bytes of numbers, and parsing them with nlohmann/json (a DOM node per number,
// strtod) measured ~10% of engramd's CPU per request. simdjson's
// DOM parser (Debian libsimdjson-dev) reads the same body several times faster.
//
// It only ever accepts: a JSON object whose keys are exactly "vector"
// (required, an array of numbers) and "k" (optional, a non-negative JSON
// integer that fits 32 bits), each at most once, nothing after the object.
// For those bodies it yields exactly what parse_similar's nlohmann path
// yields (both parse a number to the correctly rounded double, then round to
// float). Anything else -- including every body that is an error -- returns
// false, and the caller uses the nlohmann path, which owns every error code
// and message. tests/server/test_similar_fast_parse.cpp checks both promises.
#pragma once

#include <string>

#include "server/json_codec.h"

namespace engram::server {

// True and *out filled for a body in the shape above; false otherwise (*out
// untouched). Never throws.
bool parse_similar_fast(const std::string& body, SimilarRequest* out);

}  // namespace engram::server

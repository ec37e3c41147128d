// JSON <-> engine requests and answers, for the HTTP routes. Parsing is
// strict: a body that is not JSON, not an object, has an unknown or missing
// key or a value of the wrong type is E_HTTP_BAD_JSON; a well-formed value
// the engine cannot accept (non-finite after conversion to float, e.g. 1e999
// or 1e39; negative or fractional counts; ids beyond 32 bits) is
// E_BAD_REQUEST. Range checks that need the store (dimension, unknown id, k)
// stay in the engine, so there is one place that decides them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/error.h"
#include "engine/engine.h"

namespace engram::server {

struct SimilarRequest {
    std::vector<float> vector;
    uint32_t k = 10;
};

struct RetentionRequest {
    std::vector<uint32_t> ids;
    double now = 0.0;
};

// Tries parse_similar_fast (server/similar_fast_parse.h) first, then
// parse_similar_json; the result, or the error, is the same either way.
SimilarRequest parse_similar(const std::string& body);
// The nlohmann/json parse alone: the reference the fast path is tested against.
SimilarRequest parse_similar_json(const std::string& body);
SpreadRequest parse_spread(const std::string& body);
RetentionRequest parse_retention(const std::string& body);

// {"backend":..., "generation":..., "results":[{"id":..,"<value_name>":..}]}
std::string encode_answer(const KernelAnswer& answer, const char* value_name);

// {"error":{"code":"E_...","message":"..."}}
nlohmann::json error_json(ErrorCode code, const std::string& message);
std::string encode_error(ErrorCode code, const std::string& message);

}  // namespace engram::server

#include "server/json_codec.h"

#include <cmath>
#include <limits>
#include <set>

#include "server/similar_fast_parse.h"

namespace engram::server {

namespace {

using nlohmann::json;

[[noreturn]] void bad_json(const std::string& why) { throw Error(ErrorCode::HttpBadJson, why); }
[[noreturn]] void bad_value(const std::string& why) { throw Error(ErrorCode::BadRequest, why); }

json parse_object(const std::string& body, const std::set<std::string>& known,
                  const std::set<std::string>& required) {
    json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) bad_json("the request body is not valid JSON");
    if (!j.is_object()) bad_json("the request body must be a JSON object");
    for (const auto& [key, value] : j.items()) {
        (void)value;
        if (!known.count(key)) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            bad_json("unknown key \"" + key + "\" (known: " + list + ")");
        }
    }
    for (const auto& key : required)
        if (!j.contains(key)) bad_json("missing key \"" + key + "\"");
    return j;
}

// A JSON number as float; 1e999 arrives as an infinite double, 1e39 as a
// finite double that overflows float: both are refused, never served.
float to_float(const json& v, const std::string& what) {
    if (!v.is_number()) bad_json(what + " must be a number");
    const double d = v.get<double>();
    const float f = static_cast<float>(d);
    if (!std::isfinite(d) || !std::isfinite(f)) bad_value(what + " is not a finite float");
    return f;
}

double to_double(const json& v, const std::string& what) {
    if (!v.is_number()) bad_json(what + " must be a number");
    const double d = v.get<double>();
    if (!std::isfinite(d)) bad_value(what + " is not finite");
    return d;
}

// Counts and ids: JSON integers only (10.0 and 1e3 are floats to the parser).
uint32_t to_u32(const json& v, const std::string& what) {
    if (v.is_number_float()) bad_value(what + " must be an integer");
    if (!v.is_number_integer()) bad_json(what + " must be an integer");
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u > std::numeric_limits<uint32_t>::max()) bad_value(what + " is out of range");
        return static_cast<uint32_t>(u);
    }
    const int64_t i = v.get<int64_t>();
    if (i < 0) bad_value(what + " must not be negative");
    if (i > int64_t{std::numeric_limits<uint32_t>::max()}) bad_value(what + " is out of range");
    return static_cast<uint32_t>(i);
}

const json& array_of(const json& j, const char* key) {
    const json& a = j.at(key);
    if (!a.is_array()) bad_json(std::string(key) + " must be an array");
    return a;
}

std::vector<uint32_t> id_list(const json& j, const char* key) {
    const json& a = array_of(j, key);
    std::vector<uint32_t> ids;
    ids.reserve(a.size());
    for (size_t i = 0; i < a.size(); ++i) {
        const std::string what = std::string(key) + "[" + std::to_string(i) + "]";
        // An id beyond 32 bits cannot name a memory: say so in the engine's words.
        if (a[i].is_number_integer() && !a[i].is_number_float()) {
            if (a[i].is_number_unsigned() &&
                a[i].get<uint64_t>() > std::numeric_limits<uint32_t>::max())
                bad_value("unknown memory id " + std::to_string(a[i].get<uint64_t>()));
        }
        ids.push_back(to_u32(a[i], what));
    }
    return ids;
}

}  // namespace

SimilarRequest parse_similar(const std::string& body) {
    SimilarRequest r;
    if (parse_similar_fast(body, &r)) return r;
    // Not in the fast path's shape (or not valid): the full parser decides,
    // and words the error.
    return parse_similar_json(body);
}

SimilarRequest parse_similar_json(const std::string& body) {
    const json j = parse_object(body, {"vector", "k"}, {"vector"});
    SimilarRequest r;
    const json& v = array_of(j, "vector");
    r.vector.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i)
        r.vector.push_back(to_float(v[i], "vector[" + std::to_string(i) + "]"));
    if (j.contains("k")) r.k = to_u32(j["k"], "k");
    return r;
}

SpreadRequest parse_spread(const std::string& body) {
    const json j =
        parse_object(body, {"seeds", "iterations", "decay", "threshold", "top"}, {"seeds"});
    SpreadRequest r;
    r.seeds = id_list(j, "seeds");
    if (j.contains("iterations")) r.iterations = to_u32(j["iterations"], "iterations");
    if (j.contains("decay")) r.decay = to_float(j["decay"], "decay");
    if (j.contains("threshold")) r.threshold = to_float(j["threshold"], "threshold");
    if (j.contains("top")) r.top = to_u32(j["top"], "top");
    return r;
}

RetentionRequest parse_retention(const std::string& body) {
    const json j = parse_object(body, {"ids", "now"}, {"ids", "now"});
    RetentionRequest r;
    r.ids = id_list(j, "ids");
    r.now = to_double(j["now"], "now");
    return r;
}

std::string encode_answer(const KernelAnswer& a, const char* value_name) {
    json results = json::array();
    for (const Scored& s : a.items) results.push_back({{"id", s.id}, {value_name, s.value}});
    const json j = {
        {"backend", a.backend}, {"generation", a.generation}, {"results", std::move(results)}};
    return j.dump();
}

json error_json(ErrorCode code, const std::string& message) {
    return {{"error", {{"code", std::string(code_string(code))}, {"message", message}}}};
}

std::string encode_error(ErrorCode code, const std::string& message) {
    // Messages can quote request bytes; replace invalid UTF-8 rather than throw.
    return error_json(code, message).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace engram::server

#include "server/similar_fast_parse.h"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <string_view>

namespace engram::server {

namespace {

// The DOM API, not On-Demand: DOM picks the best kernel for this CPU at run
// time (haswell, icelake, ...), while On-Demand is fixed at compile time by
// our -march (baseline x86-64: the scalar fallback). One parser per thread:
// it keeps its buffers between requests.
simdjson::dom::parser& thread_parser() {
    thread_local simdjson::dom::parser parser;
    return parser;
}

bool read_vector(simdjson::dom::element value, std::vector<float>* out) {
    simdjson::dom::array array;
    if (value.get_array().get(array)) return false;
    out->clear();
    out->reserve(array.size());
    for (simdjson::dom::element element : array) {
        double d;
        if (element.get_double().get(d)) return false;  // not a number
        const float f = static_cast<float>(d);
        // Non-finite after rounding is an E_BAD_REQUEST the slow path words.
        if (!std::isfinite(f)) return false;
        out->push_back(f);
    }
    return true;
}

bool read_k(simdjson::dom::element value, uint32_t* out) {
    // Only a JSON integer is a uint64 on the tape: 10.0, 1e1 and negatives
    // fall back, and the slow path reports them.
    uint64_t k;
    if (!value.is_uint64() && !value.is_int64()) return false;
    if (value.get_uint64().get(k)) return false;
    if (k > std::numeric_limits<uint32_t>::max()) return false;
    *out = static_cast<uint32_t>(k);
    return true;
}

}  // namespace

bool parse_similar_fast(const std::string& body, SimilarRequest* out) {
    // Validates the whole document (UTF-8, grammar, nothing after the value,
    // numbers in double range). simdjson reads up to SIMDJSON_PADDING bytes
    // past the end: the body's own spare capacity usually covers that (it
    // grew by doubling while httplib read it); if not, parse() copies.
    simdjson::dom::element doc;
    const auto error =
        body.capacity() - body.size() >= simdjson::SIMDJSON_PADDING
            ? thread_parser()
                  .parse(simdjson::padded_string_view(body.data(), body.size(), body.capacity()))
                  .get(doc)
            : thread_parser().parse(body).get(doc);
    if (error) return false;
    simdjson::dom::object object;
    if (doc.get_object().get(object)) return false;
    bool have_vector = false, have_k = false;
    SimilarRequest r;
    for (simdjson::dom::key_value_pair field : object) {
        if (field.key == "vector" && !have_vector) {
            if (!read_vector(field.value, &r.vector)) return false;
            have_vector = true;
        } else if (field.key == "k" && !have_k) {
            if (!read_k(field.value, &r.k)) return false;
            have_k = true;
        } else {
            return false;  // unknown or repeated key
        }
    }
    if (!have_vector) return false;
    *out = std::move(r);
    return true;
}

}  // namespace engram::server

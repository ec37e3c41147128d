// The request gate: engramd's own reading of one HTTP/1.1 request's framing,
// before cpp-httplib's parser sees it. cpp-httplib 0.11 enforces its body
// limit on Content-Length only (a chunked body, or a gzip body once
// inflated, is unbounded), takes the first of two differing Content-Length
// headers, waits out its read timeout on "Content-Length: -1", and parses a
// form-urlencoded body above 8 KiB as a 413. None of that can be changed
// from outside the compiled library, so the gate decides framing itself:
//
//  * the head (request line + headers) ends at the first CRLFCRLF and is at
//    most kMaxHeadBytes; a bare CR or LF inside it, obs-fold, or a header
//    line without a name and colon is 400;
//  * Content-Length: every value (headers and comma lists) 1*DIGIT and all
//    equal, else 400; Transfer-Encoding must be exactly "chunked" and must
//    not come with a Content-Length, else 400;
//  * the body -- by Content-Length, or chunked (decoded here, trailers
//    dropped) -- is at most max_body bytes, else 413 as soon as a length
//    (the header, or a chunk size) says so, without reading the rest;
//  * Content-Encoding other than "identity" on a request with a body is 415
//    (engramd does not decompress request bodies: see http_api.md);
//  * POST to a JSON endpoint with a Content-Type other than application/json
//    (parameters allowed; a missing Content-Type is taken as JSON) is 415.
//
// A complete request is handed on re-framed: the request line and the
// headers as sent, minus Content-Length, Transfer-Encoding, Expect,
// Content-Encoding and any Content-Type that is not application/json, plus
// one "Content-Length: N" for the (decoded) body. httplib then parses a
// request whose framing is unambiguous and whose bytes are all in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace engram::server {

// POST endpoints whose body is JSON (routes.cpp): the Content-Type check.
bool is_json_endpoint(std::string_view path);

class RequestFraming {
  public:
    static constexpr size_t kMaxHeadBytes =
        64 * 1024;  // request line + headers (and chunked trailers)

    enum class State {
        NeedMore,  // feed more bytes
        Complete,  // head() + body() is one request; consumed() bytes of input were used
        Rejected,  // status()/code()/message() say why; the connection must be closed
    };

    explicit RequestFraming(size_t max_body) : max_body_(max_body) {}

    // Looks at `input` (everything received and not yet consumed, from the
    // start of this request) and advances. Call again with more bytes
    // (input grows; the prefix already seen must be unchanged) until it
    // returns Complete or Rejected. Work done is kept between calls, so a
    // request dribbled a byte at a time costs O(size) overall.
    State advance(std::string_view input);

    // After Complete: the re-framed head (ends with the blank line) and the body.
    const std::string& head() const { return head_; }
    std::string_view body() const;
    size_t consumed() const { return consumed_; }

    // After Rejected.
    int status() const { return status_; }
    ErrorCode code() const { return code_; }
    const std::string& message() const { return message_; }

    // True once the head is in and the client asked for "100-continue" for
    // a body that has not fully arrived (and that the gate accepts).
    bool wants_continue() const {
        return expect_continue_ && head_done_ && state_ != State::Complete;
    }
    bool head_done() const { return head_done_; }
    // The request line's method and path (percent-decoded, no query): for
    // the metrics of answers the gate gives itself.
    const std::string& method() const { return method_; }
    const std::string& path() const { return path_; }

    // Ready for the next request on the same connection.
    void reset();

  private:
    State reject(int status, ErrorCode code, std::string message);
    State parse_head(std::string_view head);
    State advance_chunked(std::string_view input);

    size_t max_body_;
    State state_ = State::NeedMore;
    // head
    size_t skip_ = 0;     // leading CRLFs before the request line
    size_t scanned_ = 0;  // where the search for CRLFCRLF resumes
    bool head_done_ = false;
    size_t head_len_ = 0;  // raw head bytes, skip_ and the blank line included
    std::string head_;
    std::string method_, path_;
    bool expect_continue_ = false;
    // body
    bool chunked_ = false;
    uint64_t content_length_ = 0;
    // chunked decoding: position in the input, the decoded body, and where we are
    enum class Chunk { Size, Data, DataEnd, Trailer } chunk_ = Chunk::Size;
    size_t pos_ = 0;
    uint64_t chunk_left_ = 0;
    size_t trailer_bytes_ = 0;
    std::string decoded_;
    std::string_view body_view_;
    size_t consumed_ = 0;
    // rejection
    int status_ = 0;
    ErrorCode code_ = ErrorCode::HttpBadJson;
    std::string message_;
};

}  // namespace engram::server

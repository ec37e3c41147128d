#include "server/request_framing.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace engram::server {

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower(a[i]) != lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// RFC 9110 token characters (header names).
bool is_tchar(char c) {
    if (std::isalnum(static_cast<unsigned char>(c))) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Comma-separated list elements, trimmed, empty ones dropped.
void split_list(std::string_view value, std::vector<std::string_view>& out) {
    while (!value.empty()) {
        const size_t comma = value.find(',');
        const std::string_view item = trim(value.substr(0, comma));
        if (!item.empty()) out.push_back(item);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// The path of a request target, without the query, %XX decoded (as httplib
// routes it), so "/v1/%73imilar" is checked as what it reaches.
std::string decoded_path(std::string_view target) {
    target = target.substr(0, target.find('?'));
    std::string out;
    out.reserve(target.size());
    for (size_t i = 0; i < target.size(); ++i) {
        if (target[i] == '%' && i + 2 < target.size() && hex_value(target[i + 1]) >= 0 &&
            hex_value(target[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(target[i + 1]) * 16 + hex_value(target[i + 2]));
            i += 2;
        } else {
            out += target[i];
        }
    }
    return out;
}

}  // namespace

bool is_json_endpoint(std::string_view path) {
    return path == "/v1/similar" || path == "/v1/spread" || path == "/v1/retention";
}

void RequestFraming::reset() { *this = RequestFraming(max_body_); }

std::string_view RequestFraming::body() const { return body_view_; }

RequestFraming::State RequestFraming::reject(int status, ErrorCode code, std::string message) {
    status_ = status;
    code_ = code;
    message_ = std::move(message);
    return state_ = State::Rejected;
}

RequestFraming::State RequestFraming::advance(std::string_view in) {
    if (state_ != State::NeedMore) return state_;
    if (!head_done_) {
        // RFC 9112 2.2: empty lines before the request line are ignored.
        while (skip_ + 1 < in.size() && in[skip_] == '\r' && in[skip_ + 1] == '\n') skip_ += 2;
        if (skip_ < in.size() && in[skip_] == '\n')
            return reject(400, ErrorCode::HttpBadJson,
                          "malformed HTTP request: a line ends without CR");
        const size_t from = std::max(scanned_, skip_);
        const size_t end = in.find("\r\n\r\n", from);
        // A head must end in CRLF CRLF; "\n\n" would otherwise wait for a timeout.
        const size_t bare = in.find("\n\n", from);
        if (bare != std::string_view::npos && (end == std::string_view::npos || bare < end))
            return reject(400, ErrorCode::HttpBadJson,
                          "malformed HTTP request: a line ends without CR");
        if (end == std::string_view::npos) {
            if (in.size() - skip_ > kMaxHeadBytes)
                return reject(
                    400, ErrorCode::HttpBadJson,
                    "the request head exceeds " + std::to_string(kMaxHeadBytes) + " bytes");
            scanned_ = in.size() >= 3 ? in.size() - 3 : 0;
            return state_;
        }
        if (end + 4 - skip_ > kMaxHeadBytes)
            return reject(400, ErrorCode::HttpBadJson,
                          "the request head exceeds " + std::to_string(kMaxHeadBytes) + " bytes");
        head_len_ = end + 4;
        head_done_ = true;
        if (parse_head(in.substr(skip_, end + 2 - skip_)) == State::Rejected) return state_;
        pos_ = head_len_;
    }
    if (chunked_) return advance_chunked(in);
    if (in.size() - head_len_ < content_length_) return state_;
    body_view_ = in.substr(head_len_, content_length_);
    consumed_ = head_len_ + content_length_;
    return state_ = State::Complete;
}

// `head`: the request line and header lines, each ending in CRLF.
RequestFraming::State RequestFraming::parse_head(std::string_view head) {
    std::vector<std::string_view> lines;
    for (size_t at = 0; at < head.size();) {
        const size_t crlf = head.find("\r\n", at);
        const std::string_view line = head.substr(at, crlf - at);
        if (line.find_first_of("\r\n") != std::string_view::npos)
            return reject(400, ErrorCode::HttpBadJson,
                          "malformed HTTP request: a bare CR or LF in the head");
        lines.push_back(line);
        at = crlf + 2;
    }
    if (lines.empty())
        return reject(400, ErrorCode::HttpBadJson, "malformed HTTP request: no request line");

    // Request line: METHOD SP TARGET SP VERSION. A malformed one is left to
    // httplib's parser (400); only the method and path are needed here.
    const std::string_view request_line = lines[0];
    const size_t sp1 = request_line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
    if (sp2 != std::string_view::npos) {
        method_ = std::string(request_line.substr(0, sp1));
        path_ = decoded_path(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    }

    std::vector<std::string_view> lengths, codings, encodings;
    std::string_view content_type;
    bool has_length = false, has_coding = false, has_encoding = false, has_type = false;
    std::string kept;
    kept.reserve(head.size() + 32);
    kept.append(request_line).append("\r\n");
    for (size_t i = 1; i < lines.size(); ++i) {
        const std::string_view line = lines[i];
        if (line.front() == ' ' || line.front() == '\t')
            return reject(400, ErrorCode::HttpBadJson,
                          "malformed HTTP request: obsolete header line folding");
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return reject(400, ErrorCode::HttpBadJson,
                          "malformed HTTP request: a header line without a name");
        const std::string_view name = line.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_tchar))
            return reject(400, ErrorCode::HttpBadJson,
                          "malformed HTTP request: invalid header name");
        const std::string_view value = trim(line.substr(colon + 1));
        if (iequals(name, "Content-Length")) {
            has_length = true;
            split_list(value, lengths);
            if (value.empty() || lengths.empty())
                return reject(400, ErrorCode::HttpBadJson, "malformed Content-Length: empty");
            continue;
        }
        if (iequals(name, "Transfer-Encoding")) {
            has_coding = true;
            split_list(value, codings);
            continue;
        }
        if (iequals(name, "Content-Encoding")) {
            has_encoding = true;
            split_list(value, encodings);
            continue;
        }
        if (iequals(name, "Expect")) {
            if (iequals(value, "100-continue")) expect_continue_ = true;
            continue;
        }
        if (iequals(name, "Content-Type")) {
            if (has_type && !iequals(content_type, value))
                return reject(400, ErrorCode::HttpBadJson,
                              "malformed HTTP request: conflicting Content-Type headers");
            has_type = true;
            content_type = value;
            continue;
        }
        kept.append(line).append("\r\n");
    }

    if (has_length) {
        for (size_t k = 0; k < lengths.size(); ++k) {
            const std::string_view v = lengths[k];
            if (v.size() > 19 ||
                !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return reject(400, ErrorCode::HttpBadJson,
                              "malformed Content-Length \"" + std::string(v.substr(0, 40)) + "\"");
            uint64_t n = 0;
            for (char c : v) n = n * 10 + static_cast<uint64_t>(c - '0');
            if (k > 0 && n != content_length_)
                return reject(400, ErrorCode::HttpBadJson, "conflicting Content-Length values");
            content_length_ = n;
        }
    }
    if (has_coding) {
        if (has_length)
            return reject(400, ErrorCode::HttpBadJson,
                          "malformed HTTP request: both Transfer-Encoding and Content-Length");
        if (codings.size() != 1 || !iequals(codings[0], "chunked"))
            return reject(400, ErrorCode::HttpBadJson,
                          "unsupported Transfer-Encoding (only \"chunked\" is accepted)");
        chunked_ = true;
    }
    const bool has_body = chunked_ || content_length_ > 0;
    if (has_encoding && has_body)
        for (const auto e : encodings)
            if (!iequals(e, "identity"))
                return reject(415, ErrorCode::HttpMediaType,
                              "Content-Encoding \"" + std::string(e.substr(0, 40)) +
                                  "\" is not accepted: send the body uncompressed");
    // The media type: up to ';', trimmed, case-insensitive.
    const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
    const bool is_json = has_type && iequals(media, "application/json");
    if (has_type && !is_json && method_ == "POST" && is_json_endpoint(path_))
        return reject(415, ErrorCode::HttpMediaType,
                      "Content-Type \"" + std::string(content_type.substr(0, 80)) +
                          "\" is not accepted: this endpoint takes application/json");
    if (!chunked_ && content_length_ > max_body_)
        return reject(413, ErrorCode::HttpBodyTooLarge,
                      "the request body exceeds " + std::to_string(max_body_) + " bytes");

    // Only a JSON Content-Type goes on: httplib parses form-urlencoded and
    // multipart bodies itself (with limits of its own), and no route reads
    // anything but JSON.
    if (is_json) kept.append("Content-Type: ").append(content_type).append("\r\n");
    head_ = std::move(kept);
    if (!chunked_)
        head_.append("Content-Length: ").append(std::to_string(content_length_)).append("\r\n\r\n");
    return state_;
}

RequestFraming::State RequestFraming::advance_chunked(std::string_view in) {
    // The encoded body (sizes, extensions, CRLFs) may take at most twice the
    // decoded limit plus a head's worth, so chunk framing cannot be used to
    // make engramd buffer more than that.
    const auto too_large = [&] {
        return reject(413, ErrorCode::HttpBodyTooLarge,
                      "the request body exceeds " + std::to_string(max_body_) + " bytes");
    };
    for (;;) {
        if (pos_ - head_len_ > 2 * max_body_ + kMaxHeadBytes) return too_large();
        switch (chunk_) {
            case Chunk::Size: {
                const size_t crlf = in.find("\r\n", pos_);
                if (crlf == std::string_view::npos) {
                    if (in.size() - pos_ > 1024)
                        return reject(400, ErrorCode::HttpBadJson,
                                      "malformed chunked body: chunk-size line too long");
                    return state_;
                }
                const std::string_view line = in.substr(pos_, crlf - pos_);
                if (crlf - pos_ > 1024)
                    return reject(400, ErrorCode::HttpBadJson,
                                  "malformed chunked body: chunk-size line too long");
                size_t i = 0;
                uint64_t size = 0;
                while (i < line.size() && hex_value(line[i]) >= 0) {
                    if (i >= 15) return too_large();  // >= 16^15 bytes
                    size = size * 16 + static_cast<uint64_t>(hex_value(line[i]));
                    ++i;
                }
                // Nothing but optional whitespace and ";extensions" after the digits.
                const std::string_view rest = trim(line.substr(i));
                if (i == 0 || (!rest.empty() && rest.front() != ';') ||
                    line.find_first_of("\r\n") != std::string_view::npos)
                    return reject(400, ErrorCode::HttpBadJson,
                                  "malformed chunked body: bad chunk size");
                if (size > max_body_ - decoded_.size()) return too_large();
                pos_ = crlf + 2;
                if (size == 0) {
                    chunk_ = Chunk::Trailer;
                } else {
                    chunk_left_ = size;
                    chunk_ = Chunk::Data;
                }
                break;
            }
            case Chunk::Data: {
                const size_t n =
                    static_cast<size_t>(std::min<uint64_t>(chunk_left_, in.size() - pos_));
                decoded_.append(in.substr(pos_, n));
                pos_ += n;
                chunk_left_ -= n;
                if (chunk_left_ > 0) return state_;
                chunk_ = Chunk::DataEnd;
                break;
            }
            case Chunk::DataEnd:
                if (in.substr(pos_, 2) != std::string_view("\r\n").substr(0, in.size() - pos_))
                    return reject(400, ErrorCode::HttpBadJson,
                                  "malformed chunked body: chunk data not followed by CRLF");
                if (in.size() - pos_ < 2) return state_;
                if (in.substr(pos_, 2) != "\r\n")
                    return reject(400, ErrorCode::HttpBadJson,
                                  "malformed chunked body: chunk data not followed by CRLF");
                pos_ += 2;
                chunk_ = Chunk::Size;
                break;
            case Chunk::Trailer: {
                // Trailer fields are read and dropped; an empty line ends the body.
                const size_t crlf = in.find("\r\n", pos_);
                if (crlf == std::string_view::npos) {
                    if (trailer_bytes_ + (in.size() - pos_) > kMaxHeadBytes)
                        return reject(400, ErrorCode::HttpBadJson,
                                      "malformed chunked body: trailer too long");
                    return state_;
                }
                trailer_bytes_ += crlf + 2 - pos_;
                if (trailer_bytes_ > kMaxHeadBytes)
                    return reject(400, ErrorCode::HttpBadJson,
                                  "malformed chunked body: trailer too long");
                const bool last = crlf == pos_;
                pos_ = crlf + 2;
                if (!last) break;
                head_.append("Content-Length: ")
                    .append(std::to_string(decoded_.size()))
                    .append("\r\n\r\n");
                body_view_ = decoded_;
                consumed_ = pos_;
                return state_ = State::Complete;
            }
        }
    }
}

}  // namespace engram::server

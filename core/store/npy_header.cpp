#include "store/npy_header.h"

#include <limits>
#include <optional>

namespace engram::detail {

namespace {

class DictParser {
  public:
    explicit DictParser(std::string_view text) : text_(text) {}

    NpyHeader parse() {
        NpyHeader header;
        bool have_descr = false;
        bool have_fortran = false;
        bool have_shape = false;

        skip_space();
        expect('{', "header is not a dict: expected '{'");
        skip_space();
        while (!at('}')) {
            if (pos_ >= text_.size()) fail("the dict is not closed with '}'");
            const std::string key = parse_string("dict key");
            skip_space();
            expect(':', "expected ':' after key '" + key + "'");
            skip_space();
            if (key == "descr") {
                mark_seen(have_descr, key);
                if (at('[')) fail("structured dtype is not supported (need '<f4' or '<f8')");
                header.descr = parse_string("'descr' value");
            } else if (key == "fortran_order") {
                mark_seen(have_fortran, key);
                header.fortran_order = parse_bool();
            } else if (key == "shape") {
                mark_seen(have_shape, key);
                header.shape = parse_shape();
            } else {
                fail("unexpected key '" + key + "' in header");
            }
            skip_space();
            if (pos_ >= text_.size()) fail("the dict is not closed with '}'");
            // Python allows a trailing comma, and NumPy writes one.
            if (at(',')) {
                ++pos_;
                skip_space();
            } else if (!at('}')) {
                fail("expected ',' or '}' in header dict");
            }
        }
        ++pos_;  // '}'
        skip_space();
        if (pos_ != text_.size()) fail("unexpected text after the header dict");

        if (!have_descr) fail("header has no 'descr'");
        if (!have_fortran) fail("header has no 'fortran_order'");
        if (!have_shape) fail("header has no 'shape'");
        return header;
    }

  private:
    [[noreturn]] void fail(const std::string& reason) const {
        throw NpyHeaderError("bad header: " + reason);
    }

    bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

    void expect(char c, const std::string& reason) {
        if (!at(c)) fail(reason);
        ++pos_;
    }

    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                       text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }

    void mark_seen(bool& seen, const std::string& key) {
        if (seen) fail("duplicate key '" + key + "'");
        seen = true;
    }

    bool consume_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    // A Python string literal without escapes (NumPy never needs any here).
    std::string parse_string(const std::string& what) {
        if (!at('\'') && !at('"')) fail("expected a quoted string as " + what);
        const char quote = text_[pos_++];
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != quote) {
            if (text_[pos_] == '\\') fail("escape sequences are not supported in " + what);
            if (text_[pos_] == '\n') fail("unterminated string in " + what);
            out += text_[pos_++];
        }
        if (pos_ >= text_.size()) fail("unterminated string in " + what);
        ++pos_;
        return out;
    }

    bool parse_bool() {
        if (consume_word("True")) return true;
        if (consume_word("False")) return false;
        fail("'fortran_order' must be True or False");
    }

    std::optional<uint64_t> try_parse_uint() {
        if (pos_ >= text_.size() || text_[pos_] < '0' || text_[pos_] > '9') return std::nullopt;
        uint64_t value = 0;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
            const auto digit = static_cast<uint64_t>(text_[pos_] - '0');
            if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10)
                fail("shape dimension is too large");
            value = value * 10 + digit;
            ++pos_;
        }
        // Python 2 era NumPy wrote longs as "10L".
        if (at('L')) ++pos_;
        return value;
    }

    // "()" or "(a,)" or "(a, b)" or "(a, b,)": a tuple of non-negative ints.
    std::vector<uint64_t> parse_shape() {
        expect('(', "'shape' must be a tuple such as (1000, 768)");
        std::vector<uint64_t> shape;
        skip_space();
        while (!at(')')) {
            const std::optional<uint64_t> dim = try_parse_uint();
            if (!dim) fail("'shape' must hold non-negative integers");
            shape.push_back(*dim);
            skip_space();
            if (at(',')) {
                ++pos_;
                skip_space();
            } else if (!at(')')) {
                fail("expected ',' or ')' in 'shape'");
            }
        }
        ++pos_;  // ')'
        return shape;
    }

    std::string_view text_;
    size_t pos_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(std::string_view text) { return DictParser(text).parse(); }

std::optional<NpyDtype> parse_npy_dtype(std::string_view descr) {
    if (descr == "<f4") return NpyDtype::F4;
    if (descr == "<f8") return NpyDtype::F8;
    // One byte has no order: NumPy writes '|', some writers '<'.
    if (descr == "|i1" || descr == "<i1") return NpyDtype::I1;
    // ml_dtypes.bfloat16 has kind 'V' and native byte order, so np.save
    // writes '<V2' on a little-endian machine; a plain 2-byte void is '|V2'.
    if (descr == "<u2" || descr == "<V2" || descr == "|V2") return NpyDtype::Bf16;
    return std::nullopt;
}

uint64_t npy_itemsize(NpyDtype dtype) {
    switch (dtype) {
        case NpyDtype::F4:
            return 4;
        case NpyDtype::F8:
            return 8;
        case NpyDtype::I1:
            return 1;
        case NpyDtype::Bf16:
            return 2;
    }
    return 0;
}

const char* npy_dtype_name(NpyDtype dtype) {
    switch (dtype) {
        case NpyDtype::F4:
            return "float32";
        case NpyDtype::F8:
            return "float64";
        case NpyDtype::I1:
            return "int8 codes";
        case NpyDtype::Bf16:
            return "bf16 bit patterns";
    }
    return "?";
}

std::string shape_string(const std::vector<uint64_t>& shape) {
    std::string out = "(";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) out += ", ";
        out += std::to_string(shape[i]);
    }
    if (shape.size() == 1) out += ",";
    return out + ")";
}

}  // namespace engram::detail

#include "ctl/ctl_use.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "common/error.h"

namespace engram::ctl {

namespace fs = std::filesystem;

namespace {

bool is_kernel(std::string_view k) {
    return std::find(std::begin(kBackendKernels), std::end(kBackendKernels), k) !=
           std::end(kBackendKernels);
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

std::string where(const std::string& source, const toml::source_position& p) {
    return source + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

// The original bytes, addressed the way toml++ reports positions: 1-based
// lines split at '\n', 1-based columns counted in code points.
class Text {
  public:
    explicit Text(std::string_view s) : s_(s) {
        starts_.push_back(0);
        for (size_t i = 0; i < s.size(); ++i)
            if (s[i] == '\n') starts_.push_back(i + 1);
        // toml++ skips a UTF-8 byte order mark; its columns start after it.
        if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") starts_[0] = 3;
    }
    size_t lines() const { return starts_.size(); }
    // Byte offset of a position; std::out_of_range if it is not in the text.
    size_t offset(const toml::source_position& p) const {
        if (p.line == 0 || p.line > starts_.size() || p.column == 0)
            throw std::out_of_range("position");
        size_t i = starts_[p.line - 1];
        const size_t stop = line_end(p.line);
        for (uint32_t c = 1; c < p.column; ++c) {
            if (i >= stop) throw std::out_of_range("column");
            ++i;
            while (i < s_.size() && (static_cast<unsigned char>(s_[i]) & 0xC0) == 0x80) ++i;
        }
        if (i > stop) throw std::out_of_range("column");
        return i;
    }
    // Offset of the '\n' ending `line`, or the text's end.
    size_t line_end(size_t line) const {
        return line < starts_.size() ? starts_[line] - 1 : s_.size();
    }
    // Offset just after `line` and its '\n'; `has_newline` false when it is
    // the last line and has none.
    size_t after_line(size_t line, bool* has_newline) const {
        *has_newline = line < starts_.size();
        return line < starts_.size() ? starts_[line] : s_.size();
    }
    std::string_view line(size_t line) const {
        const size_t b = starts_[line - 1], e = line_end(line);
        std::string_view l = s_.substr(b, e - b);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        return l;
    }
    std::string indent(size_t line) const {
        const std::string_view l = this->line(line);
        return std::string(l.substr(0, l.find_first_not_of(" \t") == std::string_view::npos
                                           ? 0
                                           : l.find_first_not_of(" \t")));
    }

  private:
    std::string_view s_;
    std::vector<size_t> starts_;
};

struct Splice {
    size_t begin, end;
    std::string text;
};

bool before(const toml::source_position& a, const toml::source_position& b) {
    return a.line < b.line || (a.line == b.line && a.column < b.column);
}

// `[backends]` (bare or quoted key, optional comment), exactly.
bool is_backends_header(std::string_view line) {
    static const std::regex re(
        R"(^[ \t]*\[[ \t]*(backends|"backends"|'backends')[ \t]*\][ \t]*(#.*)?$)");
    return std::regex_match(line.begin(), line.end(), re);
}
bool is_header(std::string_view line) {
    const auto b = line.find_first_not_of(" \t");
    return b != std::string_view::npos && line[b] == '[';
}

// The end of the last value that belongs to `t`'s own text: its key/value
// lines, dotted sub-keys included; sub-tables that have their own [header]
// elsewhere are not part of it. false when there is none.
bool last_end(const toml::table& t, const Text& text, toml::source_position* end,
              toml::source_position* key_begin) {
    bool any = false;
    for (auto&& [k, v] : t) {
        toml::source_position e{};
        toml::source_position kb = k.source().begin;
        if (const toml::table* sub = v.as_table(); sub && !sub->is_inline()) {
            const auto line = sub->source().begin.line;
            if (line >= 1 && line <= text.lines() && is_header(text.line(line))) continue;
            toml::source_position ignored{};
            if (!last_end(*sub, text, &e, &ignored)) continue;
        } else {
            e = v.source().end;
        }
        if (!any || before(*end, e)) {
            *end = e;
            *key_begin = kb;
            any = true;
        }
    }
    return any;
}

const char* type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        default:
            return "a date/time";
    }
}

}  // namespace

std::vector<std::string> parse_kernel_list(const std::vector<std::string>& values) {
    std::vector<bool> chosen(std::size(kBackendKernels), false);
    bool any = false;
    for (const auto& v : values) {
        std::stringstream ss(v);
        std::string item;
        bool in_value = false;
        while (std::getline(ss, item, ',')) {
            const std::string k = trim(item);
            if (!is_kernel(k))
                throw std::invalid_argument("--kernel: '" + k +
                                            "' is not a kernel (similarity, spreading, decay)");
            const auto i = std::find(std::begin(kBackendKernels), std::end(kBackendKernels), k);
            chosen[static_cast<size_t>(i - std::begin(kBackendKernels))] = true;
            any = in_value = true;
        }
        if (!in_value || v.back() == ',')
            throw std::invalid_argument("--kernel: '" + v +
                                        "' is not a kernel (similarity, spreading, decay)");
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < std::size(kBackendKernels); ++i)
        if (chosen[i] || !any) out.emplace_back(kBackendKernels[i]);
    return out;
}

BackendEdit set_backends(std::string_view text, const std::vector<std::string>& chosen,
                         const std::string& backend, const std::string& name) {
    for (const auto& k : chosen)
        if (!is_kernel(k)) throw Error(ErrorCode::ConfigValue, "'" + k + "' is not a kernel");
    // Always in kBackendKernels order, once each: the report and added lines too.
    std::vector<std::string> kernels;
    for (const auto& k : kBackendKernels)
        if (std::find(chosen.begin(), chosen.end(), k) != chosen.end()) kernels.emplace_back(k);
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(name));
    } catch (const toml::parse_error& e) {
        throw Error(ErrorCode::ConfigSyntax,
                    where(name, e.source().begin) + ": " + std::string(e.description()) +
                        " (the file is not valid TOML; nothing was changed)");
    }

    // BACKEND must be something the host will accept for a kernel.
    if (backend != "auto") {
        const toml::table* plugins = root["plugins"].as_table();
        if (!plugins || !plugins->contains(backend)) {
            std::string names;
            if (plugins)
                for (auto&& [k, v] : *plugins)
                    names += (names.empty() ? "" : ", ") + std::string(k.str());
            throw Error(
                ErrorCode::BackendUnknown,
                name + ": '" + backend + "' is neither \"auto\" nor a key of [plugins] (" +
                    (plugins ? "configured: " + (names.empty() ? std::string("none") : names)
                             : std::string("the file has no [plugins] table")) +
                    "); add it under [plugins] first");
        }
    }

    const Text t(text);
    const std::string nl = text.find("\r\n") != std::string_view::npos ? "\r\n" : "\n";
    const std::string quoted = "\"" + backend + "\"";
    std::vector<Splice> splices;
    BackendEdit out;
    std::vector<std::string> missing;

    toml::node* node = root.get("backends");
    toml::table* table = node ? node->as_table() : nullptr;
    if (node && !table)
        throw Error(ErrorCode::ConfigType,
                    where(name, node->source().begin) + ": backends is " + type_name(*node) +
                        ", not a table: cannot edit it safely, fix it by hand");

    for (const auto& k : kernels) {
        KernelChange c;
        c.kernel = k;
        c.new_text = quoted;
        toml::node* v = table ? table->get(k) : nullptr;
        if (!v) {
            missing.push_back(k);
            c.changed = true;
            out.changes.push_back(std::move(c));
            continue;
        }
        if (v->is_table() || v->is_array())
            throw Error(
                ErrorCode::ConfigType,
                where(name, v->source().begin) + ": [backends] " + k + " is " + type_name(*v) +
                    ", not a single value: engramctl cannot edit it safely; fix it by hand (" + k +
                    " = \"" + backend + "\")");
        size_t b = 0, e = 0;
        try {
            b = t.offset(v->source().begin);
            e = t.offset(v->source().end);
        } catch (const std::out_of_range&) {
            throw Error(ErrorCode::ConfigValue, where(name, v->source().begin) +
                                                    ": cannot locate the value of [backends] " + k +
                                                    " in the file: edit it by hand");
        }
        if (e < b)
            throw Error(ErrorCode::ConfigValue,
                        where(name, v->source().begin) + ": bad source span");
        c.old_text = std::string(text.substr(b, e - b));
        const auto* s = v->as_string();
        c.changed = !(s && s->get() == backend);
        if (c.changed) splices.push_back({b, e, quoted});
        out.changes.push_back(std::move(c));
    }

    if (!missing.empty()) {
        if (!table) {
            // No [backends] anywhere: append the table at the end.
            std::string add;
            if (!text.empty() && text.back() != '\n') add += nl;
            if (!text.empty()) add += nl;
            add += "[backends]" + nl;
            for (const auto& k : missing) add += k + " = " + quoted + nl;
            splices.push_back({text.size(), text.size(), add});
        } else if (table->is_inline()) {
            // backends = { ... }: inside the braces.
            toml::source_position end{}, key{};
            std::string add;
            for (const auto& k : missing) add += (add.empty() ? "" : ", ") + k + " = " + quoted;
            try {
                if (last_end(*table, t, &end, &key)) {
                    const size_t at = t.offset(end);
                    splices.push_back({at, at, ", " + add});
                } else {
                    const size_t b = t.offset(table->source().begin),
                                 e = t.offset(table->source().end);
                    const std::string_view braces = text.substr(b, e - b);
                    if (braces.size() < 2 || braces.front() != '{' || braces.back() != '}' ||
                        braces.substr(1, braces.size() - 2).find_first_not_of(" \t") !=
                            std::string_view::npos)
                        throw std::out_of_range("braces");
                    splices.push_back({b, e, "{ " + add + " }"});
                }
            } catch (const std::out_of_range&) {
                throw Error(ErrorCode::ConfigValue,
                            where(name, table->source().begin) +
                                ": cannot locate the braces of the inline backends table: "
                                "edit it by hand");
            }
        } else {
            const auto header_line = table->source().begin.line;
            const bool header = header_line >= 1 && header_line <= t.lines() &&
                                is_backends_header(t.line(header_line));
            if (!header && header_line >= 1 && header_line <= t.lines() &&
                is_header(t.line(header_line)))
                throw Error(ErrorCode::ConfigValue,
                            where(name, table->source().begin) +
                                ": [backends] exists only through its sub-tables ([backends.…]), "
                                "which the host does "
                                "not accept: fix the file by hand");
            toml::source_position end{}, key{};
            size_t line = 0;
            std::string indent;
            if (last_end(*table, t, &end, &key)) {
                line = end.line;
                indent = key.line >= 1 && key.line <= t.lines() ? t.indent(key.line) : "";
            } else if (header) {
                line = header_line;  // an empty [backends]: right under its header
                indent = t.indent(header_line);
            } else {
                throw Error(ErrorCode::ConfigValue,
                            where(name, table->source().begin) +
                                ": cannot find where the backends table is written: "
                                "edit it by hand");
            }
            const std::string prefix = header ? "" : "backends.";  // dotted keys at the top level
            bool has_newline = true;
            const size_t at = t.after_line(line, &has_newline);
            std::string add = has_newline ? "" : nl;
            for (const auto& k : missing) add += indent + prefix + k + " = " + quoted + nl;
            splices.push_back({at, at, add});
        }
    }

    std::sort(splices.begin(), splices.end(),
              [](const Splice& a, const Splice& b) { return a.begin > b.begin; });
    std::string edited(text);
    for (const auto& s : splices) edited.replace(s.begin, s.end - s.begin, s.text);

    // The proof: the edited text must be the original document with exactly
    // those keys set, and nothing else different.
    toml::table expected = root;
    if (!expected.contains("backends")) expected.insert("backends", toml::table{});
    for (const auto& k : kernels) expected["backends"].as_table()->insert_or_assign(k, backend);
    toml::table again;
    try {
        again = toml::parse(std::string_view(edited), std::string_view(name));
    } catch (const toml::parse_error& e) {
        throw Error(ErrorCode::ConfigValue,
                    name + ": the edit would not be valid TOML (" + std::string(e.description()) +
                        "): the [backends] table is written in a way engramctl cannot edit "
                        "safely; nothing was changed, edit it by hand");
    }
    if (again != expected)
        throw Error(ErrorCode::ConfigValue,
                    name + ": the edit would change more than [backends] " +
                        "(the table is written in a way engramctl cannot edit safely); "
                        "nothing was changed, edit it by hand");
    for (auto& c : out.changes)
        if (const toml::node* v = again["backends"][c.kernel].node())
            c.line = v->source().begin.line;
    out.text = std::move(edited);
    return out;
}

std::string line_diff(std::string_view before, std::string_view after) {
    auto split = [](std::string_view s) {
        std::vector<std::string_view> lines;
        size_t b = 0;
        while (b < s.size()) {
            size_t e = s.find('\n', b);
            if (e == std::string_view::npos) e = s.size();
            std::string_view l = s.substr(b, e - b);
            if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
            lines.push_back(l);
            b = e + 1;
        }
        return lines;
    };
    const auto a = split(before), z = split(after);
    // Common prefix and suffix, then a longest-common-subsequence of the rest.
    size_t pre = 0;
    while (pre < a.size() && pre < z.size() && a[pre] == z[pre]) ++pre;
    size_t suf = 0;
    while (suf < a.size() - pre && suf < z.size() - pre &&
           a[a.size() - 1 - suf] == z[z.size() - 1 - suf])
        ++suf;
    const size_t n = a.size() - pre - suf, m = z.size() - pre - suf;
    if (n == 0 && m == 0) return {};
    auto range = [](size_t start, size_t count) {
        // unified-diff convention: an empty range names the line before it
        return count == 0   ? std::to_string(start) + ",0"
               : count == 1 ? std::to_string(start + 1)
                            : std::to_string(start + 1) + "," + std::to_string(count);
    };
    if (n * m > 4'000'000) {  // far apart edits in a huge file: one hunk, no quadratic table
        std::string out = "@@ -" + range(pre, n) + " +" + range(pre, m) + " @@\n";
        for (size_t i = 0; i < n; ++i) out += "-" + std::string(a[pre + i]) + "\n";
        for (size_t j = 0; j < m; ++j) out += "+" + std::string(z[pre + j]) + "\n";
        return out;
    }
    std::vector<std::vector<unsigned>> lcs(n + 1, std::vector<unsigned>(m + 1, 0));
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            lcs[i][j] = a[pre + i] == z[pre + j] ? lcs[i + 1][j + 1] + 1
                                                 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    // Walk it into hunks of consecutive differences.
    std::string out;
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a[pre + i] == z[pre + j]) {
            ++i, ++j;
            continue;
        }
        const size_t i0 = i, j0 = j;
        std::string minus, plus;
        while ((i < n || j < m) && !(i < n && j < m && a[pre + i] == z[pre + j])) {
            if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]))
                plus += "+" + std::string(z[pre + j++]) + "\n";
            else
                minus += "-" + std::string(a[pre + i++]) + "\n";
        }
        out += "@@ -" + range(pre + i0, i - i0) + " +" + range(pre + j0, j - j0) + " @@\n" + minus +
               plus;
    }
    return out;
}

void write_file_atomically(const fs::path& file, std::string_view text,
                           std::string_view expected_old) {
    auto fail = [&](const std::string& what, int err) {
        throw std::runtime_error(what + ": " + std::strerror(err));
    };
    std::error_code ec;
    const fs::path target = fs::canonical(file, ec);
    if (ec) throw std::runtime_error(file.string() + ": " + ec.message());
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0) fail(target.string(), errno);
    std::string tmpl =
        (target.parent_path() / ("." + target.filename().string() + ".engramctl-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) fail("cannot create a temp file in " + target.parent_path().string(), errno);
    const fs::path tmp = tmpl;
    struct Cleanup {
        const fs::path& p;
        int fd;
        bool armed = true;
        ~Cleanup() {
            if (fd >= 0) ::close(fd);
            if (armed) ::unlink(p.c_str());
        }
    } cleanup{tmp, fd};
    for (size_t done = 0; done < text.size();) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot write " + tmp.string(), errno);
        done += static_cast<size_t>(n);
    }
    if (::fchmod(fd, st.st_mode & 07777) != 0)
        fail("cannot set the mode of " + tmp.string(), errno);
    if ((st.st_uid != ::geteuid() || st.st_gid != ::getegid()) &&
        ::fchown(fd, st.st_uid, st.st_gid) != 0)
        std::fprintf(stderr, "engramctl: warning: cannot keep the owner of %s (%u:%u): %s\n",
                     target.c_str(), static_cast<unsigned>(st.st_uid),
                     static_cast<unsigned>(st.st_gid), std::strerror(errno));
    if (::fsync(fd) != 0) fail("cannot fsync " + tmp.string(), errno);
    const int closing = cleanup.fd;
    cleanup.fd = -1;
    if (::close(closing) != 0) fail("cannot close " + tmp.string(), errno);
    // Someone else's edit since we read the file must not be overwritten.
    std::ifstream in(target, std::ios::binary);
    std::stringstream now;
    now << in.rdbuf();
    if (!in.good() && !in.eof())
        throw std::runtime_error("cannot read " + target.string() + " again");
    if (now.str() != expected_old)
        throw std::runtime_error(
            target.string() +
            " changed while engramctl was editing it: nothing written, run the command again");
    if (::rename(tmp.c_str(), target.c_str()) != 0)
        fail("cannot rename " + tmp.string() + " to " + target.string(), errno);
    cleanup.armed = false;
    const int dir = ::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) fail("cannot open " + target.parent_path().string() + " to fsync it", errno);
    const int synced = ::fsync(dir);
    const int err = errno;
    ::close(dir);
    if (synced != 0) fail("cannot fsync " + target.parent_path().string(), err);
}

namespace {

using nlohmann::json;

const std::string kCtlHttp(code_string(ErrorCode::CtlHttp));

// GET /v1/backends. nullopt (and *why set) when engramd cannot be reached or
// answers something else than the document.
std::optional<json> get_backends(const Endpoint& e, std::string* why) {
    httplib::Client c(e.url);
    c.set_connection_timeout(5);
    c.set_read_timeout(e.timeout_seconds);
    c.set_tcp_nodelay(true);
    auto res = c.Get("/v1/backends");
    if (!res) {
        *why = "cannot reach engramd at " + e.url + ": " + httplib::to_string(res.error());
        return std::nullopt;
    }
    json j = json::parse(res->body, nullptr, false);
    if (res->status != 200 || j.is_discarded() || !j.is_object() || !j.contains("kernels") ||
        !j["kernels"].is_object()) {
        *why = "GET /v1/backends answered " + std::to_string(res->status) + ": " + res->body;
        return std::nullopt;
    }
    return j;
}

std::string serving(const json& doc, const std::string& kernel) {
    const json& k = doc["kernels"];
    if (!k.contains(kernel) || !k[kernel].is_object()) return "";
    return k[kernel].value("backend", "");
}

bool same_file(const fs::path& a, const fs::path& b) {
    std::error_code ec;
    const bool same = fs::equivalent(a, b, ec);
    return !ec && same;
}

}  // namespace

int use(const Endpoint& ep, const UseOptions& o) {
    // 1. Which file: --config, else the one engramd reads, else config/engram.toml.
    std::string why;
    const std::optional<json> before = get_backends(ep, &why);
    const std::string reported = before ? before->value("config", "") : "";
    fs::path file;
    if (o.config) {
        file = *o.config;
        if (!reported.empty() && fs::path(reported).is_absolute() && !same_file(file, reported))
            std::fprintf(stderr,
                         "engramctl use: warning: engramd at %s reads %s, not %s: a reload will "
                         "not see this edit\n",
                         ep.url.c_str(), reported.c_str(), file.c_str());
    } else if (!reported.empty()) {
        if (!fs::path(reported).is_absolute()) {
            std::fprintf(
                stderr,
                "engramctl use: engramd reports its config as the relative path '%s' (relative to "
                "engramd's working directory, which engramctl cannot know): pass --config FILE\n",
                reported.c_str());
            return 1;
        }
        file = reported;
    } else {
        file = "config/engram.toml";
        if (before) why = "engramd does not report its config file";
        std::fprintf(stderr, "engramctl use: %s; editing %s (give --config FILE to edit another)\n",
                     why.c_str(), file.c_str());
    }

    // 2. Read and edit (in memory).
    std::string old_text;
    {
        std::error_code ec;
        const bool regular = fs::is_regular_file(file, ec);
        std::ifstream in(file, std::ios::binary);
        std::stringstream ss;
        if (in.is_open()) ss << in.rdbuf();
        if (!regular || !in.is_open() || in.bad()) {
            const std::string reason = ec                      ? ec.message()
                                       : !fs::exists(file, ec) ? "no such file"
                                       : !regular              ? "not a regular file"
                                                               : "cannot be read";
            std::fprintf(stderr, "engramctl use: %s: %s: %s; nothing was changed\n",
                         std::string(code_string(ErrorCode::ConfigRead)).c_str(), file.c_str(),
                         reason.c_str());
            return 1;
        }
        old_text = ss.str();
    }
    BackendEdit edit;
    try {
        edit = set_backends(old_text, o.kernels, o.backend, file.string());
    } catch (const Error& e) {
        std::fprintf(stderr, "engramctl use: %s\n", e.describe().c_str());
        return 1;
    }
    const bool rewrite = edit.text != old_text;

    // 3. Say what changes.
    std::printf("%s [backends]:\n", file.c_str());
    for (const auto& c : edit.changes) {
        if (!c.changed)
            std::printf("  %-10s %s (unchanged, line %u)\n", c.kernel.c_str(), c.old_text->c_str(),
                        c.line);
        else if (c.old_text)
            std::printf("  %-10s %s -> %s (line %u)\n", c.kernel.c_str(), c.old_text->c_str(),
                        c.new_text.c_str(), c.line);
        else
            std::printf("  %-10s (not set: \"auto\") -> %s (added, line %u)\n", c.kernel.c_str(),
                        c.new_text.c_str(), c.line);
    }
    if (o.dry_run) {
        std::printf("--- %s\n+++ %s (edited)\n%s", file.c_str(), file.c_str(),
                    line_diff(old_text, edit.text).c_str());
        std::printf("dry run: nothing written, nothing reloaded\n");
        return 0;
    }

    // 4. Write.
    if (rewrite) {
        try {
            write_file_atomically(file, edit.text, old_text);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "engramctl use: cannot write %s: %s; nothing was changed\n",
                         file.c_str(), e.what());
            return 1;
        }
        std::printf("wrote %s\n", file.c_str());
    } else {
        std::printf("%s already says so: not rewritten\n", file.c_str());
    }

    // 5. Reload, exactly as `engramctl reload`.
    const int reloaded = reload(ep, false);
    if (reloaded != 0) {
        const std::string state =
            rewrite ? file.string() + " WAS changed" : file.string() + " already said so";
        if (reloaded == 3)
            std::fprintf(stderr,
                         "engramctl use: %s, but engramd could not be reloaded (not reachable at "
                         "%s): nothing was "
                         "reloaded; engramd reads the file at its next reload or start\n",
                         state.c_str(), ep.url.c_str());
        else
            std::fprintf(
                stderr,
                "engramctl use: %s, but the reload failed: engramd keeps serving its previous set "
                "(fix the file and run `engramctl reload`, or put the old values back)\n",
                state.c_str());
        return reloaded;
    }

    // 6. Check what serves now.
    const std::optional<json> after = get_backends(ep, &why);
    if (!after) {
        std::fprintf(stderr, "engramctl use: %s: the reload succeeded, but %s\n", kCtlHttp.c_str(),
                     why.c_str());
        return 3;
    }
    std::string now;
    bool ok = true;
    for (const auto& k : kBackendKernels) {
        const std::string kernel(k);
        const std::string b = serving(*after, kernel);
        const bool chosen =
            std::find(o.kernels.begin(), o.kernels.end(), kernel) != o.kernels.end();
        now += (now.empty() ? "" : ", ") + kernel + " " + (b.empty() ? "?" : b) +
               (chosen && o.backend == "auto" ? " (auto)" : "");
        if (chosen && (b.empty() || (o.backend != "auto" && b != o.backend))) ok = false;
    }
    std::printf("serving now (generation %llu): %s\n", after->value("generation", 0ULL),
                now.c_str());
    if (!ok) {
        const std::string reads = after->value("config", "");
        std::fprintf(
            stderr,
            "engramctl use: the reload succeeded but '%s' does not serve every chosen kernel%s\n",
            o.backend.c_str(),
            !reads.empty() && fs::path(reads).is_absolute() && !same_file(file, reads)
                ? (": engramd reads " + reads + ", not " + file.string()).c_str()
                : "");
        return 4;
    }
    return 0;
}

}  // namespace engram::ctl

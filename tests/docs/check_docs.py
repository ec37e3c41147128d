#!/usr/bin/env python3
"""Docs checks for Engram Kernel Host (standard library only).

    check_docs.py [--repo DIR] [--build DIR] reference | links | runnable | self-test | all

reference  Everything the code declares is documented. The lists are read from
           the code's own tables, never from a hand-kept list:
             * env vars: ENGRAM_* names passed to getenv() in core/ and
               plugins/ (must be in docs/reference/*.md); names read by the
               scripts in tools/ (${ENGRAM_X...}) and by tests/ and bench/
               (getenv / env_u64("ENGRAM_X")) must be somewhere in docs/**.
             * CLI flags and commands: the output of `BUILD/bin/engramd --help`
               and `BUILD/bin/engramctl --help` (the binaries' Boost
               program_options tables); if a binary is missing, the
               ("name,x", ...) entries of core/app/engramd_main.cpp and
               core/ctl/ctl_main.cpp. Each flag must appear in the section of
               docs/reference/*.md whose heading names the binary.
             * TOML keys: the tables of kTables in core/config/config.cpp and
               the known-key lists of every Section(...) in core/config/*.cpp.
               Each table must have a heading `[table]` in
               docs/reference/configuration.md and each key must appear as
               `key` in that table's section.
             * metric names: header(out, "engram_...") in
               core/metrics/registry.cpp -> docs/reference/*.md.
             * error codes: the X-macro of core/common/error_codes.h ->
               docs/reference/*.md or docs/operations/performance_kernels.md;
               docs/reference/error_codes.md must have exactly one table row
               per code (no stale codes) carrying the header's meaning text,
               and the HTTP status of each code that
               status_for() in core/server/routes.cpp maps explicitly must be
               in its row.
links      Relative links in docs/**/*.md, README.md and CHANGELOG.md resolve:
           the file or directory exists and a #fragment names a heading of the
           target (GitHub slugs) or an explicit <a name/id>. http(s)/mailto
           links are not fetched.
installed-links  The same on the docs as installed: cmake --install BUILD
           --component host into a temporary prefix; every relative link in
           share/doc/engram/**.md must resolve inside the installed tree.
runnable   Every ```sh runnable block in docs/operations/*.md runs with bash
           from the repo root (set -euo pipefail, 60 s timeout each; BUILD_DIR
           is exported as the absolute build directory) and must exit 0.
self-test  Runs the checks on synthetic trees and asserts that they fail when
           a code, flag, key, metric, env var, link or block is undocumented or
           broken -- the checks can fail.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CODE_EXTS = (".c", ".cc", ".cpp", ".h", ".hpp")
RUN_TIMEOUT = 60


# ----------------------------------------------------------------- helpers
def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def walk_files(root, exts):
    out = []
    if not os.path.isdir(root):
        return out
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(files):
            if n.endswith(exts):
                out.append(os.path.join(d, n))
    return out


def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


class Report:
    def __init__(self, name, quiet=False):
        self.name, self.errors, self.quiet = name, [], quiet

    def error(self, msg):
        self.errors.append(msg)
        if not self.quiet:
            print(f"  FAIL {msg}")

    def info(self, msg):
        if not self.quiet:
            print(f"  {msg}")

    def ok(self):
        return not self.errors


# ------------------------------------------------------- reading the code
def env_vars_host(root):
    """ENGRAM_* names passed to getenv in core/ and plugins/."""
    names = {}
    for sub in ("core", "plugins"):
        for p in walk_files(os.path.join(root, sub), CODE_EXTS):
            for m in re.finditer(r'\bgetenv\s*\(\s*"(ENGRAM_[A-Z0-9_]+)"', strip_c_comments(read(p))):
                names.setdefault(m.group(1), os.path.relpath(p, root))
    return names


def env_vars_tools(root):
    """ENGRAM_* names the tools/ scripts read: ${ENGRAM_X...} / $ENGRAM_X in
    shell code, os.environ / getenv in Python, outside comments."""
    names = {}
    for p in walk_files(os.path.join(root, "tools"), (".sh", ".py", ".bash")):
        for line in read(p).splitlines():
            code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
            if p.endswith(".py"):
                pat = r'(?:environ(?:\.get)?\s*[\[(]|getenv\s*\()\s*["\'](ENGRAM_[A-Z0-9_]+)'
            else:
                pat = r"\$\{?(ENGRAM_[A-Z0-9_]+)"
            for m in re.finditer(pat, code):
                names.setdefault(m.group(1), os.path.relpath(p, root))
    return names


def env_vars_tests(root):
    """ENGRAM_* names tests/ and bench/ read: getenv("X") or an env helper
    such as env_u64("X")."""
    names = {}
    for sub in ("tests", "bench"):
        for p in walk_files(os.path.join(root, sub), CODE_EXTS):
            text = strip_c_comments(read(p))
            for m in re.finditer(r'\b(\w*env\w*)\s*\(\s*"(ENGRAM_[A-Z0-9_]+)"', text):
                if m.group(1) in ("setenv", "unsetenv", "putenv"):
                    continue
                names.setdefault(m.group(2), os.path.relpath(p, root))
    return names


def parse_help(text):
    """Long flags (and short aliases) and commands from program_options --help."""
    flags, commands = [], []
    in_usage = False
    for line in text.splitlines():
        if line.lstrip().startswith("usage:"):
            in_usage = True
        elif not line.strip():
            in_usage = False
        if in_usage:
            # "usage: PROG [opts] COMMAND ..." and its continuation lines
            m = re.match(r"\s*(?:usage:)?\s*engram\w+\s+(.*)", line)
            if m:
                rest = re.sub(r"\[[^\]]*\]", " ", m.group(1)).split()
                if rest and re.fullmatch(r"[a-z][a-z-]*", rest[0]) and rest[0] not in commands:
                    commands.append(rest[0])
            continue
        m = re.match(r"\s+(-\w\s+\[\s+)?--([a-z0-9][a-z0-9-]*)", line)
        if m and line.startswith("  "):
            flags.append("--" + m.group(2))
            if m.group(1):
                flags.append(m.group(1).split()[0])
    return flags, commands


def parse_po_table(path):
    """Fallback: ("name,x", ...) entries of a program_options table."""
    flags = []
    text = read(path)
    for m in re.finditer(r'\(\s*"([a-z0-9][a-z0-9-]*)(?:,(\w))?"\s*,', text):
        # positional/hidden options are added via hidden.add_options()(...)
        flags.append("--" + m.group(1))
        if m.group(2):
            flags.append("-" + m.group(2))
    return flags


def cli_tables(root, build, help_texts=None):
    """{binary: (flags, commands)} from the binaries' --help, else the sources."""
    srcs = {"engramd": "core/app/engramd_main.cpp", "engramctl": "core/ctl/ctl_main.cpp"}
    out = {}
    for prog, src in srcs.items():
        text = (help_texts or {}).get(prog)
        if text is None:
            exe = os.path.join(build, "bin", prog)
            if os.access(exe, os.X_OK):
                r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
                text = r.stdout + r.stderr
        if text is not None:
            flags, commands = parse_help(text)
            out[prog] = (flags, commands, f"{prog} --help")
        elif os.path.exists(os.path.join(root, src)):
            hidden = {"--command", "--argument"}
            flags = [f for f in parse_po_table(os.path.join(root, src)) if f not in hidden]
            out[prog] = (flags, [], src)
    return out


def toml_tables(root):
    """{table: [keys]} from the config layer's own known-key lists."""
    cfg = os.path.join(root, "core", "config")
    tables = {}
    m = re.search(r"kTables\[\]\s*=\s*\{([^}]*)\}", read(os.path.join(cfg, "config.cpp")))
    if m:
        for t in re.findall(r'"(\w+)"', m.group(1)):
            tables.setdefault(t, [])
    for p in walk_files(cfg, (".cpp",)):
        text = strip_c_comments(read(p))
        for m in re.finditer(r'Section\s+\w+\s*\(\s*\w+\s*,\s*sub_table\s*\([^)]*"(\w+)"\s*\)\s*,\s*"[^"]*"\s*,'
                             r"\s*\{([^}]*)\}", text):
            tables.setdefault(m.group(1), [])
            for k in re.findall(r'"(\w+)"', m.group(2)):
                if k not in tables[m.group(1)]:
                    tables[m.group(1)].append(k)
    return tables


def metric_names(root):
    text = read(os.path.join(root, "core", "metrics", "registry.cpp"))
    return list(dict.fromkeys(re.findall(r'\bheader\s*\(\s*\w+\s*,\s*"(engram_\w+)"', text)))


def error_codes(root):
    """[(code, meaning)] from the X-macro."""
    text = read(os.path.join(root, "core", "common", "error_codes.h"))
    return re.findall(r'X\(\s*\w+\s*,\s*"(E_[A-Z0-9_]+)"\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)', text)


def error_enum_to_code(root):
    text = read(os.path.join(root, "core", "common", "error_codes.h"))
    return dict(re.findall(r'X\(\s*(\w+)\s*,\s*"(E_[A-Z0-9_]+)"', text))


def http_statuses(root):
    """{code: status} for the cases status_for() maps explicitly."""
    path = os.path.join(root, "core", "server", "routes.cpp")
    if not os.path.exists(path):
        return {}
    m = re.search(r"int\s+status_for\s*\([^)]*\)\s*\{(.*?)\n\}", read(path), re.S)
    if not m:
        return {}
    enum = error_enum_to_code(root)
    out, pending = {}, []
    for tok in re.finditer(r"case\s+ErrorCode::(\w+)\s*:|return\s+(\d+)\s*;|default\s*:", m.group(1)):
        if tok.group(1):
            pending.append(tok.group(1))
        elif tok.group(2):
            for e in pending:
                if e in enum:
                    out[enum[e]] = int(tok.group(2))
            pending = []
        else:
            pending = []
    return out


# ------------------------------------------------------- reading the docs
FENCE = re.compile(r"^\s{0,3}(```+|~~~+)(.*)$")


def md_sections(text):
    """[(level, heading, body)] with body running to the next heading of the
    same or a higher level; code fences are not headings."""
    lines = text.splitlines()
    heads, in_fence, fence = [], False, ""
    for i, line in enumerate(lines):
        m = FENCE.match(line)
        if m:
            if not in_fence:
                in_fence, fence = True, m.group(1)[0] * 3
            elif line.strip().startswith(fence):
                in_fence = False
            continue
        if not in_fence:
            h = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if h:
                heads.append((i, len(h.group(1)), h.group(2)))
    out = []
    for n, (i, lvl, title) in enumerate(heads):
        end = len(lines)
        for j, l2, _ in heads[n + 1:]:
            if l2 <= lvl:
                end = j
                break
        out.append((lvl, title, "\n".join(lines[i + 1:end])))
    return out


def strip_fences(text):
    """text without its fenced code blocks (a usage synopsis is not documentation)."""
    out, in_fence, fence = [], False, ""
    for line in text.splitlines():
        m = FENCE.match(line)
        if m:
            if not in_fence:
                in_fence, fence = True, m.group(1)[0] * 3
            elif line.strip().startswith(fence):
                in_fence = False
            continue
        if not in_fence:
            out.append(line)
    return "\n".join(out)


def doc_texts(paths):
    return {p: read(p) for p in paths if os.path.exists(p)}


def mentions(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


# ------------------------------------------------------------- reference
def check_reference(root, build, rep, help_texts=None):
    ref_dir = os.path.join(root, "docs", "reference")
    ref_paths = sorted(os.path.join(ref_dir, n) for n in os.listdir(ref_dir) if n.endswith(".md")) \
        if os.path.isdir(ref_dir) else []
    ref = doc_texts(ref_paths)
    ref_all = "\n".join(ref.values())
    trouble = os.path.join(root, "docs", "operations", "performance_kernels.md")
    trouble_text = read(trouble) if os.path.exists(trouble) else ""
    all_docs = "\n".join(read(p) for p in walk_files(os.path.join(root, "docs"), (".md",)))

    # env vars
    host = env_vars_host(root)
    for name, src in sorted(host.items()):
        if not mentions(ref_all, name):
            rep.error(f"env var {name} (getenv in {src}) is not in docs/reference/*.md")
    other = {**env_vars_tests(root), **env_vars_tools(root)}
    for name, src in sorted(other.items()):
        if name not in host and not mentions(all_docs, name):
            rep.error(f"env var {name} (read by {src}) is not in docs/**/*.md")
    rep.info(f"env vars: {len(host)} host, {len([n for n in other if n not in host])} tools/tests/bench")

    # CLI flags, per binary section
    tables = cli_tables(root, build, help_texts)
    for prog in ("engramd", "engramctl"):
        if prog not in tables:
            rep.error(f"{prog}: neither {prog} --help nor its option table could be read")
            continue
        flags, commands, src = tables[prog]
        if not flags:
            rep.error(f"{prog}: no flags parsed from {src} (parser out of date?)")
        scope = "\n".join(strip_fences(body) for p in ref_paths for _, title, body in md_sections(ref.get(p, ""))
                          if re.search(r"(?<![\w-])" + prog + r"(?![\w-])", title))
        where = f"the prose or tables (not code blocks) of a docs/reference section titled '{prog} ...'"
        if not scope:
            rep.error(f"{prog}: no heading in docs/reference/*.md names {prog}")
            scope, where = strip_fences(ref_all), "docs/reference/*.md"
        for f in flags:
            if not mentions(scope, f):
                rep.error(f"{prog} flag {f} (from {src}) is not documented in {where}")
        for c in commands:
            if not mentions(scope, c):
                rep.error(f"{prog} command {c} (from {src}) is not documented in {where}")
        rep.info(f"{prog}: {len(flags)} flags, {len(commands)} commands (from {src})")

    # TOML keys, per table section of configuration.md
    cfg_path = os.path.join(ref_dir, "configuration.md")
    cfg_secs = md_sections(ref.get(cfg_path, ""))
    tabs = toml_tables(root)
    if not tabs:
        rep.error("no TOML tables parsed from core/config (parser out of date?)")
    nkeys = 0
    for table, keys in tabs.items():
        bodies = [body for _, title, body in cfg_secs if f"`[{table}]`" in title or f"[{table}]" in title]
        if not bodies:
            rep.error(f"TOML table [{table}] has no heading in docs/reference/configuration.md")
            continue
        body = "\n".join(bodies)
        for k in keys:
            nkeys += 1
            if f"`{k}`" not in body:
                rep.error(f"TOML key [{table}] {k} is not documented (as `{k}`) under the [{table}] heading")
    rep.info(f"TOML: {len(tabs)} tables, {nkeys} keys")

    # metrics
    names = metric_names(root)
    if not names:
        rep.error("no metric names parsed from core/metrics/registry.cpp (parser out of date?)")
    for n in names:
        if not mentions(ref_all, n):
            rep.error(f"metric {n} is not in docs/reference/*.md")
    rep.info(f"metrics: {len(names)}")

    # error codes
    codes = error_codes(root)
    if not codes:
        rep.error("no error codes parsed from core/common/error_codes.h (parser out of date?)")
    for code, _ in codes:
        if not (mentions(ref_all, code) or mentions(trouble_text, code)):
            rep.error(f"error code {code} is not in docs/reference/*.md nor docs/operations/performance_kernels.md")
    ec_path = os.path.join(ref_dir, "error_codes.md")
    if codes and not os.path.exists(ec_path):
        rep.error("docs/reference/error_codes.md is missing")
    elif codes:
        rows = {}
        for line in read(ec_path).splitlines():
            m = re.match(r"\|\s*`(E_[A-Z0-9_]+)`\s*\|", line)
            if m:
                rows.setdefault(m.group(1), []).append(line)
        known = {c for c, _ in codes}
        for code in sorted(known - rows.keys()):
            rep.error(f"error_codes.md has no table row for {code}")
        for code in sorted(rows.keys() - known):
            rep.error(f"error_codes.md has a row for {code}, which is not in error_codes.h (stale)")
        for code, lines in sorted(rows.items()):
            if len(lines) > 1:
                rep.error(f"error_codes.md has {len(lines)} rows for {code}")
        for code, meaning in codes:
            if code in rows and meaning.replace('\\"', '"') not in rows[code][0]:
                rep.error(f"error_codes.md row for {code} does not give the header's meaning \"{meaning}\"")
        for code, status in sorted(http_statuses(root).items()):
            if code in rows and not re.search(rf"(?<!\d){status}(?!\d)", rows[code][0]):
                rep.error(f"error_codes.md row for {code} does not give HTTP {status} (status_for in routes.cpp)")
    # stale names in the reference docs
    for p, text in ref.items():
        for c in sorted(set(re.findall(r"(?<![\w])E_[A-Z][A-Z0-9_]*[A-Z0-9](?![\w*])", text)) - {c for c, _ in codes}):
            rep.error(f"{os.path.relpath(p, root)} names {c}, which is not in error_codes.h")
    rep.info(f"error codes: {len(codes)}")
    return rep


# ------------------------------------------------------------------- links
def github_slug(title):
    t = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)   # [text](url) -> text
    t = re.sub(r"<[^>]+>", "", t)                           # inline HTML
    t = t.strip().lower()
    t = "".join(ch for ch in t if ch.isalnum() or ch in " -_")
    return t.replace(" ", "-")


def anchors_of(path, cache):
    if path not in cache:
        text = read(path)
        seen, out = {}, set()
        for _, title, _ in md_sections(text):
            s = github_slug(title)
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else f"{s}-{n}")
        out.update(re.findall(r'<a\s+(?:name|id)="([^"]+)"', text))
        out.update(re.findall(r'\bid="([^"]+)"', text))
        cache[path] = out
    return cache[path]


def md_links(text):
    """(line, target) for inline links and reference definitions outside code."""
    out, in_fence, fence = [], False, ""
    for no, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            if not in_fence:
                in_fence, fence = True, m.group(1)[0] * 3
            elif line.strip().startswith(fence):
                in_fence = False
            continue
        if in_fence:
            continue
        line = re.sub(r"(`+).*?\1", "", line)  # inline code
        for m in re.finditer(r"\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)", line):
            out.append((no, m.group(1).strip("<>")))
        m = re.match(r"^\s{0,3}\[[^\]]+\]:\s+(\S+)", line)
        if m:
            out.append((no, m.group(1).strip("<>")))
    return out


def link_files(root):
    files = walk_files(os.path.join(root, "docs"), (".md",))
    for n in ("README.md", "CHANGELOG.md"):
        if os.path.exists(os.path.join(root, n)):
            files.append(os.path.join(root, n))
    return files


def check_links(root, rep, files=None, confine=False):
    cache, n = {}, 0
    files = link_files(root) if files is None else files
    for p in files:
        rel = os.path.relpath(p, root)
        for line, target in md_links(read(p)):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):   # http:, https:, mailto:, ...
                continue
            n += 1
            path, _, frag = target.partition("#")
            dest = p if path == "" else os.path.normpath(os.path.join(os.path.dirname(p), path))
            if path.startswith("/"):
                dest = os.path.normpath(os.path.join(root, path.lstrip("/")))
            if confine and os.path.commonpath([root, dest]) != root:
                rep.error(f"{rel}:{line}: link target {target} is outside the installed tree")
                continue
            if not os.path.exists(dest):
                rep.error(f"{rel}:{line}: link target {target} does not exist")
                continue
            if frag and dest.endswith(".md") and os.path.isfile(dest):
                if frag.lower() not in anchors_of(dest, cache):
                    rep.error(f"{rel}:{line}: link {target}: no heading with anchor #{frag} in "
                              f"{os.path.relpath(dest, root)}")
    rep.info(f"{n} relative links in {len(files)} files")
    return rep


def check_installed_links(build, rep):
    """The docs as installed (cmake --install BUILD --component host into a
    temporary prefix, then share/doc/engram/**.md): every relative link must
    resolve inside the installed tree, since a reader of /usr/share/doc/engram
    has no source checkout."""
    import shutil
    import subprocess
    import tempfile
    prefix = tempfile.mkdtemp(prefix="engram-docs-install-")
    try:
        r = subprocess.run(["cmake", "--install", build, "--prefix", prefix, "--component", "host"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            rep.error(f"cmake --install {build} --component host failed: {r.stderr.strip()[-500:]}")
            return rep
        files = walk_files(prefix, (".md",))
        if not files:
            rep.error("cmake --install installed no .md files")
            return rep
        inner = Report("installed-links", quiet=True)
        check_links(prefix, inner, files, confine=True)
        for e in inner.errors:
            rep.error("installed " + e)
        rep.info(f"installed docs: {len(files)} files")
    finally:
        shutil.rmtree(prefix, ignore_errors=True)
    return rep


# ---------------------------------------------------------------- runnable
def runnable_blocks(path):
    """[(line, code)] of ```sh runnable fences."""
    blocks, cur, start, fence = [], None, 0, ""
    for no, line in enumerate(read(path).splitlines(), 1):
        m = FENCE.match(line)
        if cur is None:
            if m and m.group(2).strip() == "sh runnable":
                cur, start, fence = [], no, m.group(1)
            continue
        if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
            blocks.append((start, "\n".join(cur)))
            cur = None
        else:
            cur.append(line)
    return blocks


def check_runnable(root, build, rep, timeout=RUN_TIMEOUT):
    ops = os.path.join(root, "docs", "operations")
    env = dict(os.environ, BUILD_DIR=os.path.abspath(build))
    n = 0
    for p in sorted(walk_files(ops, (".md",))):
        if os.path.dirname(p) != ops:
            continue
        for line, code in runnable_blocks(p):
            n += 1
            first = next((l.strip() for l in code.splitlines() if l.strip()), "(empty)")
            where = f"{os.path.relpath(p, root)}:{line}"
            t0 = time.monotonic()
            try:
                r = subprocess.run(["bash", "-c", "set -euo pipefail\n" + code], cwd=root, env=env,
                                   capture_output=True, text=True, timeout=timeout)
                dt = time.monotonic() - t0
                if r.returncode == 0:
                    rep.info(f"ok   {where} ({dt:.1f} s): {first}")
                else:
                    rep.error(f"{where}: exit {r.returncode} ({dt:.1f} s): {first}\n"
                              + "".join(f"       | {l}\n" for l in (r.stdout + r.stderr).splitlines()[-15:]))
            except subprocess.TimeoutExpired:
                rep.error(f"{where}: timed out after {timeout} s: {first}")
    rep.info(f"{n} runnable blocks")
    return rep


# --------------------------------------------------------------- self-test
def self_test(real_build):
    """Each check must pass on a consistent tree and fail when one thing is
    missing. Uses a temp copy of the real code tables plus synthetic docs."""
    real_root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    failures = []

    def expect(cond, what):
        print(f"  {'ok  ' if cond else 'FAIL'} {what}")
        if not cond:
            failures.append(what)

    # unit checks of the parsers
    expect(github_slug("`[arena]` (optional)") == "arena-optional", "slug of `[arena]` (optional)")
    expect(github_slug("The last-good config") == "the-last-good-config", "slug of a plain heading")
    expect(github_slug("engramd — the daemon") == "engramd--the-daemon", "slug keeps double hyphens")
    flags, cmds = parse_help("usage: engramx [options] status [--json]\n       engramx verify X\n\nopts:\n"
                             "  -h [ --help ]     help\n  --url arg (=x)   u\n      continued --nope\n")
    expect(flags == ["--help", "-h", "--url"] and cmds == ["status", "verify"], f"parse_help -> {flags} {cmds}")

    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "repo")
        for sub in ("core", "docs", "tools", "plugins"):
            if os.path.isdir(os.path.join(real_root, sub)):
                shutil.copytree(os.path.join(real_root, sub), os.path.join(root, sub))
        for sub in ("tests", "bench"):   # only empty dirs: no test env vars
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        build = os.path.join(tmp, "nobuild")
        helps = {p: subprocess.run([os.path.join(real_build, "bin", p), "--help"],
                                   capture_output=True, text=True).stdout
                 if os.access(os.path.join(real_build, "bin", p), os.X_OK) else None
                 for p in ("engramd", "engramctl")}
        helps = {k: v for k, v in helps.items() if v}

        def run_ref(h=helps):
            return check_reference(root, build, Report("reference", quiet=True), h)

        base = run_ref()
        expect(base.ok(), "reference passes on a copy of the real tree"
               + ("" if base.ok() else ": " + "; ".join(base.errors[:3])))

        def mutate(rel, old, new):
            p = os.path.join(root, rel)
            text = read(p)
            assert old in text, (rel, old)
            with open(p, "w", encoding="utf-8") as f:
                f.write(text.replace(old, new, 1))
            return lambda: open(p, "w", encoding="utf-8").write(text)

        cases = [
            ("core/common/error_codes.h", "#define ENGRAM_ERROR_CODES(X)",
             '#define ENGRAM_ERROR_CODES(X) X(Fake, "E_FAKE_SELFTEST", "fake") ', "E_FAKE_SELFTEST"),
            ("core/metrics/registry.cpp", 'header(out, "engram_config_generation"',
             'header(out, "engram_fake_selftest_total", "counter", "x");\n    header(out, "engram_config_generation"',
             "engram_fake_selftest_total"),
            ("core/config/config_server.cpp", '{"size", "overflow"}', '{"size", "overflow", "fake_key"}',
             "fake_key"),
            ("core/arena/arena.cpp", 'std::getenv("ENGRAM_ARENA_SIZE")', 'std::getenv("ENGRAM_FAKE_SELFTEST")',
             "ENGRAM_FAKE_SELFTEST"),
            ("docs/reference/error_codes.md", "| `E_ARENA_OVERFLOW` |", "| `E_GONE_SELFTEST` |",
             "E_GONE_SELFTEST"),
            ("docs/reference/error_codes.md", "| 507 | Kernel endpoints", "| 500 | Kernel endpoints",
             "HTTP 507"),
            ("docs/reference/error_codes.md", "| plugin file does not exist or is not readable |",
             "| plugin file missing |", "E_PLUGIN_NOT_FOUND does not give the header's meaning"),
            ("docs/reference/configuration.md", "| `--cases N` |",
             "| `--kases N` |", "--cases"),
        ]
        for rel, old, new, needle in cases:
            if not os.path.exists(os.path.join(root, rel)):
                expect(False, f"{rel} exists in the copy")
                continue
            undo = mutate(rel, old, new)
            r = run_ref()
            undo()
            expect(any(needle in e for e in r.errors), f"reference fails on: {needle}")
        if "engramd" in helps:
            h = dict(helps, engramd=helps["engramd"] + "  --fake-selftest arg     fake\n")
            r = run_ref(h)
            expect(any("--fake-selftest" in e for e in r.errors), "reference fails on an undocumented flag")
        # the fallback parser of the .cpp option table, with a fake flag
        undo = mutate("core/app/engramd_main.cpp", '("version", ', '("fake-flag,z", "x")\n        ("version", ')
        r = run_ref({})
        undo()
        expect(any("--fake-flag" in e for e in r.errors), "reference (source fallback) fails on a fake flag")

        # links
        docs = os.path.join(root, "docs")
        with open(os.path.join(docs, "zz_links.md"), "w") as f:
            f.write("# Top\n\n## Second `part` (x)\n\n```\n[in code](nowhere.md)\n```\n"
                    "[ok](#second-part-x) [ok2](reference/configuration.md#arena-optional) "
                    "[ext](https://example.com/x) [bad](missing.md) [badanchor](#nope)\n")
        r = check_links(root, Report("links", quiet=True))
        errs = [e for e in r.errors if "zz_links" in e]
        expect(len(errs) == 2 and any("missing.md" in e for e in errs) and any("#nope" in e for e in errs),
               f"links: exactly the 2 broken links reported ({errs})")
        os.remove(os.path.join(docs, "zz_links.md"))

        # runnable
        ops = os.path.join(docs, "operations")
        for n in os.listdir(ops):
            os.remove(os.path.join(ops, n))
        with open(os.path.join(ops, "x.md"), "w") as f:
            f.write("```sh runnable\necho one\ntest -d \"$BUILD_DIR\"\n```\n\n```sh\nfalse\n```\n")
        os.makedirs(build)
        r = check_runnable(root, build, Report("runnable", quiet=True))
        expect(r.ok(), f"runnable: a good block passes, a plain ```sh block is not run ({r.errors})")
        with open(os.path.join(ops, "y.md"), "w") as f:
            f.write("```sh runnable\nfalse | cat\necho not reached\n```\n"
                    "```sh runnable\necho $UNSET_SELFTEST_VAR\n```\n```sh runnable\nsleep 5\n```\n")
        r = check_runnable(root, build, Report("runnable", quiet=True), timeout=1)
        expect(len(r.errors) == 3, f"runnable: pipefail, nounset and timeout failures reported ({len(r.errors)})")

    print(f"self-test: {'FAILED' if failures else 'ok'}")
    return not failures


# -------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", default=os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    ap.add_argument("--build", default=None, help="build directory (default REPO/build)")
    ap.add_argument("check", choices=["reference", "links", "installed-links", "runnable", "self-test", "all"])
    a = ap.parse_args()
    root = os.path.abspath(a.repo)
    build = os.path.abspath(a.build or os.path.join(root, "build"))
    ok = True
    t0 = time.monotonic()
    todo = ["reference", "links", "installed-links", "runnable", "self-test"] if a.check == "all" else [a.check]
    for c in todo:
        print(f"== docs {c}")
        if c == "self-test":
            ok = self_test(build) and ok
            continue
        rep = Report(c)
        if c == "reference":
            check_reference(root, build, rep)
        elif c == "links":
            check_links(root, rep)
        elif c == "installed-links":
            check_installed_links(build, rep)
        else:
            check_runnable(root, build, rep)
        print(f"docs {c}: {'ok' if rep.ok() else f'{len(rep.errors)} problem(s)'}")
        ok = ok and rep.ok()
    print(f"({time.monotonic() - t0:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

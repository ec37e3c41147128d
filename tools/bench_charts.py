#!/usr/bin/env python3
"""Charts of engram_bench results: one SVG per kernel, backends x workloads
next to the peer libraries (issue 6).

    tools/bench_charts.py RUN.json... [--out-dir docs/benchmarks] [--note TEXT]

RUN.json: Google Benchmark JSON from engram_bench (e.g. the run-*.json that
tools/bench-regression.sh --full leaves in <build>/bench-regression/, or
tools/bench.sh's output). Repetitions of all files are pooled; each bar is the
median over them, the whisker the interquartile range. Writes
kernel-similarity.svg, kernel-similarity_compressed.svg, kernel-spreading.svg
and kernel-decay.svg: left panel throughput (items per CPU second, log scale),
right panel speed-up over the reference backend on the same workload (for the
compressed formats: over the avx2 f32 kernel, what the issue's targets name).

Needs matplotlib (Debian: python3-matplotlib). If the python3 on PATH lacks
it, the script re-runs itself with /usr/bin/python3.
"""

import argparse
import json
import os
import re
import statistics
import sys

try:
    import matplotlib
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
            os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("bench_charts.py: matplotlib is missing (apt-get install python3-matplotlib)")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

# Per kernel: the item, the workloads in order, the contenders in order with
# their label and colour (ours blue-ish, peers warm, reference grey).
KERNELS = {
    "similarity": {
        "title": "similarity: one 768-d query vs n candidates (norms supplied)",
        "item": "candidates / s",
        "workloads": [("768x1", "pair"), ("768x1000", "n = 1,000\n3 MB"),
                      ("768x10000", "n = 10,000\n31 MB"), ("768x100000", "n = 100,000\n307 MB")],
        "contenders": [("similarity/reference/{w}", "reference", "#9e9e9e"),
                       ("similarity/avx2/{w}", "avx2", "#4c9be8"),
                       ("similarity/avx512/{w}", "avx512", "#1f4e9c"),
                       ("peer_openblas_sgemv/{w}", "OpenBLAS sgemv", "#e8833a"),
                       ("peer_faiss_inner_products/{w}", "FAISS inner_products", "#c0504d"),
                       ("roofline_read/{w}", "streaming read (roofline)", "#7fbf7f")],
    },
    "spreading": {
        "title": "spreading activation: 10 iterations (uniform in-degree 8, R-MAT, WordNet nouns);"
                 " spread (pull) and spread_push",
        "item": "edges / s",
        "workloads": [("1000x8", "1,000 nodes"), ("100000x8", "100,000 nodes"),
                      ("rmat100000x10", "R-MAT 100k / 1M\nas loaded"),
                      ("rmat100000x10_degree", "R-MAT 100k / 1M\ndegree order"),
                      ("wordnet_nouns", "WordNet nouns\nas loaded"),
                      ("wordnet_nouns_degree", "WordNet nouns\ndegree order")],
        "contenders": [("spreading/reference/{w}", "reference", "#9e9e9e"),
                       ("spreading/avx2/{w}", "avx2", "#4c9be8"),
                       ("spreading/avx512/{w}", "avx512", "#1f4e9c"),
                       ("spreading_push/reference/{w}", "reference push (ABI 1.2)", "#5f5f5f"),
                       ("spreading_push/avx2/{w}", "avx2 push", "#7ec4a3"),
                       ("spreading_push/avx512/{w}", "avx512 push", "#2e8b57"),
                       ("peer_graphblas_spread/{w}", "GraphBLAS (same contract)", "#e8833a"),
                       ("peer_graphblas_mxv/{w}", "GraphBLAS bare mxv (floor)", "#f2c09a")],
    },
    "similarity_compressed": {
        "title": "similarity over compressed rows (ABI 1.1): one 768-d float query",
        "item": "candidates / s",
        # The right panel's baseline: the targets are x the f32 kernel.
        "baseline": "similarity/avx2/{w}",
        "baseline_label": "speed-up over avx2 f32 (same workload)",
        "workloads": [("768x10000", "n = 10,000"), ("768x100000", "n = 100,000")],
        "contenders": [("similarity/avx2/{w}", "avx2 f32", "#4c9be8"),
                       ("similarity_bf16/reference/{w}", "reference bf16", "#bdbdbd"),
                       ("similarity_bf16/avx2/{w}", "avx2 bf16", "#6fb3f0"),
                       ("similarity_bf16/avx512/{w}", "avx512 bf16", "#3a6fc0"),
                       ("similarity_int8/reference/{w}", "reference int8", "#8a8a8a"),
                       ("similarity_int8/avx2/{w}", "avx2 int8", "#2c7fd0"),
                       ("similarity_int8/avx512/{w}", "avx512 int8", "#173c78"),
                       ("similarity_int8/avx512_vnni/{w}", "avx512_vnni int8", "#0b1f40"),
                       ("peer_faiss_sq_fp16/{w}", "FAISS SQ fp16 (k=10 search)", "#e8833a"),
                       ("peer_faiss_sq8/{w}", "FAISS SQ8 (k=10 search)", "#c0504d")],
    },
    "decay": {
        "title": "decay: strength * exp(-age / stability)",
        "item": "memories / s",
        "workloads": [("10000", "10,000\n160 KB"), ("1000000", "1,000,000\n16 MB")],
        "contenders": [("decay/reference/{w}", "reference", "#9e9e9e"),
                       ("decay/avx2/{w}", "avx2", "#4c9be8"),
                       ("decay/avx512/{w}", "avx512", "#1f4e9c"),
                       ("peer_sleef_expf8_u10avx2/{w}", "SLEEF expf8_u10avx2", "#e8833a"),
                       ("peer_sleef_expf16_u10avx512f/{w}", "SLEEF expf16_u10avx512f", "#c0504d")],
    },
}


def load(paths):
    """name -> list of per-repetition items/s; and the first file's context."""
    rates, context = {}, None
    for path in paths:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        context = context or doc.get("context", {})
        for b in doc.get("benchmarks", []):
            if b.get("run_type") == "aggregate" or b.get("error_occurred"):
                continue
            if "items_per_second" in b:
                rates.setdefault(b.get("run_name") or b["name"], []).append(b["items_per_second"])
    return rates, context


def quartiles(v):
    if len(v) < 2:
        return v[0], v[0]
    q = statistics.quantiles(sorted(v), n=4, method="inclusive")
    return q[0], q[2]


def fmt_rate(x):
    for unit, s in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= s:
            return f"{x / s:.3g}{unit}"
    return f"{x:.3g}"


def chart(kernel, spec, rates, out_path, note):
    workloads = [(w, label) for w, label in spec["workloads"]
                 if any(c.format(w=w) in rates for c, _, _ in spec["contenders"])]
    contenders = [c for c in spec["contenders"]
                  if any(c[0].format(w=w) in rates for w, _ in workloads)]
    if not workloads:
        return False
    # Wider with more workloads (the spreading chart has six), so that the
    # right panel's labels do not run into each other.
    fig, (ax_t, ax_s) = plt.subplots(1, 2, figsize=(13 + 1.5 * max(0, len(workloads) - 4), 5.2),
                                     gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(contenders)
    top, s_lo, s_hi = 0.0, 1.0, 1.0
    for ci, (pattern, label, colour) in enumerate(contenders):
        xs, meds, lo, hi, sx, sv = [], [], [], [], [], []
        for wi, (w, _) in enumerate(workloads):
            v = rates.get(pattern.format(w=w))
            if not v:
                continue
            m = statistics.median(v)
            q1, q3 = quartiles(v)
            x = wi + (ci - (len(contenders) - 1) / 2) * width
            xs.append(x)
            meds.append(m)
            lo.append(m - q1)
            hi.append(q3 - m)
            ref = rates.get(spec.get("baseline", kernel + "/reference/{w}").format(w=w))
            if ref:
                sx.append(x)
                sv.append(m / statistics.median(ref))
        top = max([top] + meds)
        s_lo, s_hi = min([s_lo] + sv), max([s_hi] + sv)
        ax_t.bar(xs, meds, width, yerr=[lo, hi], label=label, color=colour,
                 error_kw={"elinewidth": 0.8, "capsize": 1.5})
        for x, m in zip(xs, meds):
            ax_t.text(x, m * 1.12, fmt_rate(m), ha="center", va="bottom", fontsize=6.5,
                      rotation=90)
        ax_s.bar(sx, sv, width, color=colour)
        for x, s in zip(sx, sv):
            ax_s.text(x, s, f"{s:.2g}x", ha="center", va="bottom", fontsize=6.5, rotation=90)
    for ax in (ax_t, ax_s):
        ax.set_xticks(range(len(workloads)))
        ax.set_xticklabels([label for _, label in workloads], fontsize=8 if len(workloads) <= 4 else 7)
        ax.grid(axis="y", linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
    ax_t.set_yscale("log")
    ax_t.set_ylim(top=top * 8)
    ax_t.set_ylabel(f"{spec['item']} (per CPU second, median; whiskers: IQR)", fontsize=8)
    ax_t.legend(fontsize=7, ncol=2, loc="upper right")
    ax_s.set_ylabel(spec.get("baseline_label", "speed-up over the reference backend (same workload)"),
                    fontsize=8)
    ax_s.axhline(1.0, color="#555555", linewidth=0.6)
    ax_s.set_yscale("log")
    ax_s.set_ylim(s_lo / 1.5, s_hi * 3)
    ax_s.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
    fig.suptitle(spec["title"], fontsize=11)
    fig.text(0.01, 0.01, note, fontsize=6.5, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(out_path, metadata={"Date": None})
    plt.close(fig)
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", metavar="RUN.json")
    p.add_argument("--out-dir", default=os.path.join(os.path.dirname(__file__), "..", "docs",
                                                     "benchmarks"))
    p.add_argument("--format", choices=("svg", "png"), default="svg")
    p.add_argument("--note", default="", help="footer text (machine, command, date)")
    args = p.parse_args(argv)
    plt.rcParams.update({"svg.hashsalt": "engram-bench", "svg.fonttype": "none",
                         "font.family": "DejaVu Sans"})
    rates, ctx = load(args.runs)
    if not rates:
        sys.exit("bench_charts.py: no benchmark rows with items_per_second in the input")
    reps = max(len(v) for v in rates.values())
    note = args.note or (f"engram_bench, {ctx.get('host_name', '')} {ctx.get('num_cpus', '?')} CPUs, "
                         f"{len(args.runs)} process(es), up to {reps} repetitions pooled; "
                         f"{ctx.get('date', '')}")
    os.makedirs(args.out_dir, exist_ok=True)
    for kernel, spec in KERNELS.items():
        out = os.path.join(args.out_dir, f"kernel-{kernel}.{args.format}")
        if chart(kernel, spec, rates, out, note):
            print(f"bench_charts.py: wrote {out}")
        else:
            print(f"bench_charts.py: no {kernel} benchmarks in the input, no chart")
    unknown = sorted(n for n in rates if not re.match(
        r"^(similarity|similarity_bf16|similarity_int8|spreading|spreading_push|decay)/|^peer_|^roofline_read/",
        n))
    if unknown:
        print(f"bench_charts.py: not charted: {', '.join(unknown)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

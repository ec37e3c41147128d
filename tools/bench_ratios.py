#!/usr/bin/env python3
"""Ratio table for engram_bench (issue 3 targets) from Google Benchmark JSON.

    tools/bench_ratios.py RESULTS.json [--check] [--time real|cpu]

Reads the per-benchmark medians (the "median" aggregates of a run with
--benchmark_repetitions=N; without repetitions, the single iteration rows)
and prints, per workload, each contender against its baseline as
baseline_time / contender_time: a speed-up (> 1 means the contender is
faster; for one workload that is also the throughput ratio). Rows with a
target say met/MISSED; rows without one are context. Backends are found in
the names (similarity/<backend>/...), so a new backend gets rows on its own.

--check exits 1 if any target is missed (a target whose benchmarks are
absent counts as n/a, not as missed). --time cpu (default) uses CPU time,
which on a shared machine is less disturbed by other tenants than wall time.
Standard library only.
"""

import argparse
import json
import re
import sys

NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
BASELINE_NAMES = {"reference"}


def load_medians(path, field):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    medians, plain = {}, {}
    for b in doc.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        t = b[field] * NS_PER_UNIT[b.get("time_unit", "ns")]
        name = b.get("run_name") or b["name"]
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = t
        else:
            plain.setdefault(name, []).append(t)
    for name, ts in plain.items():  # no aggregates: median of the rows
        if name not in medians:
            ts = sorted(ts)
            medians[name] = ts[len(ts) // 2]
    return doc.get("context", {}), medians


def backends(times):
    found = []
    for name in times:
        m = re.match(r"^(similarity|spreading|decay)/([a-z0-9_]+)/", name)
        if m and m.group(2) not in found:
            found.append(m.group(2))
    order = {"reference": 0, "avx2": 1, "avx512": 2, "avx512_vnni": 3, "neon": 4, "neon_dotprod": 5}
    return sorted(found, key=lambda b: (order.get(b, 9), b))


def rows(times):
    """(workload, contender, baseline, target, target text) in table order."""
    simd = [b for b in backends(times) if b not in BASELINE_NAMES]
    out = []
    # similarity, single pair
    w = "similarity 768-d pair"
    for b in simd:
        tgt = 8.0 if b == "avx2" else None
        out.append((w, f"similarity/{b}/768x1", "similarity/reference/768x1", tgt,
                    ">= 8x" if tgt else ""))
    if "avx2" in simd and "avx512" in simd:
        out.append((w, "similarity/avx512/768x1", "similarity/avx2/768x1", 1.0, "> 1x"))
    # similarity, batches
    for n in (1000, 10000, 100000):
        w = f"similarity 768 x {n:,}"
        for b in simd:
            c = f"similarity/{b}/768x{n}"
            out.append((w, c, f"peer_openblas_sgemv/768x{n}", 1.0, ">= 1.0x"))
            out.append((w, c, f"peer_faiss_inner_products/768x{n}", None, ""))
            out.append((w, c, f"similarity/reference/768x{n}", None, ""))
        # Fraction of the memory roofline (a pure streaming read of the
        # same matrix): how close each contender is to being bandwidth-bound.
        for c in [f"similarity/{b}/768x{n}" for b in simd] + [f"peer_openblas_sgemv/768x{n}"]:
            out.append((w, c, f"roofline_read/768x{n}", None, "(roofline)"))
    # decay
    sleef = {"avx2": "peer_sleef_expf8_u10avx2", "avx512": "peer_sleef_expf16_u10avx512f"}
    for n in (10000, 1000000):
        w = f"decay {n:,}"
        for b in simd:
            if b in sleef:
                tgt = 1.0 if n == 10000 else None
                out.append((w, f"decay/{b}/{n}", f"{sleef[b]}/{n}", tgt, ">= 1.0x" if tgt else ""))
            out.append((w, f"decay/{b}/{n}", f"decay/reference/{n}", None, ""))
        if "avx2" in simd and "avx512" in simd:
            tgt = 1.0 if n == 10000 else None
            out.append((w, f"decay/avx512/{n}", f"decay/avx2/{n}", tgt, "> 1x" if tgt else ""))
    # spreading
    for n in (1000, 100000):
        w = f"spreading {n:,} nodes"
        for b in simd:
            c = f"spreading/{b}/{n}x8"
            out.append((w, c, f"spreading/reference/{n}x8", 1.5, ">= 1.5x"))
            out.append((w, c, f"peer_graphblas_spread/{n}x8", 3.0, ">= 3x"))
            out.append((w, c, f"peer_graphblas_mxv/{n}x8", None, ""))
    return out


def fmt_time(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json")
    ap.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    ap.add_argument("--time", choices=("cpu", "real"), default="cpu")
    args = ap.parse_args()
    context, times = load_medians(args.json, f"{args.time}_time")

    print(f"# engram_bench ratios ({args.time} time, medians) from {args.json}")
    for key in ("host_name", "date", "engram_backends", "engram_skipped_backends",
                "peer_openblas", "peer_faiss", "peer_graphblas", "peer_sleef"):
        if key in context:
            print(f"#   {key}: {context[key]}")
    print()
    header = ("workload", "contender", "baseline", "contender time", "baseline time",
              "speed-up", "target", "status")
    table = []
    missed = 0
    for w, c, b, tgt, tgt_text in rows(times):
        tc, tb = times.get(c), times.get(b)
        if tc is None or tb is None:
            ratio, status = "n/a", "n/a" if tgt else ""
        else:
            r = tb / tc
            ratio = f"{r:.2f}x"
            if tgt is None:
                status = ""
            else:
                strict = tgt_text.startswith("> ")  # "> 1x": strictly faster
                ok = r > tgt if strict else r >= tgt
                status = "met" if ok else "MISSED"
                missed += 0 if ok else 1
        table.append((w, c, b, fmt_time(tc), fmt_time(tb), ratio, tgt_text, status))

    widths = [max(len(str(r[i])) for r in table + [header]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(v).ljust(widths[i]) for i, v in enumerate(r)) + " |"
    print(line(header))
    print("|" + "|".join("-" * (wd + 2) for wd in widths) + "|")
    for r in table:
        print(line(r))
    print()
    print(f"targets missed: {missed}")
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())

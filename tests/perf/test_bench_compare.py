#!/usr/bin/env python3
"""Unit tests of tools/bench_compare.py on synthetic Google Benchmark JSON.

    python3 tests/perf/test_bench_compare.py      (ctest: perf_bench_compare)

Each case writes engram_bench-shaped JSON (per-repetition rows, as
--benchmark_repetitions writes them) and a baseline into a temporary
directory and checks the exit code and the report. Standard library only.
"""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
import bench_compare  # noqa: E402

# Reference times (us) and contender/reference ratios of a made-up machine.
REF_US = {"similarity/reference/768x1": 1.2, "spreading/reference/1000x8": 200.0,
          "decay/reference/10000": 50.0}
RATIOS = {"similarity/avx2/768x1": 0.05, "similarity/avx512/768x1": 0.02,
          "spreading/avx2/1000x8": 0.25, "decay/avx2/10000": 0.12,
          "decay/avx512/10000": 0.07, "peer_sleef_expf8_u10avx2/10000": 0.2}
REF_OF = {"similarity": "similarity/reference/768x1", "spreading": "spreading/reference/1000x8",
          "decay": "decay/reference/10000", "peer_sleef_expf8_u10avx2": "decay/reference/10000"}

CPUINFO_X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
stepping\t: 1

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
"""
CPUINFO_INTEL = """processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 106
model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
"""
CPUINFO_ARM = """processor\t: 0
BogoMIPS\t: 50.00
CPU implementer\t: 0x41
CPU part\t: 0xd0c
"""


def reference_of(name):
    return REF_OF[name.split("/")[0]]


class Case(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.cpuinfo = self.path("cpuinfo")
        with open(self.cpuinfo, "w", encoding="utf-8") as f:
            f.write(CPUINFO_X86)
        self.baseline = self.path("baseline.json")

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def run_json(self, name, scale=None, ref_scale=1.0, drop=(), errors=(), context=None,
                 reps=5, jitter=0.01):
        """One engram_bench process: `reps` repetitions per benchmark, each a
        little slower than the fastest (jitter); `scale` multiplies a
        contender's ratio, `ref_scale` every reference's time."""
        scale = scale or {}
        rows = []
        times = {ref: us * ref_scale for ref, us in REF_US.items()}
        for bench, ratio in RATIOS.items():
            times[bench] = times[reference_of(bench)] * ratio * scale.get(bench, 1.0)
        for bench, us in times.items():
            if bench in drop:
                continue
            for i in range(reps):
                row = {"name": bench, "run_name": bench, "run_type": "iteration",
                       "repetitions": reps, "repetition_index": i, "threads": 1,
                       "iterations": 1000, "real_time": us * (1 + jitter * i) * 2.5,
                       "cpu_time": us * (1 + jitter * i), "time_unit": "us"}
                if bench in errors:
                    row = {"name": bench, "run_name": bench, "run_type": "iteration",
                           "error_occurred": True, "error_message": "decay returned an error status"}
                rows.append(row)
        ctx = {"num_cpus": 2, "library_version": "v1.7.1",
               "engram_backends": "reference=1.0.0, avx2=1.0.0, avx512=1.0.0"}
        ctx.update(context or {})
        p = self.path(name)
        with open(p, "w", encoding="utf-8") as f:
            json.dump({"context": ctx, "benchmarks": rows}, f)
        return p

    def cli(self, *argv):
        out = io.StringIO()
        err = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = bench_compare.main(list(argv))
        return rc, out.getvalue() + err.getvalue()

    def make_baseline(self, *runs):
        rc, text = self.cli("update", *runs, "--baseline", self.baseline, "--cpuinfo", self.cpuinfo)
        self.assertEqual(rc, 0, text)

    def compare(self, *runs, extra=()):
        return self.cli("compare", *runs, "--baseline", self.baseline, "--cpuinfo",
                        self.cpuinfo, *extra)


class TestCompare(Case):
    def setUp(self):
        super().setUp()
        self.make_baseline(self.run_json("base1.json"), self.run_json("base2.json"))

    def test_identical_run_passes(self):
        rc, text = self.compare(self.run_json("run.json"))
        self.assertEqual(rc, 0, text)
        self.assertIn("0 regression(s), 0 improvement(s), 0 missing", text)

    def test_regression_fails_and_names_the_benchmark(self):
        run = self.run_json("run.json", scale={"spreading/avx2/1000x8": 1.10})
        rc, text = self.compare(run)
        self.assertEqual(rc, 1, text)
        self.assertIn("REGRESSION: spreading/avx2/1000x8 is 10.0% slower", text)
        self.assertNotIn("REGRESSION: decay", text)
        self.assertIn("1 regression(s)", text)

    def test_improvement_is_reported_and_passes(self):
        run = self.run_json("run.json", scale={"decay/avx512/10000": 0.90})
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)
        self.assertIn("IMPROVEMENT: decay/avx512/10000 is 11.1% faster", text)
        self.assertIn("0 regression(s), 1 improvement(s)", text)

    def test_noise_within_threshold_passes(self):
        run = self.run_json("run.json", jitter=0.03,
                            scale={"similarity/avx2/768x1": 1.045, "decay/avx2/10000": 0.96,
                                   "spreading/avx2/1000x8": 1.03})
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)
        self.assertIn("0 regression(s), 0 improvement(s)", text)
        self.assertRegex(text, r"similarity/avx2/768x1 +0\.0500 +0\.052\d +\+4\.5% +ok")

    def test_shift_inside_the_runs_own_spread_does_not_gate(self):
        # A scattered run (repetitions up to 60% apart): a 7% shift (under
        # twice the threshold) leaves the baseline's ratio inside the run's
        # interquartile range, so it is the run's scatter, reported but not a
        # regression. The same shift in a tight run is one, and so is a 12%
        # shift in the scattered run.
        run = self.run_json("run.json", jitter=0.15, scale={"spreading/avx2/1000x8": 1.07})
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)
        self.assertRegex(text, r"spreading/avx2/1000x8 .*\+7\.0% +slower \(baseline inside this "
                               r"run's spread, informational\)")
        tight = self.run_json("tight.json", scale={"spreading/avx2/1000x8": 1.07})
        rc, text = self.compare(tight)
        self.assertEqual(rc, 1, text)
        self.assertIn("REGRESSION: spreading/avx2/1000x8 is 7.0% slower", text)
        big = self.run_json("big.json", jitter=0.15, scale={"spreading/avx2/1000x8": 1.12})
        rc, text = self.compare(big)
        self.assertEqual(rc, 1, text)
        self.assertIn("REGRESSION: spreading/avx2/1000x8 is 12.0% slower", text)

    def test_common_slowdown_of_the_machine_cancels(self):
        # Everything 20% slower (a busy neighbour): ratios are unchanged.
        run = self.run_json("run.json", ref_scale=1.2)
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)
        self.assertNotIn("DISTURBED", text)

    def test_disturbed_process_is_left_out(self):
        # A process whose references ran 1.8x slower, with shifted ratios (as
        # measured in a disturbed period), is not used; the others decide.
        bad = self.run_json("bad.json", ref_scale=1.8, scale={"decay/avx2/10000": 0.6,
                                                             "spreading/avx2/1000x8": 1.3})
        good = self.run_json("good.json")
        rc, text = self.compare(bad, good)
        self.assertEqual(rc, 0, text)
        self.assertIn("DISTURBED: " + bad + ": reference kernels 1.80x slower", text)

    def test_too_disturbed_is_inconclusive(self):
        bad = self.run_json("bad.json", ref_scale=1.4, scale={"spreading/avx2/1000x8": 1.3})
        good = self.run_json("good.json")
        rc, text = self.compare(bad)
        self.assertEqual(rc, 3, text)
        self.assertIn("INCONCLUSIVE: 0 undisturbed process(es), 1 needed", text)
        rc, text = self.compare(bad, good, extra=("--min-processes", "2"))
        self.assertEqual(rc, 3, text)
        rc, text = self.compare(bad, good, extra=("--max-disturbance", "1.5"))
        self.assertEqual(rc, 1, text)  # not left out: its shifted ratio counts

    def test_threshold_option(self):
        run = self.run_json("run.json", scale={"decay/avx2/10000": 1.03})
        self.assertEqual(self.compare(run)[0], 0)
        rc, text = self.compare(run, extra=("--threshold", "0.02"))
        self.assertEqual(rc, 1, text)
        self.assertIn("REGRESSION: decay/avx2/10000", text)

    def test_missing_benchmark_fails(self):
        run = self.run_json("run.json", drop=("decay/avx512/10000",))
        rc, text = self.compare(run)
        self.assertEqual(rc, 1, text)
        self.assertIn("MISSING: decay/avx512/10000: not in this run", text)

    def test_errored_benchmark_is_missing(self):
        run = self.run_json("run.json", errors=("decay/avx2/10000",))
        rc, text = self.compare(run)
        self.assertEqual(rc, 1, text)
        self.assertIn("MISSING: decay/avx2/10000: error: decay returned an error status", text)

    def test_benchmark_outside_the_filter_is_not_missing(self):
        run = self.run_json("run.json", drop=("decay/avx2/10000", "decay/avx512/10000",
                                              "decay/reference/10000",
                                              "peer_sleef_expf8_u10avx2/10000"))
        rc, text = self.compare(run, extra=("--filter", "^(similarity|spreading)/"))
        self.assertEqual(rc, 0, text)
        self.assertNotIn("MISSING", text)

    def test_missing_peer_is_informational(self):
        run = self.run_json("run.json", drop=("peer_sleef_expf8_u10avx2/10000",))
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)
        self.assertIn("absent (not in this run)", text)

    def test_peer_slowdown_is_informational(self):
        run = self.run_json("run.json", scale={"peer_sleef_expf8_u10avx2/10000": 1.5})
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)
        self.assertIn("slower (peer, informational)", text)

    def test_reference_change_gives_a_hint(self):
        # The reference got 20% faster: every contender's ratio grows.
        run = self.run_json("run.json", scale={"decay/avx2/10000": 1.25, "decay/avx512/10000": 1.25,
                                               "peer_sleef_expf8_u10avx2/10000": 1.25})
        rc, text = self.compare(run)
        self.assertEqual(rc, 1, text)
        self.assertIn("HINT: every contender of decay/10000 moved the same way", text)

    def test_one_disturbed_process_is_outvoted(self):
        good1 = self.run_json("r1.json")
        bad = self.run_json("r2.json", scale={"similarity/avx512/768x1": 1.5})
        good2 = self.run_json("r3.json")
        rc, text = self.compare(good1, bad, good2)
        self.assertEqual(rc, 0, text)
        rc, text = self.compare(bad)
        self.assertEqual(rc, 1, text)

    def edit_rows(self, run, name, factors):
        """Multiplies the cpu_time of `name`'s repetitions by factors, in order."""
        with open(run, encoding="utf-8") as f:
            doc = json.load(f)
        rows = [row for row in doc["benchmarks"] if row["name"] == name]
        for row, factor in zip(rows, factors):
            row["cpu_time"] *= factor
        with open(run, "w", encoding="utf-8") as f:
            json.dump(doc, f)

    def test_statistic_ignores_slow_repetitions(self):
        # Three of five repetitions of the contender disturbed by +60%.
        run = self.run_json("run.json")
        self.edit_rows(run, "spreading/avx2/1000x8", [1.6, 1.6, 1.0, 1.6, 1.0])
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)

    def test_statistic_ignores_one_lucky_repetition(self):
        # The reference's fastest repetition 15% faster than the rest (a
        # lucky one): with the second-fastest, the ratio does not move.
        run = self.run_json("run.json", jitter=0.0)
        self.edit_rows(run, "spreading/reference/1000x8", [1.0, 1.0, 0.85, 1.0, 1.0])
        rc, text = self.compare(run)
        self.assertEqual(rc, 0, text)
        self.assertRegex(text, r"spreading/avx2/1000x8 +0\.2500 +0\.2500 ")

    def test_suspects_file(self):
        run = self.run_json("run.json", scale={"decay/avx2/10000": 1.2})
        suspects = self.path("suspects.txt")
        rc, _ = self.compare(run, extra=("--suspects", suspects))
        self.assertEqual(rc, 1)
        with open(suspects, encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["decay/avx2/10000", "decay/reference/10000"])

    def test_slowed_run_is_marked(self):
        run = self.run_json("run.json", context={"engram_test_slowdown": "avx2:1.10"})
        rc, text = self.compare(run)
        self.assertIn("deliberately slowed (ENGRAM_BENCH_TEST_SLOWDOWN=avx2:1.10)", text)

    def test_aggregate_rows_are_ignored(self):
        run = self.run_json("run.json")
        with open(run, encoding="utf-8") as f:
            doc = json.load(f)
        doc["benchmarks"].append({"name": "decay/avx2/10000_median", "run_name": "decay/avx2/10000",
                                  "run_type": "aggregate", "aggregate_name": "median",
                                  "cpu_time": 1e9, "real_time": 1e9, "time_unit": "us"})
        with open(run, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        self.assertEqual(self.compare(run)[0], 0)


class TestNoise(Case):
    def test_noisy_benchmark_does_not_gate(self):
        # Six baseline processes: spreading/avx2 varies by +-12% from one
        # process to the next, decay/avx2 does not.
        runs = [self.run_json(f"b{i}.json", scale={"spreading/avx2/1000x8": f})
                for i, f in enumerate((0.88, 1.0, 1.12, 0.9, 1.1, 1.0))]
        self.make_baseline(*runs)
        with open(self.baseline, encoding="utf-8") as f:
            entries = json.load(f)["modes"]["full"]["benchmarks"]
        self.assertFalse(entries["spreading/avx2/1000x8"]["gate"])
        self.assertGreater(entries["spreading/avx2/1000x8"]["noise"], 0.05)
        self.assertTrue(entries["decay/avx2/10000"]["gate"])
        self.assertEqual(len(entries["decay/avx2/10000"]["per_process"]), 6)
        run = self.run_json("run.json", scale={"spreading/avx2/1000x8": 1.08,
                                               "decay/avx2/10000": 1.08})
        rc, text = self.compare(run)
        self.assertEqual(rc, 1, text)
        self.assertIn("REGRESSION: decay/avx2/10000", text)
        self.assertNotIn("REGRESSION: spreading", text)
        self.assertRegex(text, r"spreading/avx2/1000x8 .* slower \(noisy here: \+-1\d%, informational\)")

    def test_subset_noise(self):
        sn = bench_compare.subset_noise
        self.assertIsNone(sn([1.0, 1.0, 1.0], 3))
        self.assertEqual(sn([1.0] * 6, 3), 0.0)
        self.assertAlmostEqual(sn([1.0, 1.0, 1.0, 1.0, 2.0], 1), 1.0)
        self.assertLess(sn([1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0], 3), 0.02)


class TestBaselineFiles(Case):
    def test_missing_baseline_exits_77(self):
        rc, text = self.compare(self.run_json("run.json"))
        self.assertEqual(rc, 77, text)
        self.assertIn("NO BASELINE for this CPU (AMD EPYC, slug amd-epyc-family26-model2)", text)
        self.assertIn("--update-baseline", text)

    def test_update_writes_ratios_and_metadata(self):
        self.make_baseline(self.run_json("run.json"))
        with open(self.baseline, encoding="utf-8") as f:
            doc = json.load(f)
        self.assertEqual(doc["format"], "engram-bench-baseline/1")
        self.assertEqual(doc["cpu"]["slug"], "amd-epyc-family26-model2")
        self.assertEqual(doc["statistic"], "min2")
        self.assertEqual(list(doc["modes"]), ["full"])
        full = doc["modes"]["full"]
        e = full["benchmarks"]["spreading/avx2/1000x8"]
        self.assertAlmostEqual(e["ratio"], 0.25, places=6)
        self.assertEqual(e["reference"], "spreading/reference/1000x8")
        self.assertEqual((e["kind"], e["backend"]), ("backend", "avx2"))
        self.assertEqual(full["benchmarks"]["peer_sleef_expf8_u10avx2/10000"]["kind"], "peer")
        self.assertNotIn("decay/reference/10000", full["benchmarks"])
        self.assertIn("decay/reference/10000", full["references"])
        self.assertAlmostEqual(full["references"]["decay/reference/10000"]["fast_ns"], 50500.0)

    def test_update_merges_unless_replace(self):
        self.make_baseline(self.run_json("full.json"))
        part = self.run_json("part.json", drop=tuple(b for b in list(RATIOS) + list(REF_US)
                                                     if not b.startswith("decay/")))
        rc, text = self.cli("update", part, "--baseline", self.baseline, "--cpuinfo", self.cpuinfo)
        self.assertEqual(rc, 0, text)
        self.assertIn("kept 4 from before", text)
        with open(self.baseline, encoding="utf-8") as f:
            self.assertIn("similarity/avx2/768x1", json.load(f)["modes"]["full"]["benchmarks"])
        rc, text = self.cli("update", part, "--baseline", self.baseline, "--cpuinfo",
                            self.cpuinfo, "--replace")
        self.assertEqual(rc, 0, text)
        with open(self.baseline, encoding="utf-8") as f:
            self.assertNotIn("similarity/avx2/768x1", json.load(f)["modes"]["full"]["benchmarks"])

    def test_each_mode_has_its_own_section(self):
        short = self.run_json("short.json", scale={"decay/avx2/10000": 1.2})
        rc, text = self.cli("update", short, "--baseline", self.baseline, "--cpuinfo",
                            self.cpuinfo, "--mode", "short")
        self.assertEqual(rc, 0, text)
        # No full section yet: a full comparison has no baseline.
        rc, text = self.compare(self.run_json("run.json"))
        self.assertEqual(rc, 77, text)
        self.assertIn("has no 'full' section", text)
        self.assertIn("tools/bench-regression.sh --full --update-baseline", text)
        self.make_baseline(self.run_json("full.json"))
        # The short run compares against the short section only.
        rc, text = self.compare(short, extra=("--mode", "short"))
        self.assertEqual(rc, 0, text)
        rc, text = self.compare(short)
        self.assertEqual(rc, 1, text)
        with open(self.baseline, encoding="utf-8") as f:
            self.assertEqual(sorted(json.load(f)["modes"]), ["full", "short"])

    def test_update_refuses_a_slowed_run(self):
        run = self.run_json("run.json", context={"engram_test_slowdown": "avx2:1.10"})
        rc, text = self.cli("update", run, "--baseline", self.baseline, "--cpuinfo", self.cpuinfo)
        self.assertEqual(rc, 2, text)
        self.assertIn("deliberately slowed", text)
        self.assertFalse(os.path.exists(self.baseline))

    def test_update_refuses_a_run_with_errors(self):
        run = self.run_json("run.json", errors=("decay/avx2/10000",))
        rc, text = self.cli("update", run, "--baseline", self.baseline, "--cpuinfo", self.cpuinfo)
        self.assertEqual(rc, 2, text)

    def test_bad_inputs_exit_2(self):
        bad = self.path("bad.json")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("{not json")
        self.assertEqual(self.compare(bad)[0], 2)
        self.make_baseline(self.run_json("run.json"))
        self.assertEqual(self.compare(self.path("absent.json"))[0], 2)
        with open(self.baseline, "w", encoding="utf-8") as f:
            json.dump({"format": "something else"}, f)
        self.assertEqual(self.compare(self.run_json("run.json"))[0], 2)


class TestSlug(unittest.TestCase):
    def slug(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".cpuinfo", delete=False) as f:
            f.write(text)
        try:
            return bench_compare.cpu_identity(f.name)["slug"]
        finally:
            os.unlink(f.name)

    def test_slugs(self):
        self.assertEqual(self.slug(CPUINFO_X86), "amd-epyc-family26-model2")
        self.assertEqual(self.slug(CPUINFO_INTEL),
                         "intel-xeon-platinum-8375c-cpu-2-90ghz-family6-model106")
        self.assertEqual(self.slug(CPUINFO_ARM), "arm-impl0x41-part0xd0c")

    def test_classify(self):
        c = bench_compare.classify
        self.assertEqual(c("similarity/avx2/768x1000"),
                         ("backend", "similarity", "avx2", "768x1000", "similarity/reference/768x1000"))
        self.assertEqual(c("spreading/reference/1000x8")[0], "reference")
        # The compressed kernels are gated against their own reference kernel.
        self.assertEqual(c("similarity_bf16/avx2/768x100000"),
                         ("backend", "similarity_bf16", "avx2", "768x100000",
                          "similarity_bf16/reference/768x100000"))
        self.assertEqual(c("similarity_int8/reference/768x10000")[0], "reference")
        self.assertEqual(c("peer_graphblas_mxv/1000x8")[4], "spreading/reference/1000x8")
        self.assertEqual(c("roofline_read/768x1000")[4], "similarity/reference/768x1000")
        self.assertEqual(c("peer_sleef_expf16_u10avx512f/10000")[4], "decay/reference/10000")
        self.assertIsNone(c("something_else/1"))


if __name__ == "__main__":
    unittest.main(verbosity=1)

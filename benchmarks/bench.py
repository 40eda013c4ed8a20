"""Ours against the peers on the congested program, in one run: the table of issue 7's targets.

``run.sh`` calls this with the project's interpreter; it only orchestrates. Every measured call runs in a fresh
process through ``harness.py`` (ours with our package, the peers in their own interpreters), the rows hand
each other arrays (the candidate graph, the dense matrix) through a scratch folder, and the targets are
evaluated as ratios of rows measured in this same run. Nothing is hard-coded: a row that fails is reported as
failed and the targets depending on it as "not measured".

Sizes: ``--small`` (default 10k mentees x 1k mentors) and ``--large`` (default 100k x 10k); ``--quick`` runs the
small size only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import BENCH_DIR, REPO, Harness, RowFailed, runners
from harness import machine as describe_machine

MIB_LIMIT_CANDIDATES = 300.0
MIB_LIMIT_SMALL_PEAK = 280.0
MIB_LIMIT_E2E_PEAK = 1536.0


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def _our_source(workdir: Path, ref: str | None) -> tuple[Path, dict[str, Any]]:
    """Where our package is imported from, and which code that is (commit, and whether the tree was edited)."""
    if ref is None:
        dirty = _git("status", "--porcelain", "--", "matching")
        return REPO, {"from": "work tree", "commit": _git("rev-parse", "HEAD"), "uncommitted_changes": bool(dirty)}
    commit = _git("rev-parse", ref)
    snapshot = workdir / "src"
    snapshot.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "matching"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(snapshot)], input=archive.stdout, check=True)
    return snapshot, {"from": f"git archive {ref}", "commit": commit, "uncommitted_changes": False}


class Bench:
    """Runs the rows and keeps their results by name."""

    def __init__(self, harness: Harness, repeats: int) -> None:
        self.h = harness
        self.repeats = repeats
        self.rows: dict[str, dict[str, Any]] = {}

    def row(
        self,
        name: str,
        runner: str,
        task_file: str,
        task: str,
        params: dict[str, Any],
        times: int = 1,
        *,
        always: bool = False,
    ) -> None:
        """Measure one row (median of ``times`` fresh processes); a failure is recorded, not raised."""
        print(f"[{name}]", flush=True)
        try:
            self.rows[name] = self.h.repeat(times, runner, task_file, task, params, always=always)
        except (RowFailed, OSError, ValueError, subprocess.TimeoutExpired) as error:
            print(f"  FAILED: {str(error)[-1500:]}", flush=True)
            self.rows[name] = {"error": str(error)[-3000:]}

    def get(self, name: str, *path: str) -> Any:
        """A measured value, or None when the row failed or lacks it."""
        value: Any = self.rows.get(name)
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return value


def run_small(b: Bench, n: int, with_matching_lib: bool) -> None:
    """The 10k x 1k rows: the dense exact regime, stability against ``matching``, greedy, the tight case."""
    r = b.repeats
    b.row("S.export", "ours", "ours.py", "export", {"n": n, "dense": "S_dense", "graphs": {"S_full": 0, "S_k50": 50}})
    b.row("S.tight.export", "ours", "ours.py", "export", {"n": n, "tight": True, "dense": "S_tight_dense"})
    b.row("S.scipy_lsa_slots", "numpy", "numpy_peers.py", "lsa_slots", {"dense": "S_dense", "out": "S_lsa"})
    b.row("S.ortools_dense", "ortools", "ortools_peer.py", "mcf_dense", {"dense": "S_dense", "out": "S_mcf"}, r)
    b.row("S.ours_optimal_dense", "ours", "ours.py", "optimal_dense", {"dense": "S_dense", "out": "S_opt"}, r)
    b.row("S.ours_match_certified", "ours", "ours.py", "match", {"n": n, "config": {"certify": True}}, r)
    b.row("S.ours_match", "ours", "ours.py", "match", {"n": n, "config": {"certify": False}})
    b.row("S.greedy", "numpy", "numpy_peers.py", "greedy", {"graph": "S_full", "out": "S_greedy"})
    b.row("S.greedy_k50", "numpy", "numpy_peers.py", "greedy", {"graph": "S_k50", "out": "S_greedy50"})
    b.row("S.ours_stable_k50", "ours", "ours.py", "stable_graph", {"graph": "S_k50", "out": "S_stable"}, r)
    if with_matching_lib:
        b.row(
            "S.matching_hr_k50", "matching", "matching_peer.py", "hospital_resident", {"graph": "S_k50", "out": "S_hr"}
        )
        b.row("S.stable_identical", "numpy", "compare.py", "same_assignment", {"a": "S_stable", "b": "S_hr"})
    b.row("S.ours_stable_match", "ours", "ours.py", "match", {"n": n, "config": {"strategy": "stable"}})
    tight = {"n": n, "tight": True}
    b.row(
        "S.tight.ortools_coverage",
        "ortools",
        "ortools_peer.py",
        "mcf_dense",
        {"dense": "S_tight_dense", "out": "S_tight_mcf", "objective": "coverage"},
    )
    b.row("S.tight.ours_match", "ours", "ours.py", "match", {**tight, "config": {"certify": False}})
    b.row(
        "S.tight.ours_match_coverage",
        "ours",
        "ours.py",
        "match",
        {**tight, "config": {"certify": False, "objective": "coverage"}},
    )


def run_large(b: Bench, n: int) -> None:
    """The 100k x 10k rows: scoring against the sgemm bound, the sparse solver against OR-Tools, end to end."""
    r = b.repeats
    b.row("L.ours_candidates", "ours", "ours.py", "candidates", {"n": n, "k": 50, "save": "L_k50"}, r)
    dim = b.get("L.ours_candidates", "info", "dim")
    if dim:
        b.row("L.sgemm", "numpy", "numpy_peers.py", "sgemm", {"n": n, "m": n // 10, "d": dim})
    b.row("L.ortools_k50", "ortools", "ortools_peer.py", "mcf_graph", {"graph": "L_k50", "out": "L_mcf"}, r)
    b.row("L.ours_solve_k50", "ours", "ours.py", "solve_graph", {"graph": "L_k50", "out": "L_ours_k50"}, r)
    b.row("L.ours_certify", "ours", "ours.py", "certify", {"n": n, "graph": "L_k50", "save": "L_refined"})
    b.row("L.ortools_refined", "ortools", "ortools_peer.py", "mcf_graph", {"graph": "L_refined", "out": "L_mcf_ref"})
    # The end-to-end target is a median of 3 runs, however long each takes.
    b.row("L.ours_match", "ours", "ours.py", "match", {"n": n, "config": {"certify": False}}, max(r, 3), always=True)
    # The same with OpenBLAS's idle threads sleeping at once instead of spinning ~0.1 s after each call (they then
    # compete with the selecting threads between GEMMs): what an operator gains from that worker setting.
    blas_sleep = {"n": n, "config": {"certify": False}, "env": {"OPENBLAS_THREAD_TIMEOUT": "4"}}
    b.row("L.ours_match_blas_sleep", "ours", "ours.py", "match", blas_sleep, max(r, 3), always=True)
    # The library's default (certify=True, what the plugin runs): the optimum proved over all pairs; one run.
    b.row("L.ours_match_certified", "ours", "ours.py", "match", {"n": n, "config": {}})
    b.row("L.export_k200", "ours", "ours.py", "export", {"n": n, "graphs": {"L_k200": 200}})
    b.row("L.ours_stable_k200", "ours", "ours.py", "stable_graph", {"graph": "L_k200", "out": "L_stable200"}, r)
    b.row("L.ours_stable_match", "ours", "ours.py", "match", {"n": n, "config": {"strategy": "stable"}})
    b.row("L.greedy_k50", "numpy", "numpy_peers.py", "greedy", {"graph": "L_k50", "out": "L_greedy"})


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


class Targets:
    """Issue 7's targets, each evaluated from rows of this run."""

    def __init__(self, b: Bench) -> None:
        self.b = b
        self.items: list[dict[str, Any]] = []

    def add(self, ident: str, what: str, value: float | None, limit: float, kind: str, detail: str = "") -> None:
        """``kind`` is "max" (value <= limit), "min" (value >= limit) or "info" (reported, no verdict)."""
        met = None if value is None or kind == "info" else (value <= limit if kind == "max" else value >= limit)
        self.items.append(
            {"id": ident, "what": what, "value": value, "limit": limit, "kind": kind, "met": met, "detail": detail}
        )

    def evaluate(self, small: int, large: int | None) -> list[dict[str, Any]]:
        """Compute every target whose rows ran."""
        g = self.b.get
        opt_s = g("S.scipy_lsa_slots", "info", "total")
        # --- 10k: exact dense regime
        lsa = g("S.scipy_lsa_slots", "info", "solve_s")
        t = g("S.ours_match_certified", "seconds")
        self.add(
            "T4.time",
            f"{small // 1000}k certified optimum (match, certify) / scipy LSA on slots (solve only)",
            _ratio(t, lsa),
            0.1,
            "max",
            f"{t and round(t, 3)} s vs {lsa and round(lsa, 2)} s",
        )
        self.add(
            "T4.peak",
            f"{small // 1000}k certified optimum: peak RSS of the process (MiB)",
            g("S.ours_match_certified", "peak_mib"),
            MIB_LIMIT_SMALL_PEAK,
            "max",
            f"extra {g('S.ours_match_certified', 'extra_mib')}",
        )
        total = g("S.ours_match_certified", "info", "total")
        self.add(
            "T4.exact",
            f"{small // 1000}k certified match total / exact optimum (scipy LSA)",
            _ratio(total, opt_s),
            1 - 1e-9,
            "min",
            f"certified gap {g('S.ours_match_certified', 'info', 'gap')}",
        )
        self.add(
            "T3.small",
            f"{small // 1000}k quality without pricing (match, certify=False) / exact optimum",
            _ratio(g("S.ours_match", "info", "total"), opt_s),
            0.99999,
            "min",
        )
        greedy = _ratio(g("S.greedy", "info", "total"), opt_s)
        ours = _ratio(g("S.ours_match", "info", "total"), opt_s)
        gain = None if greedy is None or ours is None else 100 * (ours - greedy)
        self.add(
            "T7.greedy",
            f"{small // 1000}k max-score minus greedy, points of the optimum",
            gain,
            5.0,
            "min",
            f"on the full graph: greedy {_pct(greedy)}, ours {_pct(ours)}; greedy on K=50 lists "
            f"{_pct(_ratio(g('S.greedy_k50', 'info', 'total'), opt_s))}",
        )
        hr = g("S.matching_hr_k50", "seconds")
        ours_stable = g("S.ours_stable_k50", "seconds")
        self.add(
            "T6.speed",
            f"{small // 1000}k stable: matching lib (create+solve) / ours",
            _ratio(hr, ours_stable),
            500,
            "min",
            f"identical matching: {g('S.stable_identical', 'info', 'identical')}",
        )
        self.add(
            "T6.identical",
            f"{small // 1000}k stable matching identical to matching lib (1 = yes)",
            None
            if g("S.stable_identical", "info", "identical") is None
            else float(g("S.stable_identical", "info", "identical")),
            1.0,
            "min",
        )
        stable_s = _ratio(g("S.ours_stable_k50", "info", "total"), opt_s)
        self.add(
            "T7.cost_small",
            f"{small // 1000}k cost of stability: stable (K=50 lists) total / max-score optimum",
            stable_s,
            1.0,
            "info",
            f"{_unmatched(g, 'S.ours_stable_k50')} unmatched; stable match() end to end "
            f"{_pct(_ratio(g('S.ours_stable_match', 'info', 'total'), opt_s))}, "
            f"{_unmatched(g, 'S.ours_stable_match')} unmatched",
        )
        full = g("S.tight.ortools_coverage", "info", "matched") == g("S.tight.ortools_coverage", "info", "n")
        unmatched = g("S.tight.ours_match", "info", "unmatched")
        self.add(
            "T3.tight",
            f"{small // 1000}k tight (capacity == demand): unmatched mentees, objective score",
            unmatched if full else None,
            0,
            "max",
            f"full matching exists: {full}",
        )
        unmatched = g("S.tight.ours_match_coverage", "info", "unmatched")
        self.add(
            "T3.tight_cov",
            f"{small // 1000}k tight: unmatched mentees, objective coverage",
            unmatched if full else None,
            0,
            "max",
        )
        if large is None:
            return self.items
        # --- 100k
        lk = f"{large // 1000}k"
        bound = g("L.sgemm", "info", "bound_s")
        cand = g("L.ours_candidates", "seconds")
        self.add(
            "T1.time",
            f"{lk} scoring + candidates (from built features) / sgemm bound",
            _ratio(cand, bound),
            1.6,
            "max",
            f"{_r(cand)} s vs {_r(bound)} s at {_r(g('L.sgemm', 'info', 'gflops'), 0)} GFLOP/s,"
            f" d={g('L.ours_candidates', 'info', 'dim')}, {g('L.ours_candidates', 'info', 'gemm_dim')} of them in"
            " the GEMM;"
            f" features, built before it: {g('L.ours_candidates', 'info', 'features_s')} s",
        )
        self.add(
            "T1.mem",
            f"{lk} scoring + candidates extra memory (MiB)",
            g("L.ours_candidates", "extra_mib"),
            MIB_LIMIT_CANDIDATES,
            "max",
        )
        mcf, ours_t = g("L.ortools_k50", "seconds"), g("L.ours_solve_k50", "seconds")
        self.add(
            "T2.time",
            f"{lk} K=50 max-score solver / OR-Tools min-cost flow",
            _ratio(ours_t, mcf),
            1.0,
            "max",
            f"{ours_t and round(ours_t, 2)} s vs {mcf and round(mcf, 2)} s",
        )
        self.add(
            "T2.total",
            f"{lk} K=50 solver total / OR-Tools total",
            _ratio(g("L.ours_solve_k50", "info", "total"), g("L.ortools_k50", "info", "total")),
            0.99999,
            "min",
        )
        self.add(
            "T2.mem",
            f"{lk} K=50 solver extra memory / OR-Tools'",
            _ratio(g("L.ours_solve_k50", "extra_mib"), g("L.ortools_k50", "extra_mib")),
            0.5,
            "max",
            f"{g('L.ours_solve_k50', 'extra_mib')} vs {g('L.ortools_k50', 'extra_mib')} MiB",
        )
        # The benchmark's own dual bound over every pair: equal to the optimum once pricing converged, and a valid
        # (conservative) reference even if it did not.
        opt_l = g("L.ours_certify", "info", "dual_bound")
        self.add(
            "T3.large",
            f"{lk} quality without pricing (match) / certified optimum",
            _ratio(g("L.ours_match", "info", "total"), opt_l),
            0.9995,
            "min",
            f"certified gap (benchmark's own dual bound) {g('L.ours_certify', 'info', 'verified_gap')}",
        )
        opt_matched = g("L.ours_certify", "info", "matched")
        full_l = None if opt_matched is None else opt_matched == large
        self.add(
            "T3.large_unmatched",
            f"{lk} unmatched mentees (the certified optimum matches everyone: {full_l})",
            g("L.ours_match", "info", "unmatched") if full_l else None,
            0,
            "max",
        )
        e2e = g("L.ours_match", "seconds")
        self.add(
            "T5.time",
            f"{lk} end to end, median of {len(g('L.ours_match', 'runs_s') or [])} runs (s)",
            e2e,
            12.0,
            "max",
            f"runs {g('L.ours_match', 'runs_s')}",
        )
        sleep = g("L.ours_match_blas_sleep", "seconds")
        self.add(
            "T5.blas_sleep",
            f"{lk} end to end with OPENBLAS_THREAD_TIMEOUT=4 (the worker's setting), median (s)",
            sleep,
            12.0,
            "info",
            f"runs {g('L.ours_match_blas_sleep', 'runs_s')}",
        )
        certified = g("L.ours_match_certified", "seconds")
        self.add(
            "T5.certified",
            f"{lk} end to end with the default certify=True, one run (s)",
            certified,
            12.0,
            "info",
            f"{_r(g('L.ours_match_certified', 'info', 'seconds', 'certify'), 2)} s certifying, certified gap "
            f"{g('L.ours_match_certified', 'info', 'gap')}, total {g('L.ours_match_certified', 'info', 'total')}",
        )
        self.add(
            "T5.peak",
            f"{lk} end to end peak RSS (MiB)",
            g("L.ours_match", "peak_mib"),
            MIB_LIMIT_E2E_PEAK,
            "max",
            f"of which {_r(g('L.ours_match', 'base_mib'), 0)} MiB before the call (interpreter, people objects)",
        )
        self.add(
            "T8.explain",
            f"{lk} explanations / end to end time",
            _ratio(g("L.ours_match", "info", "seconds", "explain"), e2e),
            0.05,
            "max",
        )
        self.add("T6.large", f"{lk} stable on lists of 200 (s)", g("L.ours_stable_k200", "seconds"), 1.5, "max")
        n_l = g("L.ours_stable_match", "info", "n")
        unmatched = g("L.ours_stable_match", "info", "unmatched")
        self.add(
            "T7.lazy",
            f"{lk} stable with lazy extension: unmatched share",
            None if n_l is None or unmatched is None else unmatched / n_l,
            0.01,
            "max",
            f"{unmatched} unmatched; stable total = "
            f"{_pct(_ratio(g('L.ours_stable_match', 'info', 'total'), opt_l))} of the max-score optimum",
        )
        return self.items


def _unmatched(g: Callable[..., Any], row: str) -> int | None:
    n, matched = g(row, "info", "n"), g(row, "info", "matched")
    return None if n is None or matched is None else n - matched


def _r(x: float | None, digits: int = 2) -> float | None:
    return None if x is None else round(x, digits)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.4f} %"


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.6g}"
    return str(x)


def print_report(b: Bench, targets: list[dict[str, Any]], machine: dict[str, Any]) -> str:
    """The readable table: every row's time and memory, then every target with its ratio and verdict."""
    src = machine.get("matching_source", {})
    lines = [
        f"Machine: {machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gib']} GiB;"
        f" matching from {src.get('from')} at {str(src.get('commit'))[:10]}"
        f"{' (with uncommitted changes)' if src.get('uncommitted_changes') else ''}",
    ]
    for key, label in (("env.project", "ours, numpy, scipy LSA, greedy"), ("env.ortools", "OR-Tools")):
        sw = (machine.get("software") or {}).get(key) or {}
        blas = (sw.get("blas") or [{}])[0]
        versions = ", ".join(f"{k} {v}" for k, v in (sw.get("versions") or {}).items())
        lines.append(
            f"  {label}: Python {sw.get('python')}, {versions}; BLAS {blas.get('version', '?')[:40]}"
            f" kernel {blas.get('architecture')} x{blas.get('num_threads')}"
        )
    lines.append("")
    lines.append(f"{'row':34s} {'seconds':>10s} {'extra MiB':>10s} {'peak MiB':>9s}  notes")
    for name, row in b.rows.items():
        if name.endswith("export") or name.endswith("identical"):
            continue
        if "error" in row:
            lines.append(f"{name:34s} {'FAILED':>10s}")
            continue
        info = row.get("info", {})
        notes = []
        for key in ("total", "matched", "unmatched", "gap", "verified_gap", "edges", "gflops", "dim", "gemm_dim"):
            if key in info and info[key] is not None:
                notes.append(f"{key}={_fmt(info[key])}")
        runs = row.get("runs_s")
        if runs and len(runs) > 1:
            notes.append("runs=" + "/".join(f"{s:.2f}" for s in runs))
        if row.get("load_1m") is not None:
            notes.append(f"load={row['load_1m']:.1f}")
        lines.append(
            f"{name:34s} {row['seconds']:10.3f} {_fmt(row.get('extra_mib') and round(row['extra_mib'])):>10s} "
            f"{round(row['peak_mib']):9d}  {' '.join(notes)}"
        )
    lines += ["", f"{'target':15s} {'measured':>12s} {'limit':>10s}  {'met':5s} what"]
    for t in targets:
        verdict = "info" if t["kind"] == "info" else "n/a" if t["met"] is None else ("yes" if t["met"] else "NO")
        sign = {"max": "<=", "min": ">=", "info": "vs"}[t["kind"]]
        lines.append(f"{t['id']:15s} {_fmt(t['value']):>12s} {sign}{_fmt(t['limit']):>8s}  {verdict:5s} {t['what']}")
        if t["detail"]:
            lines.append(f"{'':15s} {'':>12s} {'':>10s}  {'':5s}   ({t['detail']})")
    text = "\n".join(lines)
    print(text)
    return text


def main(argv: list[str] | None = None) -> int:
    """Parse the sizes, run the rows, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small size only (10k x 1k)")
    parser.add_argument("--small", type=int, default=10_000, help="mentees in the small program (mentors = N/10)")
    parser.add_argument("--large", type=int, default=100_000, help="mentees in the large program (mentors = N/10)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh-process runs per fast row (median)")
    parser.add_argument("--no-matching-lib", action="store_true", help="skip the (slow) PyPI matching peer")
    parser.add_argument("--out", default=str(BENCH_DIR / "results" / "latest.json"))
    parser.add_argument("--row-timeout", type=float, default=900.0, help="seconds before a row's process is killed")
    parser.add_argument(
        "--ref", help="measure our package as committed at this git ref (e.g. HEAD) instead of the work tree"
    )
    parser.add_argument("--keep-workdir", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="ementor-bench-"))
    ours_root, source = _our_source(workdir, args.ref)
    harness = Harness(workdir, runners(os.environ.get("PYTHON", sys.executable), ours_root), timeout=args.row_timeout)
    b = Bench(harness, args.repeats)
    machine = describe_machine()
    machine["matching_source"] = source
    b.row("env.project", "numpy", "describe.py", "describe", {"packages": ["numpy", "scipy"]})
    b.row("env.ortools", "ortools", "describe.py", "describe", {"packages": ["numpy", "scipy", "ortools"]})
    b.row("env.matching", "matching", "describe.py", "describe", {"packages": ["numpy", "matching"]})
    try:
        run_small(b, args.small, not args.no_matching_lib)
        if not args.quick:
            run_large(b, args.large)
        targets = Targets(b).evaluate(args.small, None if args.quick else args.large)
    finally:
        if not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    machine["software"] = {k: b.get(k, "info") for k in ("env.project", "env.ortools", "env.matching")}
    print()
    text = print_report(b, targets, machine)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "args": vars(args),
        "machine": machine,
        "total_wall_s": time.perf_counter() - started,
        "rows": {k: v for k, v in b.rows.items() if not k.startswith("env.")},
        "targets": targets,
        "table": text,
    }
    out.write_text(json.dumps(payload, indent=1, default=float) + "\n", encoding="utf-8")
    print(f"\nwrote {out} ({payload['total_wall_s']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

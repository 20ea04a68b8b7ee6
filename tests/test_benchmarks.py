"""The N-body reproduction benchmark runs in its quick mode and writes a well-formed table."""

import json
import sys
from pathlib import Path

import joblib
import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


def benchmark_main(name):
    """The ``main`` of ``benchmarks/<name>.py`` (scripts, not a package: imported by path)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return __import__(name).main
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_reproduce_nbody_quick(tmp_path, capsys):
    main = benchmark_main("reproduce_nbody")
    rows = main(["--quick", "--laws", "r2", "--dims", "2", "--strategies", "l1",
                 "--figures", "--save-models", "--out", str(tmp_path)])
    assert len(rows) == 1
    row = json.loads((tmp_path / "results.jsonl").read_text().splitlines()[0])
    for key in ("test_r2", "message_r2_F", "message_r2_F_over_m", "recovery_r2",
                "recovery_span_r2", "train_s", "distill_s", "edge_equations", "paper_message_r2",
                "message_r2_robust_F", "message_r2_robust_F_over_m", "composed_law",
                "exact_form", "recovered_exact", "ood_r2_equations", "law_r2", "law_in_range_r2"):
        assert key in row, key
    assert row["paper_message_r2"] == 0.990 and row["min_distance"] == 0.5
    assert -1.0 <= row["message_r2_robust"] <= 1.0
    assert len(row["edge_equations"]) == 2 and row["edge_equations"][0].startswith("phi1 = ")
    assert row["distance_ratio"] > 1.0
    table = (tmp_path / "table.md").read_text().splitlines()
    assert table[0].startswith("| law | dim | strategy |") and len(table) == 3
    assert table[2].startswith("| r2 | 2 | l1 |") and table[2].count("|") == 17
    assert "r2-2 l1" in capsys.readouterr().out
    saved = joblib.load(row["model_file"])  # --save-models: re-analysis without retraining
    assert [str(eq) for eq in saved.edge_equations_] == row["edge_equations"]
    summary = benchmark_main("nbody_summary")([str(tmp_path / "results.jsonl")])
    assert summary.splitlines()[0] == "| system | l1 |"
    assert summary.splitlines()[2].startswith(f"| r2-2 | {row['message_r2']:.3f} / ")
    assert "(0.990)" in summary and "of 1 recovered" in summary
    # --sweep: one column per parameter value; rows without the parameter take the default given
    other = dict(row, l1_strength=1.0, recovered=not row["recovered"], exact_form=True)
    (tmp_path / "other.jsonl").write_text(json.dumps(other) + "\n")
    swept = benchmark_main("nbody_summary")(
        ["--sweep", "l1_strength=0.3", str(tmp_path / "results.jsonl"), str(tmp_path / "other.jsonl")]
    ).splitlines()
    assert swept[0] == "| system | 0.3 | 1.0 |" and swept[2].startswith("| r2-2 | ")
    assert swept[2].count(" ✓") + swept[2].count(" ✗") == 2 and swept[2].count(" ✓") == 1
    for kind in ("messages", "pareto"):
        png = tmp_path / "figures" / f"r2-2-l1-{kind}.png"
        assert png.read_bytes()[:4] == b"\x89PNG" and row["figures"][kind] == str(png)


@pytest.mark.slow
@pytest.mark.parametrize("law", ["spring", "r2", "charge"])
def test_l1_recovers_the_law_in_2d(law, tmp_path):
    """Issue-level acceptance at the benchmark's default budget (about 4 minutes per law on
    2 cores): the distilled L1 messages follow the true forces (or F/m_i) with R² ≥ 0.99 on
    fresh pairs reaching 1.5x the largest training distance, in under 60 s of distillation, and
    out of distribution the equations score at least the network."""
    main = benchmark_main("reproduce_nbody")
    (row,) = main(["--laws", law, "--dims", "2", "--strategies", "l1", "--out", str(tmp_path)])
    assert row["recovered"], row
    assert row["distance_ratio"] >= 1.5
    assert row["distill_s"] <= 60
    assert row["ood_r2_equations"] >= row["ood_r2_network"]


def test_bench_symbolic_quick(capsys):
    main = benchmark_main("bench_symbolic")
    results = main(["--quick"])
    assert set(results) <= {"operon", "gplearn"} and "operon" in results
    out = capsys.readouterr().out
    assert "alignment residual" in out and "operon  max_time=  1 s" in out


@pytest.mark.parametrize("name", ["reproduce_nri", "reproduce_new_laws"])
def test_own_law_benchmarks_quick(name, tmp_path, capsys):
    """The NRI-style (Data lists) and new-law (random masses) benchmarks run end to end."""
    rows = benchmark_main(name)(["--quick", "--out", str(tmp_path), "--laws",
                                 "springs" if name == "reproduce_nri" else "soft-core"])
    assert len(rows) == 1
    saved = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    for row in saved:
        for key in ("test_r2", "composed_law", "exact_form", "recovered_exact", "train_s",
                    "distill_s", "fresh_r2_in_range_equations", "fresh_r2_spread_network"):
            assert key in row, key
        assert "Σ_j" in row["composed_law"] and isinstance(row["exact_form"], bool)
    assert "seed 0" in capsys.readouterr().out


def test_cluster_benchmark_quick(tmp_path):
    """The exponential-cluster benchmark simulates a bound cluster at rest about the origin
    (energy conserved by its integrator) and runs end to end."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        cluster = __import__("reproduce_cluster")
    finally:
        sys.path.remove(str(BENCHMARKS))
    X, y = cluster.simulate(400, __import__("numpy").random.default_rng(0))
    assert X.shape == (400, 6, 6) and abs(X[..., :3].mean(axis=1)).max() < 1e-9
    r = cluster.pair_distances(X)
    assert 0.3 < r.min() and r.max() < 4  # bound: no atom leaves
    rows = cluster.main(["--quick", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "results.jsonl").read_text().splitlines()[0])
    for key in ("composed_law", "added_operators", "law_r2_beyond", "constants", "recovered",
                "node_law_reads_positions", "train_s", "distill_s"):
        assert key in saved, key
    assert len(rows) == 1 and saved["node_law_reads_positions"] is False


def test_time_to_law_benchmark_quick(tmp_path):
    """Each system and recipe runs in its own process; the row has the phase times, their sum
    and the peak memory, and the table one line per row."""
    rows = benchmark_main("bench_time_to_law")(
        ["--quick", "--laws", "spring", "--dims", "2", "--strategies", "l1", "--out",
         str(tmp_path)])
    assert len(rows) == 1 and "error" not in rows[0], rows[0].get("error")
    row = json.loads((tmp_path / "results.jsonl").read_text().splitlines()[0])
    assert row["recipe"] == "quick" and row["peak_mib"] > 100
    assert row["total_s"] == pytest.approx(row["simulate_s"] + row["train_s"] + row["distill_s"])
    assert isinstance(row["recovered_exact"], bool)
    table = (tmp_path / "table.md").read_text().splitlines()
    assert len(table) == 3 and table[2].startswith("| spring-2 | l1 | quick |")


def test_pair_term_of_composed_laws():
    """The exact-form check reads the pair term of a composed law; a law that is not linear in
    its pair sum has none."""
    import types

    import sympy

    from sklearn_symgn.distillation.composed import ComposedLaw, PairSum
    from sklearn_symgn.graphs import CompleteGraph

    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _exact import pair_term
    finally:
        sys.path.remove(str(BENCHMARKS))
    dx, r, m_i, vx_i = sympy.symbols("dx r m_i vx_i")

    def term(expression):
        law = ComposedLaw(["ax"], [expression], ["x", "vx", "m"], [0], CompleteGraph())
        return pair_term(types.SimpleNamespace(composed_law_=law))

    spring = 2 * dx * (r - 1) / r
    assert sympy.simplify(term(PairSum(spring / m_i)) - spring / m_i) == 0
    damped = PairSum(spring) / m_i - sympy.Rational(1, 2) * vx_i / m_i
    assert sympy.simplify(term(damped) - spring / m_i) == 0
    assert term(vx_i / (m_i * PairSum(spring) + 3 * PairSum(spring) ** 2)) is None

"""Side-by-side summary of ``reproduce_nbody.py`` results: one row per system, one column per
strategy, beside the paper's Table 1.

Usage::

    python benchmarks/nbody_summary.py benchmarks/results/nbody_l1_2026-11-23/results.jsonl \\
        benchmarks/results/nbody_bottleneck_2026-11-23/results.jsonl ...

Later files win where two hold the same (law, dim, strategy). With ``--sweep PARAM`` the columns
are the values of an estimator parameter (e.g. ``l1_strength``; rows without it count as its
default, given as ``--sweep l1_strength=0.3``) instead of the strategies. Each cell reads
``plain / robust message-force R² (paper) ✓|✗``: the message-force R² of the ``dim`` most
significant components (the better of ``F`` and ``F / m_i``) by least squares on all test edges
and by the reference code's robust fit (residuals above their 90th percentile left out), the
paper's Table 1 figure where it lists the system, and whether the distilled law was recovered.
"""

import argparse
import json
from pathlib import Path

from _cli import parse_value
from reproduce_nbody import LAWS, STRATEGIES


def load(paths, sweep=None):
    """Rows by (law, dim, strategy), or by (law, dim, value of ``sweep``) when ``sweep`` is
    ``(parameter, default)``."""
    rows = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                column = row["strategy"] if sweep is None else row.get(sweep[0], sweep[1])
                rows[row["law"], row["dim"], column] = row
    return rows


def cell(row):
    if row is None:
        return "—"
    robust = row.get("message_r2_robust")
    text = f"{row['message_r2']:.3f} / " + ("n/a" if robust is None else f"{robust:.3f}")
    if row.get("paper_message_r2") is not None:
        text += f" ({row['paper_message_r2']:.3f})"
    if not row["recovered"]:
        return text + " ✗"
    # ✓: the law itself (exact terms, constants within 2 %); ≈: recovery R² only
    return text + (" ≈" if row.get("exact_form") is False else " ✓")


def summary_table(rows, columns=None):
    """Markdown table of ``rows`` (from :func:`load`); ``columns`` defaults to the strategies."""
    columns = [c for c in (columns or STRATEGIES) if any(key[2] == c for key in rows)]
    lines = ["| system | " + " | ".join(map(str, columns)) + " |",
             "|---" * (len(columns) + 1) + "|"]
    for law in LAWS:
        for dim in (2, 3):
            if any((law, dim, c) in rows for c in columns):
                cells = [cell(rows.get((law, dim, c))) for c in columns]
                lines.append(f"| {law}-{dim} | " + " | ".join(cells) + " |")
    totals = []
    for c in columns:
        done = [r for key, r in rows.items() if key[2] == c]
        seconds = sum(r["distill_s"] + (0 if r["train_s"] != r["train_s"] else r["train_s"])
                      for r in done)
        exact = sum(r["recovered"] and r.get("exact_form") is not False for r in done)
        totals.append(f"{sum(r['recovered'] for r in done)} of {len(done)} recovered "
                      f"({exact} exactly), {seconds / 60:.0f} min")
    lines.append("| **total** | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results.jsonl files of reproduce_nbody.py")
    parser.add_argument("--sweep", metavar="PARAM=DEFAULT",
                        help="one column per value of this estimator parameter (rows without "
                             "it take DEFAULT), e.g. l1_strength=0.3")
    args = parser.parse_args(argv)
    sweep = None
    if args.sweep:
        name, _, default = args.sweep.partition("=")
        sweep = (name, parse_value(default) if default else None)
    rows = load(args.results, sweep)
    columns = None if sweep is None else sorted({key[2] for key in rows}, key=str)
    table = summary_table(rows, columns)
    print(table)
    return table


if __name__ == "__main__":
    main()

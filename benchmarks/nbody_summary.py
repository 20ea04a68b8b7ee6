"""Side-by-side summary of ``reproduce_nbody.py`` results: one row per system, one column per
strategy, beside the paper's Table 1.

Usage::

    python benchmarks/nbody_summary.py benchmarks/results/nbody_l1_2026-11-23/results.jsonl \\
        benchmarks/results/nbody_bottleneck_2026-11-23/results.jsonl ...

Later files win where two hold the same (law, dim, strategy). Each cell reads
``plain / robust message-force R² (paper) ✓|✗``: the message-force R² of the ``dim`` most
significant components (the better of ``F`` and ``F / m_i``) by least squares on all test edges
and by the reference code's robust fit (residuals above their 90th percentile left out), the
paper's Table 1 figure where it lists the system, and whether the distilled law was recovered.
"""

import argparse
import json
from pathlib import Path

from reproduce_nbody import LAWS, STRATEGIES


def load(paths):
    rows = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                rows[row["law"], row["dim"], row["strategy"]] = row
    return rows


def cell(row):
    if row is None:
        return "—"
    robust = row.get("message_r2_robust")
    text = f"{row['message_r2']:.3f} / " + ("n/a" if robust is None else f"{robust:.3f}")
    if row.get("paper_message_r2") is not None:
        text += f" ({row['paper_message_r2']:.3f})"
    return text + (" ✓" if row["recovered"] else " ✗")


def summary_table(rows):
    strategies = [s for s in STRATEGIES if any(key[2] == s for key in rows)]
    lines = ["| system | " + " | ".join(strategies) + " |", "|---" * (len(strategies) + 1) + "|"]
    for law in LAWS:
        for dim in (2, 3):
            if any((law, dim, s) in rows for s in strategies):
                cells = [cell(rows.get((law, dim, s))) for s in strategies]
                lines.append(f"| {law}-{dim} | " + " | ".join(cells) + " |")
    totals = []
    for s in strategies:
        done = [r for key, r in rows.items() if key[2] == s]
        seconds = sum(r["train_s"] + r["distill_s"] for r in done)
        totals.append(f"{sum(r['recovered'] for r in done)} of {len(done)} recovered, "
                      f"{seconds / 60:.0f} min")
    lines.append("| **total** | " + " | ".join(totals) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results.jsonl files of reproduce_nbody.py")
    args = parser.parse_args(argv)
    table = summary_table(load(args.results))
    print(table)
    return table


if __name__ == "__main__":
    main()

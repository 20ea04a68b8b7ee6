"""Merge training rows (train_s) with re-distilled rows into one results.jsonl per seed.

Usage (from the repository root): ``python .../assemble.py SEED OUT_DIR``; reads
``/tmp/bench/l1_seed<SEED>/results.jsonl`` and ``/tmp/bench/redistill_seed<SEED>/*/``.
"""

import glob
import json
import pathlib
import sys

sys.path.insert(0, "benchmarks")
from reproduce_nbody import markdown_table  # noqa: E402


def main(seed, out):
    train = {}
    for line in open(f"/tmp/bench/l1_seed{seed}/results.jsonl"):
        row = json.loads(line)
        train[row["law"], row["dim"]] = row
    rows = []
    for path in sorted(glob.glob(f"/tmp/bench/redistill_seed{seed}/*/results.jsonl")):
        for line in open(path):
            row = json.loads(line)
            trained = train.get((row["law"], row["dim"]))
            if trained:
                row.update(train_s=trained["train_s"], model_file=None)
                row.pop("loaded_from", None)
            rows.append(row)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)
    (out / "table.md").write_text(markdown_table(rows))
    print(len(rows), "rows;", sum(r["recovered_exact"] for r in rows), "exact;",
          sum(r["recovered"] for r in rows), "recovered")


if __name__ == "__main__":
    main(sys.argv[1], pathlib.Path(sys.argv[2]))

"""Merge training rows (train_s) with re-distilled rows into one results.jsonl per seed."""
import json, sys, glob, pathlib
seed, out = sys.argv[1], pathlib.Path(sys.argv[2])
train = {}
for line in open(f"/tmp/bench/l1_seed{seed}/results.jsonl"):
    r = json.loads(line); train[(r["law"], r["dim"])] = r
rows = []
for path in sorted(glob.glob(f"/tmp/bench/redistill_seed{seed}/*/results.jsonl")):
    for line in open(path):
        r = json.loads(line)
        t = train.get((r["law"], r["dim"]))
        if t:
            r["train_s"] = t["train_s"]
            r["model_file"] = None
            r.pop("loaded_from", None)
        rows.append(r)
out.mkdir(parents=True, exist_ok=True)
with open(out / "results.jsonl", "w") as f:
    for r in rows: f.write(json.dumps(r) + "\n")
sys.path.insert(0, "benchmarks")
from reproduce_nbody import markdown_table
(out / "table.md").write_text(markdown_table(rows))
print(len(rows), "rows;", sum(r["recovered_exact"] for r in rows), "exact;", sum(r["recovered"] for r in rows), "recovered")

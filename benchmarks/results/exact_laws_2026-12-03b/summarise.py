"""Per-column totals and one line per system of ``reproduce_nbody.py`` result files.

A column is one file (one strategy and seed). Totals: systems whose law is recovered
(``recovered_exact``), systems whose equations beat the network out of distribution
(``ood_r2_equations >= max(0.99, ood_r2_network)``), and the largest distillation time.

Usage: ``python summarise.py FILE.jsonl [FILE.jsonl ...]``
"""

import json
import sys

NAN = float("nan")


def beats(row):
    return row["ood_r2_equations"] >= max(0.99, row["ood_r2_network"])


for path in sys.argv[1:]:
    with open(path) as lines:
        rows = [json.loads(line) for line in lines]
    recovered = [r for r in rows if r["recovered_exact"]]
    ahead = [r for r in rows if beats(r)]
    print(f"== {path}: law recovered {len(recovered)}/{len(rows)}, equations beat the network "
          f"OOD {len(ahead)}/{len(rows)}, distill max {max(r['distill_s'] for r in rows):.0f} s")
    for r in rows:
        law = f"{r.get('law_r2', NAN):.4f}/{r.get('law_in_range_r2', NAN):.4f}"
        ood = f"{r['ood_r2_network']:.3f}/{r['ood_r2_equations']:.3f}"
        print(f"  {r['law']}-{r['dim']}", "exact", r.get("exact_form"), "law", law,
              "REC", r["recovered_exact"], "ood", ood, "ahead" if beats(r) else "BEHIND",
              f"dist {r['distill_s']:.0f}", r["composed_law"].split("\n")[0][:90])

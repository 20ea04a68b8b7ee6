"""One line per system of ``reproduce_nbody.py`` result files: exact form, law R² (spread / in
range), law recovered, OOD R² (network / equations), distillation seconds, composed law (x).

Usage: ``python summarise.py FILE.jsonl [FILE.jsonl ...]``
"""

import json
import sys

NAN = float("nan")

for path in sys.argv[1:]:
    print("==", path)
    with open(path) as lines:
        for line in lines:
            r = json.loads(line)
            law = f"{r.get('law_r2', NAN):.4f}/{r.get('law_in_range_r2', NAN):.4f}"
            ood = f"{r['ood_r2_network']:.3f}/{r['ood_r2_equations']:.3f}"
            print(f"{r['law']}-{r['dim']}", "exact", r.get("exact_form"), "law", law,
                  "REC", r["recovered_exact"], "ood", ood, f"dist {r['distill_s']:.0f}",
                  r["composed_law"].split("\n")[0][:100])

import json,sys
for path in sys.argv[1:]:
    print("==", path)
    for l in open(path):
        r=json.loads(l)
        print(f"{r['law']}-{r['dim']}", "exact", r.get("exact_form"), "law %.4f/%.4f" % (r.get("law_r2",float('nan')), r.get("law_in_range_r2",float('nan'))), "REC", r["recovered_exact"], "ood %.3f/%.3f" % (r["ood_r2_network"], r["ood_r2_equations"]), "dist %d" % r["distill_s"], r["composed_law"].split("\n")[0][:100])

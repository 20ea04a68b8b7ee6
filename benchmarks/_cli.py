"""Helpers shared by the benchmark scripts' command lines."""

import json
import os
import time


def parse_value(text):
    """``"3"`` → 3, ``"0.5"`` → 0.5, ``"(64, 64)"`` → (64, 64); anything else stays a string."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_assignments(items):
    """``["l1_strength=3", "regularization=bottleneck"]`` → ``{"l1_strength": 3, ...}``."""
    return {k: parse_value(v) for k, v in (item.split("=", 1) for item in items)}


def record_row(row, log, model_path=None):
    """Note the thread count, pickle ``row["model"]`` to ``model_path`` (or drop it), and append
    the row to the open JSON-lines ``log``."""
    import joblib

    row["cpu_threads"] = int(os.environ.get("OMP_NUM_THREADS", "0")) or None
    model = row.pop("model")
    if model_path is not None:
        model_path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, model_path)
        row["model_file"] = str(model_path)
    log.write(json.dumps(row) + "\n")
    log.flush()
    return row


def fitted(model, args, load_path=None):
    """``model`` fitted on ``args`` and the seconds it took, or the model pickled at
    ``load_path`` (a re-analysis of a saved network on the same data) and NaN."""
    import joblib

    if load_path is not None:
        return joblib.load(load_path), float("nan")
    start = time.perf_counter()
    model.fit(*args)
    return model, time.perf_counter() - start

"""The validation report's baseline: the targets met and the out-of-sample figures.

It is a JSON file that ``python -m ipscsim.validation --check`` compares a new report with.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["check_baseline", "check_paths", "write_baseline"]


def check_paths(args: argparse.Namespace) -> str:
    """What is wrong with the report's and the baselines' paths ("" when nothing is)."""
    for option, path in (("--out", args.out), ("--write-baseline", args.write_baseline)):
        if path and not Path(path).parent.is_dir():
            return f"{option} {path}: the folder {str(Path(path).parent)!r} does not exist"
    if args.check:
        try:
            baseline = json.loads(Path(args.check).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            return f"--check {args.check}: cannot read it as a baseline JSON ({err})"
        if not isinstance(baseline, dict) or not isinstance(baseline.get("met"), list):
            return f"--check {args.check}: a baseline has a list 'met' (write one with --write-baseline)"
    return ""


def write_baseline(path: Path, met: dict[str, bool], mode: str, measured: dict) -> None:
    """Record the targets met and this mode's out-of-sample figures (the other mode's are kept)."""
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data = {
        "met": sorted(k for k, v in met.items() if v),
        "prediction": old.get("prediction", {}),
        "posterior": old.get("posterior", {}),
    }
    data["prediction"][mode] = measured["prediction"]["out_of_sample"]
    data["posterior"][mode] = measured["posterior"]
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def check_baseline(path: Path, met: dict[str, bool], mode: str, measured: dict) -> int:
    """1 when a target met in the baseline is lost or the out-of-sample figures got worse."""
    baseline = json.loads(path.read_text(encoding="utf-8"))
    lost = [k for k in baseline["met"] if not met.get(k, False)]
    problems = [f"targets met in {path} are no longer met: {', '.join(lost)}"] if lost else []
    gained = sorted(k for k, v in met.items() if v and k not in baseline["met"])
    if gained:  # a miss's explanation would now be stale: rerun the report and its baseline
        problems.append(f"targets missed in {path} are met now: {', '.join(gained)}")
    post_was, post_now = baseline.get("posterior", {}).get(mode), measured["posterior"]
    if post_was and post_now["coverage_out"] < post_was["coverage_out"] - 1e-9:
        problems.append(
            f"posterior intervals ({mode} mode) cover fewer left-out rows than {path}: "
            f"{post_now['coverage_out']:.3f} (was {post_was['coverage_out']:.3f})"
        )
    was, now = baseline.get("prediction", {}).get(mode), measured["prediction"]["out_of_sample"]
    if was and (now["met"] < was["met"] - 1e-9 or now["mae_pp"] > was["mae_pp"] + 0.1):
        problems.append(
            f"out-of-sample prediction ({mode} mode) got worse than {path}: rows met "
            f"{now['met']:.3f} (was {was['met']:.3f}), MAE {now['mae_pp']:.2f} percentage points "
            f"(was {was['mae_pp']:.2f})"
        )
    for p in problems:
        print(f"validation: {p}", file=sys.stderr)
    return 1 if problems else 0

"""Kill rate per area from mutmut's results under var/mutation/<area>/mutants (see mutation.sh).

Uses mutmut's own reading of each mutant's exit code: killed (a test failed, or timed out) versus
survived (every covering test passed) and "no tests" (no selected test reaches the code: a survivor
too). Mutants not run yet (an interrupted run) are counted apart, not as survivors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent / "var" / "mutation"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests", "suspicious"}


def tally(area: str) -> tuple[int, int, int, list[str]]:
    killed = decided = pending = 0
    survivors: list[str] = []
    for meta in sorted((ROOT / area / "mutants").rglob("*.meta")):
        for name, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            status = status_by_exit_code[code]
            if status in KILLED:
                killed += 1
                decided += 1
            elif status in SURVIVED:
                survivors.append(f"{name}  [{status}]")
                decided += 1
            else:
                pending += 1
    return killed, decided, pending, survivors


def main(areas: list[str]) -> None:
    print(f"{'area':<10} {'killed':>7} {'tested':>7} {'rate':>7} {'not run':>8}")
    for area in areas:
        killed, decided, pending, survivors = tally(area)
        rate = f"{100 * killed / decided:.1f}%" if decided else "-"
        print(f"{area:<10} {killed:>7} {decided:>7} {rate:>7} {pending:>8}")
        (ROOT / area / "survivors.txt").write_text("\n".join(survivors) + "\n")
    print(f"survivors: {ROOT}/<area>/survivors.txt; `cd var/mutation/<area> && ../../../.venv/bin/mutmut show NAME`")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(p.name for p in ROOT.iterdir() if p.is_dir()))

"""Kill rate per area from mutmut's results under var/mutation/<area>/mutants (see mutation.sh).

Exit codes mutmut records per mutant: 1 = a test failed (killed), 0 = all passed (survived),
others: timeouts and crashes, which count as killed (the mutant was noticed), or not run yet."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "var" / "mutation"


def tally(area: str) -> tuple[int, int, list[str]]:
    killed = total = 0
    survivors: list[str] = []
    for meta in sorted((ROOT / area / "mutants").rglob("*.meta")):
        for name, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            if code is None:  # not run (no test covers it, or the run stopped early)
                survivors.append(f"{name} (not covered)")
                total += 1
                continue
            total += 1
            if code == 0 or code == 5:
                survivors.append(name)
            else:
                killed += 1
    return killed, total, survivors


def main(areas: list[str]) -> None:
    print(f"{'area':<10} {'killed':>7} {'total':>6} {'rate':>7}")
    for area in areas:
        killed, total, survivors = tally(area)
        rate = f"{100 * killed / total:.1f}%" if total else "-"
        print(f"{area:<10} {killed:>7} {total:>6} {rate:>7}")
        (ROOT / area / "survivors.txt").write_text("\n".join(survivors) + "\n")
    print(f"survivors listed in {ROOT}/<area>/survivors.txt; `cd var/mutation/<area> && "
          "../../../.venv/bin/mutmut show <name>` prints a diff")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(p.name for p in ROOT.iterdir() if p.is_dir()))

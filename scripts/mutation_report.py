"""Kill rate per area from mutmut's results under var/mutation/<area>/mutants (see mutation.sh).

Uses mutmut's own reading of each mutant's exit code: killed (a test failed, or timed out) versus
survived (every covering test passed) and "no tests" (no selected test reaches the code: a survivor
too). Mutants not run yet (an interrupted run) are counted apart, not as survivors.

Survivors that only change the English wording of a message (a string literal with a space in it,
changed, emptied to None or re-cased: error messages, ledger reasons) are listed apart as "wording"
and left out of the rate: clients branch on `extensions.code` and `fieldErrors[].field`, which stay
pinned (a field name has no space, so its mutants still count); the wording belongs to the message
catalogue and no test pins English sentences on purpose.

Survivors in a function the module calls at import (a statement built once, `_X = build()`) or
memoises (`@functools.cache`) are listed apart as "import-time": mutmut switches mutants on per
call after import, and such a function ran (or filled its cache) before any mutant was active, so
no test can see the mutant. Those statements are covered by the tests as written; mutmut cannot
measure them."""

from __future__ import annotations

import ast
import difflib
import io
import json
import sys
import tokenize
from functools import cache
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent / "var" / "mutation"
KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests", "suspicious"}


@cache
def _functions(path: Path) -> dict[str, str]:
    tree = ast.parse(path.read_text())
    return {n.name: ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def _tokens(line: str) -> list[tokenize.TokenInfo]:
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def _is_message(token: tokenize.TokenInfo) -> bool:
    return token.type == tokenize.STRING and " " in token.string


def is_wording_only(area: str, name: str) -> bool:
    """The mutant changes nothing but message text (see the module docstring)."""
    module, _, function = name.rpartition(".")
    path = ROOT / area / "mutants" / (module.replace(".", "/") + ".py")
    if not path.exists():
        return False
    functions = _functions(path)
    original = functions.get(function.rsplit("__mutmut_", 1)[0] + "__mutmut_orig")
    mutant = functions.get(function)
    if original is None or mutant is None:
        return False
    a, b = original.splitlines()[1:], mutant.splitlines()[1:]  # the def lines differ by name
    changed = [op for op in difflib.SequenceMatcher(None, a, b).get_opcodes() if op[0] != "equal"]
    if not changed:
        return False
    for tag, i1, i2, j1, j2 in changed:
        if tag != "replace" or i2 - i1 != j2 - j1:
            return False
        for old, new in zip(a[i1:i2], b[j1:j2], strict=True):
            ta, tb = _tokens(old), _tokens(new)
            if not ta or len(ta) != len(tb):
                return False
            for x, y in zip(ta, tb, strict=True):
                if x.string == y.string:
                    continue
                if not (_is_message(x) and (y.type == tokenize.STRING or y.string == "None")):
                    return False
    return True


@cache
def _built_at_import(module: str) -> frozenset[str]:
    """Functions the original module calls at module level or decorates with a cache."""
    path = ROOT.parent.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        return frozenset()
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        value = getattr(node, "value", None)
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(value, ast.Call) \
                and isinstance(value.func, ast.Name):
            names.add(value.func.id)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if "cache" in ast.unparse(decorator):
                    names.add(node.name)
    return frozenset(names)


def is_import_time(name: str) -> bool:
    module, _, function = name.rpartition(".")
    base = function.rsplit("__mutmut_", 1)[0]
    if "ǁ" in base:  # methods: never called at import
        return False
    return base.removeprefix("x_") in _built_at_import(module)


def tally(area: str) -> tuple[int, int, int, list[str], list[str], list[str]]:
    killed = decided = pending = 0
    survivors: list[str] = []
    wording: list[str] = []
    import_time: list[str] = []
    for meta in sorted((ROOT / area / "mutants").rglob("*.meta")):
        for name, code in json.loads(meta.read_text()).get("exit_code_by_key", {}).items():
            status = status_by_exit_code[code]
            if status in KILLED:
                killed += 1
                decided += 1
            elif status in SURVIVED and is_import_time(name):
                import_time.append(name)
            elif status in SURVIVED and is_wording_only(area, name):
                wording.append(name)
            elif status in SURVIVED:
                survivors.append(f"{name}  [{status}]")
                decided += 1
            else:
                pending += 1
    return killed, decided, pending, survivors, wording, import_time


def main(areas: list[str]) -> None:
    print(f"{'area':<10} {'killed':>7} {'tested':>7} {'rate':>7} {'wording':>8} {'import':>7} {'not run':>8}")
    for area in areas:
        killed, decided, pending, survivors, wording, import_time = tally(area)
        rate = f"{100 * killed / decided:.1f}%" if decided else "-"
        print(f"{area:<10} {killed:>7} {decided:>7} {rate:>7} {len(wording):>8} {len(import_time):>7} {pending:>8}")
        (ROOT / area / "import_time.txt").write_text("\n".join(import_time) + "\n")
        (ROOT / area / "survivors.txt").write_text("\n".join(survivors) + "\n")
        (ROOT / area / "wording.txt").write_text("\n".join(wording) + "\n")
    print(f"survivors: {ROOT}/<area>/survivors.txt; `cd var/mutation/<area> && ../../../.venv/bin/mutmut show NAME`")


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(p.name for p in ROOT.iterdir() if p.is_dir()))

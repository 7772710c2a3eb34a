#!/usr/bin/env bash
# Mutation testing (mutmut 3) over the rules and the store SQL of one or more areas, each with a
# fast targeted test selection (unit tests + the area's API tests on SQLite). Not part of CI: a
# full run takes long on a small machine. Prints the kill rate per area at the end.
#
#   bash scripts/mutation.sh                 # every area
#   bash scripts/mutation.sh points tiers    # some areas
#   MUTATION_JOBS=2 bash scripts/mutation.sh offers   # parallel mutants (default 1)
#   MUTATION_SAMPLE=60 bash scripts/mutation.sh       # a seeded random sample of 60 mutants per area
#
# Each area runs in its own scratch copy under var/mutation/<area>/ (git-ignored), so mutmut's
# mutants/ directory never lands in the work tree and areas can run side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/python -c "import mutmut" 2>/dev/null || .venv/bin/python -m pip install -q "mutmut>=3.3,<4"

declare -A FILES TESTS
# points: the ledger, lots, balances, expiry, history and transfers; purchases: earning rules,
# purchases and refunds, activities, and the qualifying spend tiers read.
FILES[points]="domain/points/ledger.py domain/points/lots.py domain/points/model.py domain/points/balance.py domain/points/expiry.py domain/points/queries.py domain/points/transfers.py domain/store/points_repo.py"
TESTS[points]="tests/unit/test_points_lots.py tests/api/test_points_purchases.py tests/api/test_points_moves.py tests/api/test_rule_edges.py tests/api/test_redemptions.py tests/api/test_events_referrals.py tests/api/test_subscriptions.py"
FILES[purchases]="domain/points/purchases.py domain/points/rules.py domain/points/activities.py domain/store/purchases_repo.py domain/store/spend_query.py"
TESTS[purchases]="tests/unit/test_points_rules.py tests/api/test_points_purchases.py tests/api/test_rule_edges.py"
FILES[tiers]="domain/tiers/*.py domain/store/tiers_repo.py domain/store/spend_query.py"
TESTS[tiers]="tests/unit/test_tier_rules.py tests/api/test_tiers.py tests/api/test_rule_edges.py"
FILES[offers]="domain/offers/*.py domain/store/coupons_repo.py"
TESTS[offers]="tests/unit/test_offer_rules.py tests/api/test_coupons.py tests/api/test_rule_edges.py"
FILES[benefits]="domain/benefits/*.py domain/store/rewards_repo.py"
TESTS[benefits]="tests/unit/test_reward_rules.py tests/api/test_redemptions.py tests/api/test_rule_edges.py"
FILES[checkins]="domain/checkins/*.py domain/store/checkins_repo.py"
TESTS[checkins]="tests/api/test_checkins.py tests/api/test_rule_edges.py"
FILES[partners]="domain/partners/*.py domain/store/partners_repo.py"
TESTS[partners]="tests/api/test_partners.py tests/api/test_privacy.py"
FILES[privacy]="domain/privacy/*.py domain/store/privacy_repo.py"
TESTS[privacy]="tests/api/test_privacy.py tests/api/test_rule_edges.py"
ALL=(points purchases tiers offers benefits checkins partners privacy)

areas=("$@")
[ ${#areas[@]} -eq 0 ] && areas=("${ALL[@]}")
jobs=${MUTATION_JOBS:-1}
root=$(pwd)

for area in "${areas[@]}"; do
  [ -n "${FILES[$area]:-}" ] || { echo "unknown area $area (one of: ${ALL[*]})" >&2; exit 2; }
  work=var/mutation/$area
  rm -rf "$work"
  mkdir -p "$work"
  cp -r api schema domain migrations tests alembic.ini "$work/"
  # pyproject.toml plus this area's mutmut section: which files to mutate, which tests to run.
  .venv/bin/python - "$work/pyproject.toml" "${FILES[$area]}" "${TESTS[$area]}" <<'PY'
import sys
from pathlib import Path

target, files, tests = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
quoted = lambda xs: "[" + ", ".join(f'"{x}"' for x in xs) + "]"
text = Path("pyproject.toml").read_text()
# Warnings stay errors in the suite; here a forced-fail run leaves a connection for the garbage
# collector, and mutmut runs pytest in-process, so that warning would abort the whole run.
text = text.replace('filterwarnings = [\n    "error",\n]', "filterwarnings = []")
text += f"""
[tool.mutmut]
source_paths = ["domain"]
only_mutate = {quoted(files)}
also_copy = ["api", "schema", "migrations", "alembic.ini"]
pytest_add_cli_args_test_selection = {quoted(tests)}
# A raise whose only argument is a literal message: mutating the text changes no behaviour the
# tests could pin (clients branch on extensions.code; the wording belongs to the message catalogue).
do_not_mutate_patterns = ['^\\s*raise \\w+\\(f?"[^"]*"\\)\\s*$']
# SQLite only (PostgreSQL twins would double the time and kill nothing more), no -ra noise.
pytest_add_cli_args = ["-m", "not postgres", "-q", "-p", "no:cacheprovider"]
"""
Path(target).write_text(text)
PY
  echo "== $area: mutating ${FILES[$area]}"
  names=()
  if [ -n "${MUTATION_SAMPLE:-}" ]; then
    # Generate the mutants and the per-test stats only (no name matches), then run a seeded sample.
    (cd "$work" && "$root/.venv/bin/mutmut" run --max-children "$jobs" "none-such-mutant" > generate.log 2>&1) || true
    mapfile -t names < <(.venv/bin/python - "$work/mutants" "$MUTATION_SAMPLE" <<'PY'
import json, random, sys
from pathlib import Path
keys = sorted(k for meta in Path(sys.argv[1]).rglob("*.meta") for k in json.loads(meta.read_text())["exit_code_by_key"])
print("\n".join(random.Random(21).sample(keys, min(int(sys.argv[2]), len(keys)))))
PY
)
    echo "   sample of ${#names[@]} mutants"
  fi
  (cd "$work" && "$root/.venv/bin/mutmut" run --max-children "$jobs" "${names[@]}" > run.log 2>&1) || echo "mutmut exited $? for $area (see $work/run.log)"
done

.venv/bin/python scripts/mutation_report.py "${areas[@]}"

#!/usr/bin/env bash
# The failgate GitHub Action's one step (action.yml runs exactly this; so does
# tests/acceptance/action/test_action.py, with the variables Actions sets).
#
# Installs failgate from the action's own checkout (it is not on the package
# index yet), then runs validate, the ledger check against the base and the
# gate. Every check runs even when an earlier one fails, so one push shows
# every problem; the step exits with the worst status (2 > 1 > 0).
#
# Inputs arrive as INPUT_BASE, INPUT_DATASET, INPUT_HTML, INPUT_INSTALL.
# Actions provides GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_EVENT_NAME,
# GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP and
# GITHUB_ACTIONS=true (under which failgate prints ::error annotations at the
# case's file and line, and the gate appends its Markdown to the step summary).
set -uo pipefail

action_path="${GITHUB_ACTION_PATH:?run by GitHub Actions (or a test that sets GITHUB_ACTION_PATH)}"
cd "${GITHUB_WORKSPACE:-.}"
reports="${RUNNER_TEMP:-/tmp}/failgate-reports"
mkdir -p "$reports"
[ -n "${GITHUB_OUTPUT:-}" ] && echo "reports=$reports" >> "$GITHUB_OUTPUT"

worst=0
note() { worst=$(( $1 > worst ? $1 : worst )); }
run() {
    echo "::group::$*"
    "$@"
    local status=$?
    echo "::endgroup::"
    [ "$status" -ne 0 ] && echo "::error title=failgate::\`$*\` exited $status"
    note "$status"
    return 0
}

echo "::group::install failgate from $action_path"
python -m pip install --disable-pip-version-check --quiet "$action_path" || { echo "::error title=failgate::installing failgate from $action_path failed"; exit 2; }
echo "::endgroup::"
if [ -n "${INPUT_INSTALL:-}" ]; then
    echo "::group::install: $INPUT_INSTALL"
    bash -c "$INPUT_INSTALL" || { echo "::error title=failgate::the install input failed: $INPUT_INSTALL"; exit 2; }
    echo "::endgroup::"
fi

if [ -n "${INPUT_DATASET:-}" ]; then
    # The dataset's location is policy read from [tool.failgate] (the gate takes it from the base);
    # an action input must not quietly point the checks somewhere else.
    configured=$(python -c 'import os; from failgate.config import load_config; c = load_config(); print(os.path.relpath(c.dataset_dir, c.root))') || exit 2
    wanted=$(python -c 'import os, sys; print(os.path.normpath(sys.argv[1]))' "$INPUT_DATASET")
    if [ "$configured" != "$wanted" ]; then
        echo "::error title=failgate::the dataset input is $wanted but [tool.failgate] dataset is $configured; fix one of them"
        exit 2
    fi
fi

# Bases for the ledger check. A pull request is checked out as a merge GitHub made
# itself, ignoring failgate's merge drivers: checking against the target catches a
# line that merge lost, against the head a line lost from the branch's own side.
ledger_bases=()
if [ -n "${INPUT_BASE:-}" ]; then
    ledger_bases=("$INPUT_BASE")
elif [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ]; then
    # A read loop, not mapfile: macOS runners' bash is 3.2.
    while IFS= read -r line; do ledger_bases+=("$line"); done < <(python - "${GITHUB_EVENT_NAME:-}" "$GITHUB_EVENT_PATH" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
event = json.load(open(path, encoding="utf-8"))
if name in ("pull_request", "pull_request_target"):
    pr = event.get("pull_request") or {}
    if (pr.get("base") or {}).get("ref"):
        print("origin/" + pr["base"]["ref"])
    if (pr.get("head") or {}).get("sha"):
        print(pr["head"]["sha"])
elif name == "push" and event.get("before") and set(event["before"]) != {"0"}:
    print(event["before"])
PY
)
fi

run failgate validate
if [ "${#ledger_bases[@]}" -eq 0 ]; then
    echo "failgate: no base for the ledger check (not a pull request or a push with a previous tip); skipped"
fi
for base in ${ledger_bases[@]+"${ledger_bases[@]}"}; do  # bash 3.2 calls an empty array unbound
    run failgate check-ledger --base "$base"
done

gate=(failgate gate --format junit --output "$reports/failgate-gate.xml")
[ -n "${INPUT_BASE:-}" ] && gate+=(--base "$INPUT_BASE")
[ -n "${INPUT_HTML:-}" ] && gate+=(--html "$reports/$(basename "$INPUT_HTML")")
run "${gate[@]}"

exit "$worst"

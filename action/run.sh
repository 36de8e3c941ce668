#!/usr/bin/env bash
# The failgate GitHub Action's one step (action.yml runs exactly this; so does
# tests/acceptance/action/test_action.py, with the variables Actions sets).
#
# Installs failgate from the action's own checkout (it is not on the package
# index yet), then runs validate, the ledger check against the base and the
# gate. Every check runs even when an earlier one fails, so one push shows
# every problem; the step exits with the worst status (2 > 1 > 0).
#
# Inputs arrive as INPUT_BASE, INPUT_DATASET, INPUT_HTML, INPUT_INSTALL, INPUT_COMMENT, INPUT_NOTIFY
# and INPUT_TOKEN (the pull-request comment's token: kept in a shell variable and
# removed from the environment first, so the agent the gate runs never sees it).
# Actions provides GITHUB_ACTION_PATH, GITHUB_WORKSPACE, GITHUB_EVENT_NAME,
# GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, RUNNER_TEMP and
# GITHUB_ACTIONS=true (under which failgate prints ::error annotations at the
# case's file and line, and the gate appends its Markdown to the step summary).
set -uo pipefail

comment_token="${INPUT_TOKEN:-}"
unset INPUT_TOKEN

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
elif name == "merge_group" and (event.get("merge_group") or {}).get("base_sha"):
    print(event["merge_group"]["base_sha"])
elif name == "push" and event.get("before") and set(event["before"]) != {"0"}:
    import subprocess
    before = event["before"]
    if subprocess.run(["git", "cat-file", "-e", before + "^{commit}"], capture_output=True).returncode == 0:
        print(before)
    else:
        # A force push that rewound the branch: its old tip is gone from every clone.
        print(f"::warning title=failgate::the branch's old tip {before[:10]} is gone: a force push rewrote it, "
              "and what it held beyond the new tip is no longer on the branch (recover it from a clone that "
              "still has it: git reflog); the ledger is checked against the default branch instead", file=sys.stderr)
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
# The gate on main tells people (a pull request's gate never does: its red is the author's to fix).
if [ "${INPUT_NOTIFY:-true}" = "true" ] && [ "${GITHUB_EVENT_NAME:-}" = "push" ] && [ -n "${GITHUB_EVENT_PATH:-}" ] \
    && python - "$GITHUB_EVENT_PATH" <<'PY'
import json, sys
event = json.load(open(sys.argv[1], encoding="utf-8"))
default = (event.get("repository") or {}).get("default_branch")
sys.exit(0 if default and event.get("ref") == f"refs/heads/{default}" else 1)
PY
then
    gate+=(--notify)
fi
# The gate's Markdown goes to its own file first: it is both the step summary and the
# pull request's comment (decisions and policy changes first, then matrix, flips, failures).
gate_md="$reports/failgate-gate.md"
: > "$gate_md"
summary="${GITHUB_STEP_SUMMARY:-}"
GITHUB_STEP_SUMMARY="$gate_md" run "${gate[@]}"
[ -n "$summary" ] && cat "$gate_md" >> "$summary"

if [ "${INPUT_COMMENT:-true}" = "true" ]; then
    # One comment per pull request, updated on each push; never changes the exit status.
    FAILGATE_GITHUB_TOKEN="$comment_token" python -m failgate.pullrequest "$gate_md"
fi

exit "$worst"

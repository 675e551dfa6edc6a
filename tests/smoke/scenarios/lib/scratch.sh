# Sourced by this project's own scenarios: a clean environment and a scratch
# git repository for the installed `smoke` command to work on.
set -uo pipefail

# Nothing from the caller may steer the smoke under test: not a manifest, a
# task, an agent marker, or the variables git sets while it runs a hook.
unset SMOKE_MANIFEST WG_SMOKE_MANIFEST SMOKE_TASK WG_TASK_ID WG_AGENT_ID CLAUDECODE \
      SMOKE_AGENT_OVERRIDE WG_SMOKE_AGENT_OVERRIDE SMOKE_ALLOW_SHRINK SMOKE_BIN SKIP \
      GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX GIT_OBJECT_DIRECTORY \
      PRE_COMMIT PRE_COMMIT_FROM_REF PRE_COMMIT_TO_REF PRE_COMMIT_LOCAL_BRANCH PRE_COMMIT_REMOTE_BRANCH \
      PRE_COMMIT_REMOTE_NAME PRE_COMMIT_REMOTE_URL NO_COLOR FORCE_COLOR \
      CODEX_THREAD_ID COPILOT_CLI COPILOT_AGENT_SESSION_ID GEMINI_CLI CURSOR_AGENT
export GIT_AUTHOR_NAME=smoke GIT_AUTHOR_EMAIL=smoke@example.com
export GIT_COMMITTER_NAME=smoke GIT_COMMITTER_EMAIL=smoke@example.com

# new_repo DIR: an initialised repository with one commit; the shell moves into it.
new_repo() {
  mkdir -p "$1" && cd "$1" || exit 1
  git init -q -b main
  echo "scratch repository" > README
  git add README && git commit -qm "initial" --no-verify
}

# manifest: the manifest text from stdin into tests/smoke/manifest.toml.
manifest() {
  mkdir -p tests/smoke
  cat > tests/smoke/manifest.toml
}

# A smoke run inside a scenario is not the CI job's own: under GitHub Actions
# it must not annotate the job or write to its summary.
unset GITHUB_ACTIONS GITHUB_STEP_SUMMARY

# scripted_login_repo DIR: a repository whose scenario login_works (owned by t1)
# runs scenarios/login.sh, which checks src/login.txt; committed, the shell in it.
scripted_login_repo() {
  new_repo "$1"
  manifest <<'TOML'
[[scenario]]
name = "login_works"
script = "scenarios/login.sh"
owners = ["t1"]
[scenario.expect]
stdout_contains = ["login-ok"]
TOML
  mkdir -p tests/smoke/scenarios src
  printf 'grep -q accept src/login.txt && echo login-ok\n' > tests/smoke/scenarios/login.sh
  echo "accept" > src/login.txt
  git add -A && git commit -qm "login" --no-verify
}

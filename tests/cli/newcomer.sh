#!/usr/bin/env bash
# A newcomer's first hour with the `ekyc` command line, scripted: every command's happy path and its main error
# paths, as docs/cli.md documents them. Every run is checked for: the documented exit code, no traceback, no
# "internal error", stderr made only of one-line `error: …` / `note: …` messages (exactly one error line for a
# failed command), and JSON that parses for --format json. Run by tests/cli/test_newcomer.py (so by `make test`).
#
#   EKYC=path/to/ekyc PYTHON=path/to/python bash tests/cli/newcomer.sh
set -u
EKYC=${EKYC:-ekyc}
PY=${PYTHON:-python3}
work=$(mktemp -d)
server_pid=""
failures=0
runs=0

cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect CODE [--json] [--errors N] -- ARGS…: run `ekyc ARGS…`, check how it ended; output in $work/out, $work/err
expect() {
  local want=$1 json=no errors=""
  shift
  while [ "$1" != "--" ]; do
    case $1 in
      --json) json=yes ;;
      --errors) errors=$2; shift ;;
    esac
    shift
  done
  shift
  runs=$((runs + 1))
  local got=0
  "$EKYC" "$@" >"$work/out" 2>"$work/err" </dev/null || got=$?
  local what="ekyc $*"
  [ "$got" = "$want" ] || fail "$what: exit $got, expected $want; stderr: $(head -c 600 "$work/err")"
  if grep -q -e 'Traceback' -e 'internal error' "$work/out" "$work/err"; then
    fail "$what: printed a traceback or an internal error: $(head -c 600 "$work/err")"
  fi
  if grep -v -e '^error: ' -e '^note: ' "$work/err" | grep -q .; then
    fail "$what: stderr has lines that are not 'error: …' or 'note: …': $(head -c 600 "$work/err")"
  fi
  local n
  n=$(grep -c '^error: ' "$work/err")
  if [ -z "$errors" ]; then
    case $want in 0|3|4) errors=0 ;; *) errors=1 ;; esac
  fi
  [ "$n" = "$errors" ] || fail "$what: $n error lines on stderr, expected $errors: $(head -c 600 "$work/err")"
  # every table output (and every note) keeps to 80 columns
  [ "$json" = yes ] || narrow "$work/out" "$what (stdout)"
  narrow "$work/err" "$what (stderr)"
  if [ "$json" = yes ] && ! "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out" 2>/dev/null; then
    fail "$what: --format json printed no valid JSON: $(head -c 300 "$work/out")"
  fi
}

# has PATTERN FILE: the last run printed PATTERN (fixed string) in out or err
has() {
  grep -qF -- "$1" "$work/$2" || fail "expected '$1' in $2 of the last run: $(head -c 600 "$work/$2")"
}
hasnt() {
  if grep -qF -- "$1" "$work/out" "$work/err"; then fail "'$1' must not be printed: $(head -c 600 "$work/out")"; fi
}
json_get() {  # json_get KEY: a top-level value of the last run's JSON
  "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$work/out" "$1"
}

# narrow FILE WHAT: no line wider than 80 columns, but a URL alone (after an optional "key  " label) may be;
# `error:` lines are one line by contract and are not checked
narrow() {
  "$PY" - "$1" <<'PYEOF' || fail "$2 is wider than 80 columns: $(cat "$1")"
import re, sys
wide = [line for line in open(sys.argv[1], encoding="utf-8").read().splitlines()
        if len(line) > 80 and not line.startswith("error: ")
        and not re.fullmatch(r"\s*(\S+(\s\S+)*\s{2,})?\S*://\S+", line)]
sys.exit(1 if wide else 0)
PYEOF
}

# -- offline: version, help, the demo, the comparison, capabilities ---------------------------------------------
export COLUMNS=80
expect 0 -- --version
grep -qE '^ekyc [0-9]+\.[0-9]+' "$work/out" || fail "--version printed: $(cat "$work/out")"
expect 2 -- nosuch
has "No such command" err
expect 0 -- demo --provider tencent
has "matched their scenario" out
expect 2 -- demo --provider nosuch
has "error: --provider: unknown provider 'nosuch'" err
expect 0 -- compare --format md --output "$work/comparison.md"
grep -q '^# Provider comparison' "$work/comparison.md" || fail "compare --output wrote no Markdown"
expect 0 --json -- capabilities --format json
expect 0 -- capabilities
has "document+face_match+liveness," out
expect 0 -- compare
has "X-Webhook-Signature" out

# -- configuration: one line per problem, never a credential ----------------------------------------------------
expect 0 -- check-config
has "the local sandbox" out
EKYC_PROVIDER=didit expect 1 -- check-config
has "error: the provider is 'didit' but it is not configured" err
hasnt "configuration OK"
EKYC_PROVIDER=alibaba ALIBABA_CLOUD_ACCESS_KEY_ID=x ALIBABA_CLOUD_ACCESS_KEY_SECRET=y \
  expect 2 -- create --reference user-1
has "error: --client-metadata: " err
expect 1 -- check-config --config "$work/missing.toml"
has "error: --config $work/missing.toml does not exist" err
DIDIT_API_KEY=canary-didit-key TENCENTCLOUD_SECRET_ID=canary-id TENCENTCLOUD_SECRET_KEY=canary-key \
  EKYC_DIDIT_ENDPOINT='https://user:canary-url-password@didit.example/v3' \
  expect 1 --errors 2 -- check-config
has "no default is set" err
has "workflow_id" err
has "https://***@didit.example/v3" out
hasnt canary

# -- create and result with nothing configured (the in-process sandbox) ----------------------------------------
expect 0 --json -- create --reference user-1 --provider tencent --format json
has "ekyc sandbox serve" err
ref=$(json_get ref)
case $ref in tencent:*) ;; *) fail "create printed ref '$ref', not the stored form" ;; esac
expect 1 -- result "$ref"
has "ekyc sandbox serve" err
expect 2 -- create --reference user-1 --check docs
has "'--check'" err
expect 2 -- create --reference user-1 --country Narnia
has "error: --country:" err
expect 2 -- result 'didit:not-a-session'
has "error: REF:" err

# -- the served sandbox: paste the banner, create, complete, result -----------------------------------------------
expect 2 -- sandbox serve --host 0.0.0.0 --port 0
has "--allow-remote" err
"$EKYC" sandbox serve --port 0 --no-deliver-webhooks >"$work/serve.out" 2>"$work/serve.err" </dev/null &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q 'Return page' "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
base=$(sed -n 's/^ekyc sandbox listening on \(http[^ ]*\).*/\1/p' "$work/serve.out")
[ -n "$base" ] || { fail "sandbox serve printed no URL: $(cat "$work/serve.out" "$work/serve.err")"; exit 1; }
narrow "$work/serve.out" "the sandbox serve banner"
expect 1 -- sandbox serve --port "${base##*:}"
has "already in use" err
eval "$(grep "^export " "$work/serve.out")"
[ "${EKYC_PROVIDER:-}" = didit ] || fail "the banner exports no EKYC_PROVIDER"
expect 0 -- check-config
has "configuration OK" out
expect 0 -- create --reference user-2
grep -qE "^url +$base/[^ ]+$" "$work/out" || fail "create's url is not one unbroken line: $(cat "$work/out")"
ref=$(sed -n 's/^ref  *//p' "$work/out")
url=$(sed -n 's/^url  *//p' "$work/out")
expect 4 -- result "$ref"
has "PENDING" out
expect 0 --json -- sandbox complete "$url" --scenario approved --format json
expect 0 -- result "$ref"
has "APPROVED" out
expect 2 -- sandbox complete "$url" --scenario nosuch
has "--scenario" err
expect 2 -- sandbox complete "$url" --scenario retry_limit
has "cannot play it" err
hasnt "<"
expect 0 --json -- create --reference user-3 --provider tencent --format json
ref=$(json_get ref)
url=$(json_get url)
expect 0 -- sandbox complete "$url" --scenario face_mismatch
expect 3 --json -- result "$ref" --format json
[ "$(json_get outcome)" = DECLINED ] || fail "tencent face_mismatch did not decline"
expect 3 -- result "$ref"
has "FACE_MISMATCH (provider code" out
# the provider goes away: a temporary error, exit 5
kill "$server_pid"
wait "$server_pid" 2>/dev/null
server_pid=""
EKYC_RETRY_MAX_ATTEMPTS=1 expect 5 -- result "$ref"

echo "newcomer: $runs runs, $failures failures"
[ "$failures" = 0 ]

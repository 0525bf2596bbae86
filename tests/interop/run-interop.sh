#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# run-interop.sh: the `interop` test.  Starts the real perchd (demo pool) on
# loopback in a temporary directory, then drives two stock pidgin-sipe
# clients through libpurple (sipe-driver) at the same time:
#
#   alice: sign in, list rooms, join General, read its history, post a line,
#          see her own line come back, see bob's line, see bob in the
#          roster and leave it when he signs off
#   bob:   sign in, join General, see alice's line (live or as history),
#          post a line
#
# then a third, carol, who joins General by URI straight after signing in
# (so SIPE queues it and sends cmd:bjoin), finds both lines in the history
# and leaves the room (cmd:part); and asserts on their output.  perchd is stopped with SIGTERM and the
# temporary directory removed on every path.  Exit status follows meson's
# exitcode protocol: 0 pass, 1 fail, 77 skip (no libpurple or no pidgin-sipe).
#
# Usage: run-interop.sh PERCHD SIPE_DRIVER SAX1_SHIM
#        run-interop.sh --skip REASON
# Environment: PERCHD, SIPE_DRIVER, SAX1_SHIM stand in for missing arguments;
# PERCH_INTEROP_DEBUG=1 makes the drivers log every SIP message (kept in the
# logs printed on failure); PERCH_INTEROP_KEEP=1 keeps the temporary
# directory; PERCH_INTEROP_TIMEOUT (seconds, default 60) bounds each driver.

set -u

if [ "${1:-}" = "--skip" ]; then
  echo "SKIP: ${2:-interop test not available}"
  exit 77
fi

perchd=${1:-${PERCHD:-}}
driver=${2:-${SIPE_DRIVER:-}}
shim=${3:-${SAX1_SHIM:-}}
timeout_s=${PERCH_INTEROP_TIMEOUT:-60}
domain=example.test

for f in "$perchd" "$driver" "$shim"; do
  if [ -z "$f" ] || [ ! -e "$f" ]; then
    echo "usage: run-interop.sh PERCHD SIPE_DRIVER SAX1_SHIM (missing: '$f')" >&2
    exit 1
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perch-interop-XXXXXX") || exit 1
perchd_pid=
driver_pids=

cleanup() {
  for pid in $driver_pids; do
    kill -TERM "$pid" 2>/dev/null
  done
  if [ -n "$perchd_pid" ] && kill -0 "$perchd_pid" 2>/dev/null; then
    kill -TERM "$perchd_pid" 2>/dev/null
    for _ in $(seq 100); do
      kill -0 "$perchd_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$perchd_pid" 2>/dev/null; then
      echo "perchd did not stop within 10 s of SIGTERM; killing it" >&2
      kill -KILL "$perchd_pid" 2>/dev/null
    fi
  fi
  wait 2>/dev/null
  if [ -n "${PERCH_INTEROP_KEEP:-}" ]; then
    echo "kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 1' INT TERM HUP

show_logs() {
  for f in "$tmp"/perchd.out "$tmp"/perchd.err "$tmp"/*.out "$tmp"/*.err; do
    [ -s "$f" ] || continue
    echo "----- $(basename "$f") (last 60 lines)"
    tail -n 60 "$f"
  done
}

failures=0
check() {   # check FILE LINE-REGEX DESCRIPTION
  if grep -Eq -- "$2" "$1"; then
    echo "ok   - $3"
  else
    echo "FAIL - $3 (no line matching /$2/ in $(basename "$1"))"
    failures=$((failures + 1))
  fi
}

# --- perchd ---
mkdir -p "$tmp/data"
"$perchd" --demo --data-dir "$tmp/data" --domain "$domain" \
  --sip-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
  >"$tmp/perchd.out" 2>"$tmp/perchd.err" &
perchd_pid=$!

sip=
for _ in $(seq 200); do   # up to 20 s
  sip=$(sed -n 's/^perchd ready.* sip=\([^ ]*\).*$/\1/p' "$tmp/perchd.out" | head -n 1)
  [ -n "$sip" ] && break
  if ! kill -0 "$perchd_pid" 2>/dev/null; then
    wait "$perchd_pid"
    echo "FAIL - perchd exited (status $?) before its ready line"
    show_logs
    exit 1
  fi
  sleep 0.1
done
if [ -z "$sip" ]; then
  echo "FAIL - no 'perchd ready ... sip=HOST:PORT' line within 20 s"
  show_logs
  exit 1
fi
echo "ok   - perchd ready, SIP at $sip"

# --- the clients ---
stamp="$$-$(date +%s)"
alice_line="hello from alice $stamp"
bob_line="hello from bob $stamp"

# In a sanitizer build the driver links ASan, whose runtime must come first
# in LD_PRELOAD, before the shim. Leaks of libpurple and SIPE are not ours to
# report (perchd stays fully checked): the driver runs without leak checks.
preload="$shim"
driver_asan_options="${ASAN_OPTIONS:-}"
asan_lib=$(ldd "$driver" 2>/dev/null | awk '/libasan/ { print $3; exit }')
if [ -n "$asan_lib" ]; then
  preload="$asan_lib:$shim"
  driver_asan_options="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fi

run_driver() {   # run_driver NAME STEP...
  local name=$1
  shift
  env -u G_DEBUG LD_PRELOAD="$preload${LD_PRELOAD:+:$LD_PRELOAD}" ASAN_OPTIONS="$driver_asan_options" \
    "$driver" --server "$sip" --user "$name" --domain "$domain" \
    --timeout "$timeout_s" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}

run_driver alice \
  signed-in rooms "join General" history \
  "post General $alice_line" \
  "expect alice $alice_line" \
  "expect bob $bob_line" \
  "member General bob" \
  "not-member General bob" &
alice_pid=$!
run_driver bob \
  signed-in "join General" \
  "expect alice $alice_line" \
  "post General $bob_line" \
  "wait-ms 500" &
bob_pid=$!
driver_pids="$alice_pid $bob_pid"

wait "$alice_pid"; alice_status=$?
wait "$bob_pid"; bob_status=$?
driver_pids=

if [ "$alice_status" = 77 ] || [ "$bob_status" = 77 ]; then
  echo "SKIP: $(grep -h 'SKIP' "$tmp"/alice.err "$tmp"/bob.err | head -n 1)"
  exit 77
fi

general_uri=$(sed -n 's/^room-uri General \(ma-chan:[^ ]*\)$/\1/p' "$tmp/alice.out")
if [ -n "$general_uri" ]; then
  run_driver carol \
    signed-in "join $general_uri" history \
    "expect alice $alice_line" \
    "expect bob $bob_line" \
    "leave General" \
    "wait-ms 300"
  carol_status=$?
else
  echo "FAIL - no 'room-uri General ma-chan://...' line from alice; carol not run"
  failures=$((failures + 1))
  carol_status=1
fi

# --- assertions ---
check "$tmp/alice.out" '^signed-in$' "alice signs in (REGISTER, Digest)"
check "$tmp/alice.out" '^room General$' "alice's room list (cmd:chansrch) has General"
check "$tmp/alice.out" '^joined General$' "alice joins General (cmd:join)"
check "$tmp/alice.out" '^history-count [1-9][0-9]*$' "alice sees General's history (cmd:bccontext)"
check "$tmp/alice.out" "^posted General $alice_line\$" "alice posts (grpchat)"
check "$tmp/alice.out" "^got General sip:alice@$domain $alice_line\$" "alice's post comes back to her"
check "$tmp/bob.out" '^signed-in$' "bob signs in"
check "$tmp/bob.out" '^joined General$' "bob joins General"
check "$tmp/bob.out" "^got General sip:alice@$domain $alice_line\$" "bob sees alice's post"
check "$tmp/bob.out" "^posted General $bob_line\$" "bob posts"
check "$tmp/alice.out" "^got General sip:bob@$domain $bob_line\$" "alice sees bob's post"
check "$tmp/alice.out" '^member General bob$' "alice sees bob in General's roster (rpl:join / ntc:join)"
check "$tmp/alice.out" '^not-member General bob$' "bob leaves alice's roster when he signs off (BYE -> ntc:part)"
check "$tmp/alice.out" '^done$' "alice signs off"
check "$tmp/bob.out" '^done$' "bob signs off"
if [ -n "$general_uri" ]; then
  check "$tmp/carol.out" "^joined General\$" "carol joins General by URI before group chat is up (cmd:bjoin)"
  check "$tmp/carol.out" "^history General sip:alice@$domain $alice_line\$" "alice's post is in carol's history"
  check "$tmp/carol.out" "^history General sip:bob@$domain $bob_line\$" "bob's post is in carol's history"
  check "$tmp/carol.out" '^left General$' "carol leaves General (cmd:part)"
  check "$tmp/carol.out" '^done$' "carol signs off"
fi
[ "$alice_status" = 0 ] || { echo "FAIL - alice's driver exited with $alice_status"; failures=$((failures + 1)); }
[ "$bob_status" = 0 ] || { echo "FAIL - bob's driver exited with $bob_status"; failures=$((failures + 1)); }
[ "$carol_status" = 0 ] || { echo "FAIL - carol's driver exited with $carol_status"; failures=$((failures + 1)); }

if ! kill -0 "$perchd_pid" 2>/dev/null; then
  echo "FAIL - perchd died during the test"
  failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  show_logs
  exit 1
fi
echo "all interop checks passed"
exit 0

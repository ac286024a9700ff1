#!/usr/bin/env bash
# Benchmarks: builds Release, then runs latchkey_bench (tests/bench) against a real latchkeyd and the
# real Secret Service (a throwaway, unlocked gnome-keyring on a private session bus) and prints the
# report; then bench_connect, `latchkey connect` against the SDK MCP server behind the test AS (Node,
# chromium for the one sign-in), beside a direct HTTP client and mcp-remote 0.15 when npm has it
# (installed into a scratch directory for the run, never into the tree). Figures only: a missed target
# is reported, never a failure. Arguments go to latchkey_bench (--seconds S per handover load, --runs N
# of `latchkey run`, --starts N daemon starts); BENCH_CONNECT_ARGS to bench_connect (--calls N, --rounds
# N, --starts N); LATCHKEY_BENCH_ONLY=daemon or =connect runs one of the two.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

only=${LATCHKEY_BENCH_ONLY:-}
apt_install "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}" util-linux
if [ "$only" != daemon ]; then
    apt_install chromium nodejs
    # npm ci replaces node_modules: only when it is not there yet (a test run may be using it).
    [ -f "$LATCHKEY_ROOT/tests/servers/node_modules/.package-lock.json" ] || npm_ci "$LATCHKEY_ROOT/tests/servers"
fi

build_dir=${LATCHKEY_BUILD_DIR:-$LATCHKEY_ROOT/build-bench}
log "building latchkey_bench and bench_connect ($build_dir, Release)"
cmake -S "$LATCHKEY_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target latchkey_bench bench_connect

# A fresh home per run: the login keyring's password is then the throwaway one below.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/runtime" LATCHKEY_BIN_DIR="$build_dir/bin"
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY

# The targets are stated for 2 cores: on a bigger machine the whole run (daemon, CLI, load clients)
# is pinned to two of them.
pin=()
if [ "$(nproc)" -gt 2 ]; then
    pin=(taskset -c 0,1)
fi

# mcp-remote, the stdio bridge most MCP clients use today, measured in the same harness when npm has it.
connect_args=(${BENCH_CONNECT_ARGS:-})
if [ "$only" != daemon ] && npm view mcp-remote@0.15 version >/dev/null 2>&1; then
    log "installing mcp-remote@0.15 into a scratch directory"
    npm install --prefix "$scratch/mcp-remote" --no-audit --no-fund --loglevel=error mcp-remote@0.15 >/dev/null
    connect_args+=(--mcp-remote "$scratch/mcp-remote/node_modules/mcp-remote/dist/proxy.js")
fi

log "running the benchmarks with a real Secret Service"
"${pin[@]}" dbus-run-session -- bash -ec '
    printf %s "throwaway-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    only=$1 build_dir=$2 connect_count=$3
    shift 3
    connect_args=("${@:1:$connect_count}")
    shift "$connect_count"
    if [ "$only" != connect ]; then
        "$build_dir/bench/latchkey_bench" "$@"
    fi
    if [ "$only" != daemon ]; then
        [ "$only" = connect ] || echo
        "$build_dir/bench/bench_connect" "${connect_args[@]}"
    fi
' bash "$only" "$build_dir" "${#connect_args[@]}" "${connect_args[@]}" "$@"

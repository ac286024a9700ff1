#!/usr/bin/env bash
# Benchmarks: builds Release, then runs latchkey_bench (tests/bench) against a real latchkeyd and the
# real Secret Service (a throwaway, unlocked gnome-keyring on a private session bus) and prints the
# report. Figures only: a missed target is reported, never a failure. Arguments go to latchkey_bench
# (--seconds S per handover load, --runs N of `latchkey run`, --starts N daemon starts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}" util-linux

build_dir=${LATCHKEY_BUILD_DIR:-$LATCHKEY_ROOT/build-bench}
log "building latchkey_bench ($build_dir, Release)"
cmake -S "$LATCHKEY_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target latchkey_bench

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

log "running latchkey_bench with a real Secret Service"
dbus-run-session -- bash -ec '
    printf %s "throwaway-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec "$@"
' bash "${pin[@]}" "$build_dir/bench/latchkey_bench" "$@"

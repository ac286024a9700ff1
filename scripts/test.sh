#!/usr/bin/env bash
# Runs every test: installs what the tests need, builds with warnings as errors, then runs the whole
# ctest suite inside a private session bus with a throwaway, unlocked gnome-keyring (the real
# Secret Service), and short libFuzzer runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}"

npm_ci "$LATCHKEY_ROOT/tests/servers"

build_dir=${LATCHKEY_BUILD_DIR:-$LATCHKEY_ROOT/build-test}
log "building ($build_dir, warnings are errors)"
build "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATCHKEY_WERROR=ON

# A fresh home per run: the login keyring's password is then the throwaway one below.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/runtime" LATCHKEY_REQUIRE_KEYCHAIN=1
unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY

log "running ctest (-j2) with a real Secret Service"
dbus-run-session -- bash -ec '
    printf %s "throwaway-pass" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    ctest --test-dir "$1" -j2 --output-on-failure -LE fuzz
' bash "$build_dir"

log "checking formatting (clang-format)"
git -C "$LATCHKEY_ROOT" ls-files '*.cpp' '*.h' | (cd "$LATCHKEY_ROOT" && xargs clang-format --dry-run -Werror)

if [ -x "$LATCHKEY_ROOT/scripts/fuzz.sh" ]; then
    log "short fuzz runs"
    FUZZ_SECONDS=${FUZZ_SECONDS:-20} "$LATCHKEY_ROOT/scripts/fuzz.sh"
fi
log "all tests passed"

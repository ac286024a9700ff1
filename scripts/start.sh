#!/usr/bin/env bash
# Quick start: installs what Latchkey needs, builds it, and starts it — the daemon and the tray
# when there is a display, else the daemon and `latchkey status`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install "${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}"
log "building (build/)"
build "$LATCHKEY_ROOT/build" -DCMAKE_BUILD_TYPE=Release
bin="$LATCHKEY_ROOT/build/bin"

# `latchkey status` starts latchkeyd on demand when its socket is absent.
"$bin/latchkey" status || true
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    log "starting latchkey-tray"
    nohup "$bin/latchkey-tray" >/dev/null 2>&1 &
fi
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    log "no desktop session bus here, so no keychain: secrets are refused (never stored in plaintext)."
    log "inside a desktop session (or a dbus-run-session with gnome-keyring unlocked) they work."
fi
cat >&2 <<MSG

Try:
  $bin/latchkey secret set my-server API_KEY          # the value is read from stdin or a prompt
  $bin/latchkey add stdio my-server --env API_KEY=secret:API_KEY -- my-mcp-server
  $bin/latchkey run my-server
MSG

#!/bin/bash
# Retakes docs/tray-window.png: latchkeyd with a few demo servers in a throwaway home and keychain,
# latchkey-tray with its window open, under Xvfb with openbox (title bar) and trayer (system tray).
#   apt-get install -y xvfb xauth imagemagick trayer openbox xdotool gnome-keyring dbus-daemon
#   docs/tray-screenshot.sh [BUILD_DIR] [OUT.png]
# DEMO_HOME (default: a fresh temporary directory) is the home the window shows paths under; it is
# deleted afterwards. MEASURE=1 also prints the tray's idle RSS and CPU time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
out=$(realpath -m "${2:-$here/tray-window.png}")

if [ -z "${LATCHKEY_SHOT_INNER:-}" ]; then
    home=${DEMO_HOME:-$(mktemp -d)}
    mkdir -p "$home"
    runtime=$(mktemp -d)
    chmod 700 "$runtime"
    trap 'rm -rf "$home" "$runtime"' EXIT
    env -u DBUS_SESSION_BUS_ADDRESS HOME="$home" XDG_RUNTIME_DIR="$runtime" LATCHKEY_SHOT_INNER=1 \
        dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$build" "$out"
    exit
fi

printf %s throwaway-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
bin=$build/bin
export LATCHKEY_SOCKET=$XDG_RUNTIME_DIR/latchkey/agent.sock LATCHKEY_NO_AUTOSTART=1
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

"$bin/latchkeyd" --foreground >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$LATCHKEY_SOCKET" ] && break; sleep 0.1; done
mkdir -p "$HOME/projects"
"$bin/latchkey" add stdio github --env GITHUB_PERSONAL_ACCESS_TOKEN=secret:token \
    -- npx -y @modelcontextprotocol/server-github >/dev/null
printf %s demo-token | "$bin/latchkey" secret set github token >/dev/null
"$bin/latchkey" add stdio brave-search --env BRAVE_API_KEY=secret:api-key \
    -- npx -y @modelcontextprotocol/server-brave-search >/dev/null
"$bin/latchkey" add stdio filesystem -- npx -y @modelcontextprotocol/server-filesystem "$HOME/projects" >/dev/null
"$bin/latchkey" add stdio postgres --env DATABASE_URL=secret:url -- uvx mcp-server-postgres >/dev/null
printf %s postgres://demo | "$bin/latchkey" secret set postgres url >/dev/null

# A desktop: gradient, a dark top panel holding the tray, a window manager for the title bar.
desk=$(mktemp --suffix=.png)
convert -size 1280x800 gradient:'#5e81ac'-'#3b4252' -fill '#2e3440' -draw 'rectangle 0,0 1280,29' "$desk"
display -window root "$desk" &
pids+=($!)
sleep 0.5
openbox >/dev/null 2>&1 &
pids+=($!)
trayer --edge top --align right --widthtype request --height 30 --transparent true --alpha 0 \
    --tint 0x2e3440 --distance 0 --margin 6 >/dev/null 2>&1 &
pids+=($!)
sleep 1

"$bin/latchkey-tray" --show >/dev/null 2>&1 &
tray=$!
pids+=($tray)
for _ in $(seq 100); do xdotool search --onlyvisible --name '^Latchkey$' >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
for window in $(xdotool search --onlyvisible --name '^Latchkey$'); do xdotool windowmove "$window" 260 90; done
sleep 2
shot=$(mktemp --suffix=.png)
import -window root "$shot"
convert "$shot" -crop 1280x560+0+0 +repage -strip "$out"
rm -f "$shot" "$desk"
echo "wrote $out"

if [ -n "${MEASURE:-}" ]; then
    sleep 10
    grep VmRSS "/proc/$tray/status"
    before=$(awk '{print $14 + $15}' "/proc/$tray/stat")
    sleep 30
    after=$(awk '{print $14 + $15}' "/proc/$tray/stat")
    echo "CPU over 30 s idle: $((after - before)) ticks of 1/$(getconf CLK_TCK) s"
fi

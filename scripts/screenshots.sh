#!/bin/bash
# Retakes the tray's screenshots in docs/: main-window.png (a server selected, details pane filled; also
# as tray-window.png, the Quick start's picture),
# tray-menu.png (the tray icon's menu in a panel), and consent-dialog.png where the daemon asks for consent.
# A real latchkeyd with sample servers runs in a throwaway home, session bus and keyring; the desktop is
# Xvfb with openbox (title bars) and trayer (the system tray), as platform.md ("Display") says.
#   apt-get install -y xvfb xauth imagemagick trayer openbox xdotool x11-utils gnome-keyring dbus-daemon
#   scripts/screenshots.sh [BUILD_DIR] [OUT_DIR]
# SCALE=2: everything at QT_SCALE_FACTOR=2 into OUT_DIR/*-200.png instead (the "nothing clipped" check).
# MEASURE=1: afterwards, the tray's idle RSS and CPU over 30 s with the window closed (tray only).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
outdir=$(realpath -m "${2:-$here/../docs}")

if [ -z "${LATCHKEY_SHOT_INNER:-}" ]; then
    home=$(mktemp -d)
    runtime=$(mktemp -d)
    chmod 700 "$runtime"
    trap 'rm -rf "$home" "$runtime"' EXIT
    env -u DBUS_SESSION_BUS_ADDRESS -u LATCHKEY_SOCKET HOME="$home" XDG_RUNTIME_DIR="$runtime" \
        XDG_CONFIG_HOME="$home/.config" XDG_STATE_HOME="$home/.local/state" LATCHKEY_SHOT_INNER=1 \
        dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$build" "$outdir"
    exit
fi

printf %s throwaway-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
bin=$build/bin
export LATCHKEY_SOCKET=$XDG_RUNTIME_DIR/latchkey/agent.sock LATCHKEY_NO_AUTOSTART=1
suffix=
if [ "${SCALE:-1}" != 1 ]; then
    export QT_SCALE_FACTOR=$SCALE
    suffix=-$((SCALE * 100))
fi
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

# Remote servers in each state the window shows (no authorization server is contacted for that).
mkdir -p "$XDG_CONFIG_HOME/latchkey"
remote() { # name grant reason
    printf '{"name":"%s","kind":"remote","url":"https://mcp.%s.example.com/mcp","resource":"https://mcp.%s.example.com/mcp",' "$1" "$1" "$1"
    printf '"auth_required":true,"scopes":["%s:read","%s:write"],"client_id":"lk-%s","registration":"dcr",' "$1" "$1" "$1"
    printf '"grant":{"state":"%s","reason":"%s"},"authorization_server":{"issuer":"https://login.example.com",' "$2" "$3"
    printf '"authorization_endpoint":"https://login.example.com/authorize","token_endpoint":"https://login.example.com/token"}}'
}
printf '{"schema":1,"servers":[%s,%s]}' "$(remote notes active '')" \
    "$(remote wiki needs_login 'invalid_grant: the refresh token expired')" >"$XDG_CONFIG_HOME/latchkey/servers.json"

"$bin/latchkeyd" --foreground >/dev/null 2>&1 &
pids+=($!)
daemon=$!
for _ in $(seq 100); do [ -S "$LATCHKEY_SOCKET" ] && break; sleep 0.1; done
mkdir -p "$HOME/projects"
"$bin/latchkey" add stdio github --env GITHUB_PERSONAL_ACCESS_TOKEN=secret:token \
    -- npx -y @modelcontextprotocol/server-github >/dev/null
printf %s demo-token | "$bin/latchkey" secret set github token >/dev/null
"$bin/latchkey" add stdio brave-search --env BRAVE_API_KEY=secret:api-key \
    -- npx -y @modelcontextprotocol/server-brave-search >/dev/null
"$bin/latchkey" add stdio postgres --env DATABASE_URL=secret:url -- uvx mcp-server-postgres >/dev/null
printf %s postgres://demo | "$bin/latchkey" secret set postgres url >/dev/null
# A daemon with per-app consent asks the tray before the first handout to an app (below); without it,
# a handout now, so "last used" has something to say.
consent=
if "$bin/latchkey" status --json | grep -q '"consent"'; then consent=1; else "$bin/latchkey" run github -- /bin/true >/dev/null; fi

# The crop geometry (WxH+X+Y) of a window with the window manager's frame (title bar, borders) and a
# margin around it, from where the X server says the window is (xdotool's geometry leaves the frame out).
framed() { # WINDOW MARGIN
    local ax ay w h l r t b
    read -r ax ay w h < <(xwininfo -id "$1" | awk '/Absolute upper-left X/ {x = $NF} /Absolute upper-left Y/ {y = $NF}
        /^ *Width:/ {w = $NF} /^ *Height:/ {h = $NF} END {print x, y, w, h}')
    read -r l r t b < <(xprop -id "$1" _NET_FRAME_EXTENTS | sed 's/.*= //; s/,/ /g')
    echo "$((w + ${l:-0} + ${r:-0} + 2 * $2))x$((h + ${t:-0} + ${b:-0} + 2 * $2))+$((ax - ${l:-0} - $2))+$((ay - ${t:-0} - $2))"
}

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
if [ -n "$consent" ]; then
    # An app (python3, started without a terminal, as MCP clients start servers) asks for github's secret:
    # the consent dialog. Capture it, then allow once so the handout happens.
    setsid python3 -c 'import subprocess, sys; subprocess.run([sys.argv[1], "run", "github", "--", "/bin/true"])' \
        "$bin/latchkey" </dev/null >/dev/null 2>&1 &
    for _ in $(seq 100); do xdotool search --onlyvisible --name '^Allow access to github' >/dev/null 2>&1 && break; sleep 0.1; done
    dialog=$(xdotool search --onlyvisible --name '^Allow access to github' | head -1)
    if [ -n "$dialog" ]; then
        xdotool windowmove "$dialog" 340 220
        sleep 1.5
        import -window root "$outdir/consent-full.png"
        convert "$outdir/consent-full.png" -crop "$(framed "$dialog" 20)" +repage -strip "$outdir/consent-dialog$suffix.png"
        rm -f "$outdir/consent-full.png"
        echo "wrote $outdir/consent-dialog$suffix.png"
        xdotool windowactivate --sync "$dialog" 2>/dev/null || true
        xdotool key --window "$dialog" alt+o
        sleep 1
    else
        echo "no consent dialog appeared" >&2
    fi
fi
window=$(xdotool search --onlyvisible --name '^Latchkey$' | head -1)
xdotool windowmove "$window" 20 40
xdotool windowsize "$window" 1240 750
# Select wiki (which needs a sign-in) the way a person at the keyboard would: the server list has the
# focus once it appears, and typing a name selects that server (type-ahead). No screen coordinates: it
# holds whatever the layout, the row order or the scale.
xdotool windowactivate --sync "$window"
sleep 1
xdotool type --window "$window" --delay 80 wiki
sleep 1.5
shot=$(mktemp --suffix=.png)
import -window root "$shot"
convert "$shot" -crop "$(framed "$window" 5)" +repage -strip "$outdir/main-window$suffix.png"
echo "wrote $outdir/main-window$suffix.png"
# The Quick start's picture of the window is the same view.
[ -n "$suffix" ] || cp "$outdir/main-window.png" "$outdir/tray-window.png"

# The tray menu: minimise the window, right-click the icon in trayer's panel (its rightmost icon).
xdotool windowminimize "$window"
sleep 1
icon=$(for w in $(xdotool search --class trayer); do
    eval "$(xdotool getwindowgeometry --shell "$w")"
    [ "$WIDTH" -gt 10 ] && echo "$((X + WIDTH - 12)) $((Y + HEIGHT / 2))"
done | head -1)
if [ -z "$icon" ]; then
    echo "no trayer panel found: is trayer running?" >&2
    exit 1
fi
xdotool mousemove $icon
sleep 0.5
xdotool click 3
sleep 1.5
import -window root "$shot"
# The menu is the tray's one visible window now (the main window is minimised): crop around it and the
# icon above it, with some panel to the left.
read -r mx my mw mh < <(for w in $(xdotool search --onlyvisible --class latchkey-tray); do
    [ "$w" = "$window" ] && continue
    eval "$(xdotool getwindowgeometry --shell "$w")"
    echo "$X $Y $WIDTH $HEIGHT"
done | head -1) || true
if [ -z "${mw:-}" ]; then
    echo "the tray menu did not open" >&2
    exit 1
fi
right=$(( mx + mw + 8 > 1280 ? 1280 : mx + mw + 8 ))
width=$(( mw + 200 > 560 * ${SCALE:-1} ? mw + 200 : 560 * ${SCALE:-1} ))
left=$(( right - width < 0 ? 0 : right - width ))
convert "$shot" -crop $((right - left))x$((my + mh + 16))+$left+0 +repage -strip "$outdir/tray-menu$suffix.png"
echo "wrote $outdir/tray-menu$suffix.png"
xdotool key Escape
rm -f "$shot" "$desk"

if [ -n "${MEASURE:-}" ]; then
    sleep 10
    echo "servers: $("$bin/latchkey" servers --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    grep VmRSS "/proc/$tray/status"
    before=$(awk '{print $14 + $15}' "/proc/$tray/stat")
    sleep 30
    after=$(awk '{print $14 + $15}' "/proc/$tray/stat")
    echo "tray CPU over 30 s idle: $((after - before)) ticks of 1/$(getconf CLK_TCK) s"
    grep VmRSS "/proc/$daemon/status" | sed 's/^/latchkeyd /'
fi

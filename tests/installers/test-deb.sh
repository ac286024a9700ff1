#!/usr/bin/env bash
# The DEB end to end, as root on this machine: cpack builds it (and the TGZ); dpkg -i installs it;
# latchkeyd --version and latchkey status work from /usr/bin, against a daemon started from /usr/bin in a
# throwaway home, runtime dir and keyring session, started by hand and by systemd-socket-activate (systemd's
# own socket hand-over); the systemd user units pass systemd-analyze verify;
# dpkg --purge then leaves none of the package's files, no enable symlink, and the user's keychain items
# untouched. Runs under a ctest RESOURCE_LOCK: it installs system-wide.
# usage: test-deb.sh BUILD_DIR VERSION
set -euo pipefail
build_dir=$1 version=$2

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '== %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for dpkg -i (CI runs as root)"; exit 77; }
for tool in cpack dpkg-deb dpkg-shlibdeps systemd-analyze systemd-socket-activate dbus-run-session gnome-keyring-daemon secret-tool \
    desktop-file-validate; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/lib.sh installs it)"
done
# Written before dpkg -i, removed after the purge: finding it means an earlier run of this test was killed
# (a ctest timeout) with the package still installed, so purging it is ours to do.
marker=/var/lib/latchkey-test-deb.installed
if [ -e "$marker" ]; then
    echo "purging the package an interrupted earlier run left installed"
    dpkg --purge latchkey >/dev/null 2>&1 || true
    rm -f "$marker"
fi
if dpkg-query -W -f='${Status}' latchkey 2>/dev/null | grep -q "install ok installed"; then
    fail "the latchkey package is already installed here; this test installs and purges it, so remove it first"
fi
for path in /usr/bin/latchkeyd /usr/bin/latchkey /usr/bin/latchkey-tray; do
    [ ! -e "$path" ] || fail "$path exists outside any package; not overwriting it"
done

work=$(mktemp -d)
installed=0
daemon_pid=
cleanup() {
    # The daemon's lock file names its pid, also when the session script stopped before we learnt it.
    if [ -z "$daemon_pid" ] && [ -f "$work/runtime/latchkey/agent.sock.lock" ]; then
        daemon_pid=$(head -n 1 "$work/runtime/latchkey/agent.sock.lock")
        case "$(readlink "/proc/$daemon_pid/exe" 2>/dev/null)" in /usr/bin/latchkeyd*) ;; *) daemon_pid= ;; esac
    fi
    [ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
    if [ "$installed" -eq 1 ]; then
        dpkg --purge latchkey >/dev/null 2>&1 && rm -f "$marker"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

step "cpack -G DEB;TGZ"
cpack --config "$build_dir/CPackConfig.cmake" -G "DEB;TGZ" -B "$work/pkg" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(find "$work/pkg" -maxdepth 1 -name 'latchkey_*.deb')
tgz=$(find "$work/pkg" -maxdepth 1 -name 'latchkey-*.tar.gz')
[ -f "$deb" ] && [ -f "$tgz" ] || fail "no .deb or .tar.gz in $work/pkg: $(ls "$work/pkg")"
echo "DEB $(basename "$deb"): $(stat -c %s "$deb") bytes; TGZ: $(stat -c %s "$tgz") bytes"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in libqt6core6 libqt6network6 libqt6keychain1 libqt6widgets6 libssl3 libsecret-1-0 libc6; do
    grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep (dpkg-shlibdeps not in effect?)"
done
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not $version"

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
for path in ./usr/bin/latchkeyd ./usr/bin/latchkey ./usr/bin/latchkey-tray ./usr/libexec/latchkey/latchkey-bridge \
    ./usr/lib/systemd/user/latchkeyd.socket ./usr/lib/systemd/user/latchkeyd.service \
    ./etc/xdg/autostart/latchkey-tray.desktop ./usr/share/applications/latchkey-tray.desktop \
    ./usr/share/icons/hicolor/scalable/apps/latchkey.svg ./usr/share/icons/hicolor/symbolic/apps/latchkey-symbolic.svg \
    ./usr/share/icons/hicolor/16x16/apps/latchkey.png ./usr/share/icons/hicolor/256x256/apps/latchkey.png \
    ./usr/share/doc/latchkey/README.md; do
    grep -qx -- "$path" "$work/contents" || fail "$path is not in the package"
done
tar -tzf "$tgz" | grep -q '/bin/latchkeyd$' || fail "latchkeyd is not in the TGZ"
[ "$(dpkg-deb -c "$deb" | grep -c '/icons/hicolor/[0-9]*x[0-9]*/apps/latchkey.png$')" -eq 8 ] ||
    fail "expected 8 rendered PNG sizes"

step "dpkg -i"
installed=1
touch "$marker"
if ! dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
    # Missing dependencies on a fresh machine: let apt bring them, then configure.
    DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >>"$work/dpkg.log" 2>&1 ||
        { cat "$work/dpkg.log"; fail "dpkg -i failed"; }
fi
cat "$work/dpkg.log"
dpkg-query -W -f='${Status}' latchkey | grep -q "install ok installed" || fail "latchkey is not installed"
dpkg -L latchkey >"$work/files"

[ "$(command -v latchkeyd)" = /usr/bin/latchkeyd ] || fail "latchkeyd is not /usr/bin/latchkeyd on PATH"
/usr/bin/latchkeyd --version | grep -qF "$version" || fail "latchkeyd --version does not say $version"
echo "latchkeyd --version: $(/usr/bin/latchkeyd --version)"
grep -qx 'ExecStart=/usr/bin/latchkeyd --foreground' /usr/lib/systemd/user/latchkeyd.service ||
    fail "ExecStart does not point at /usr/bin/latchkeyd"
[ "$(readlink /etc/systemd/user/sockets.target.wants/latchkeyd.socket)" = /usr/lib/systemd/user/latchkeyd.socket ] ||
    fail "postinst did not enable latchkeyd.socket globally"

step "systemd-analyze verify"
# --user needs a runtime dir even without a user manager (no systemd as PID 1 in a container).
mkdir -m 700 "$work/verify-runtime"
units=(/usr/lib/systemd/user/latchkeyd.socket /usr/lib/systemd/user/latchkeyd.service)
if ! XDG_RUNTIME_DIR="$work/verify-runtime" systemd-analyze --user --man=no verify "${units[@]}" >"$work/verify.log" 2>&1 ||
    [ -s "$work/verify.log" ]; then
    cat "$work/verify.log"
    fail "systemd-analyze verify found problems"
fi
echo "systemd-analyze --user verify: clean (exit 0, no output)"
# The same check on a broken copy must fail, or the clean result above proves nothing here.
mkdir "$work/broken"
cp /usr/lib/systemd/user/latchkeyd.socket "$work/broken/"
sed 's#^ExecStart=/usr/bin/latchkeyd #ExecStart=/usr/bin/latchkeyd-missing #' /usr/lib/systemd/user/latchkeyd.service \
    >"$work/broken/latchkeyd.service"
if XDG_RUNTIME_DIR="$work/verify-runtime" systemd-analyze --user --man=no verify \
    "$work/broken/latchkeyd.socket" "$work/broken/latchkeyd.service" >"$work/broken.log" 2>&1; then
    fail "systemd-analyze verify accepted a unit whose ExecStart does not exist"
fi
grep -q 'latchkeyd-missing is not executable' "$work/broken.log" || { cat "$work/broken.log"; fail "unexpected output"; }
desktop-file-validate /usr/share/applications/latchkey-tray.desktop /etc/xdg/autostart/latchkey-tray.desktop ||
    fail "desktop-file-validate"

step "latchkey status against /usr/bin/latchkeyd in a throwaway session"
mkdir -p "$work/home" && mkdir -m 700 "$work/runtime"
run_session() { # run_session SCRIPT: a fresh session bus with the throwaway home's login keyring unlocked
    env -i PATH=/usr/bin:/bin HOME="$work/home" XDG_RUNTIME_DIR="$work/runtime" WORK="$work" \
        dbus-run-session -- bash -ec '
            printf %s throwaway-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
            '"$1"
}
run_session '
    latchkeyd                      # detaches; exits 0 once the socket listens
    latchkey status | tee "$WORK/status.txt"
    latchkey status --json >"$WORK/status.json"
    printf %s deb-test-value | latchkey secret set deb-test DEB_TEST_KEY
    secret-tool lookup server latchkey user latchkey/secret/deb-test/DEB_TEST_KEY >"$WORK/secret-before"
    kill "$(sed -n "s/^ *\"pid\": \([0-9]*\).*/\1/p" "$WORK/status.json")"
' || fail "starting /usr/bin/latchkeyd, latchkey status or latchkey secret set failed (output above)"

step "systemd's own socket hand-over (systemd-socket-activate) to /usr/bin/latchkeyd"
# What latchkeyd.socket does, done by systemd's code: it listens, and on the first connection execs
# latchkeyd with the socket at fd 3 and LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES set.
run_session '
    mkdir -m 700 "$XDG_RUNTIME_DIR/activated"
    socket="$XDG_RUNTIME_DIR/activated/agent.sock"
    systemd-socket-activate -l "$socket" -E HOME -E XDG_RUNTIME_DIR -E DBUS_SESSION_BUS_ADDRESS -E PATH \
        /usr/bin/latchkeyd --foreground 2>"$WORK/activated.log" &
    activator=$!
    trap "kill $activator 2>/dev/null || true" EXIT # also when a check below fails
    for _ in $(seq 1 200); do [ -S "$socket" ] && break; sleep 0.1; done
    LATCHKEY_NO_AUTOSTART=1 latchkey --socket "$socket" status --json >"$WORK/activated.json"
    pid=$(sed -n "s/^ *\"pid\": \([0-9]*\).*/\1/p" "$WORK/activated.json")
    [ "$pid" = "$activator" ] || { echo "status answered by pid $pid, not the activated $activator"; exit 1; }
    [ "$(readlink "/proc/$pid/exe")" = /usr/bin/latchkeyd ] || { echo "pid $pid is not /usr/bin/latchkeyd"; exit 1; }
    kill "$pid"
    wait "$pid" || true
    # The daemon did not create the socket, so it leaves it where it is.
    [ -S "$socket" ] || { echo "latchkeyd removed the socket it was handed"; exit 1; }
' || { cat "$work/activated.log"; fail "socket activation of /usr/bin/latchkeyd by systemd-socket-activate"; }
grep -q 'listening on' "$work/activated.log" || { cat "$work/activated.log"; fail "no 'listening on' from the activated daemon"; }
echo "systemd-socket-activate: /usr/bin/latchkeyd adopted the socket, served status, left the socket on exit"
daemon_pid=$(sed -n 's/^ *"pid": \([0-9]*\).*/\1/p' "$work/status.json")
[ -n "$daemon_pid" ] || fail "no pid in latchkey status --json"
grep -q "^latchkeyd $version (pid $daemon_pid) on $work/runtime/latchkey/agent.sock" "$work/status.txt" ||
    fail "latchkey status did not report the daemon"
grep -q '^keychain: Secret Service, available' "$work/status.txt" || fail "keychain not available"
[ "$(cat "$work/secret-before")" = deb-test-value ] || fail "the secret did not land in the keychain"
for _ in $(seq 1 200); do # up to 20 s for the daemon to go
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
done
! kill -0 "$daemon_pid" 2>/dev/null || fail "latchkeyd (pid $daemon_pid) did not exit on SIGTERM"
daemon_pid=
[ ! -e "$work/runtime/latchkey/agent.sock" ] || fail "the daemon left its socket behind"

step "dpkg --purge"
dpkg -r latchkey >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r failed"; }
cat "$work/remove.log"
grep -q 'latchkey secret rm NAME KEY' "$work/remove.log" || fail "prerm did not say how to delete keychain items"
dpkg --purge latchkey >/dev/null
installed=0
rm -f "$marker"
left=0
while read -r path; do
    [ -d "$path" ] && continue # shared directories such as /usr/bin stay
    if [ -e "$path" ] || [ -L "$path" ]; then echo "left behind: $path"; left=1; fi
done <"$work/files"
[ "$left" -eq 0 ] || fail "files of the package remain after purge"
for dir in /usr/libexec/latchkey /usr/share/doc/latchkey; do [ ! -e "$dir" ] || fail "$dir remains"; done
[ ! -e /etc/systemd/user/sockets.target.wants/latchkeyd.socket ] && [ ! -L /etc/systemd/user/sockets.target.wants/latchkeyd.socket ] ||
    fail "the enable symlink remains"
echo "$(wc -l <"$work/files") paths from dpkg -L checked: none of the package's files remain"

# The user's keychain item is still there: uninstalling never deletes secrets.
run_session 'secret-tool lookup server latchkey user latchkey/secret/deb-test/DEB_TEST_KEY >"$WORK/secret-after"' ||
    fail "the keychain item is gone after the purge"
[ "$(cat "$work/secret-after")" = deb-test-value ] || fail "the keychain item did not survive the purge"
echo "keychain item still present after purge"
echo PASS

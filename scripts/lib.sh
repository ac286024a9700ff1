# Shared helpers for Latchkey's scripts. Sourced, not run.

LATCHKEY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root (or sudo) to run: $*"; fi
}

# apt_install PKG...: installs what is missing; touches the network only when something is.
apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What building Latchkey needs.
BUILD_PACKAGES=(cmake make g++ pkg-config git ca-certificates
    qt6-base-dev qt6-networkauth-dev qtkeychain-qt6-dev nlohmann-json3-dev libssl-dev libcpp-jwt-dev
    qt6-svg-dev libcurl4-openssl-dev)
# What running it needs (the Secret Service on Linux).
RUNTIME_PACKAGES=(libsecret-1-0 gnome-keyring libsecret-tools dbus-daemon)
# What the tests need on top: setpriv for the foreign-uid test, clang's libFuzzer, Xvfb and a tray
# host for screenshots, chromium for the real login pages, Node for the test servers, curl for the
# conformance runs' browser.
TEST_PACKAGES=(util-linux clang libclang-rt-14-dev clang-format xvfb xauth imagemagick trayer chromium nodejs curl)
# The installer tests (tests/installers): cpack's DEB Depends (dpkg-shlibdeps), icons rendered at build
# time, the MSI built and read back on Linux, systemd-analyze for the user units, desktop-file-validate.
TEST_PACKAGES+=(dpkg-dev librsvg2-bin wixl msitools systemd desktop-file-utils)

# build DIR [cmake args...]: configures once, then builds incrementally.
build() {
    local dir=$1; shift
    cmake -S "$LATCHKEY_ROOT" -B "$dir" "$@" >/dev/null
    cmake --build "$dir" -j"$(nproc)"
}

# npm_ci DIR: installs a Node project's pinned packages from its committed lockfile.
npm_ci() {
    local dir=$1
    if ! command -v npm >/dev/null; then apt_install npm; fi
    log "npm ci in ${dir#$LATCHKEY_ROOT/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

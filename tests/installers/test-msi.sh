#!/usr/bin/env bash
# Structural check of the MSI: builds installers/wix/latchkey.wxs with wixl (the Linux binaries stand in
# for the .exe files; Windows builds the real one, .github/workflows/windows-msi.yml) and reads the
# tables back with msiinfo: files, per-user install, start-menu shortcut, autostart rows, upgrade code.
# usage: test-msi.sh SOURCE_DIR VERSION PAYLOAD...
set -euo pipefail
source_dir=$1 version=$2
shift 2

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
for tool in wixl msiinfo msiextract; do
    command -v "$tool" >/dev/null || fail "$tool is missing (apt packages wixl msitools)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
for payload in "$@"; do # stripped: the debug info would only slow wixl's compression down
    strip -o "$work/bin/$(basename "$payload").exe" "$payload" 2>/dev/null || cp "$payload" "$work/bin/$(basename "$payload").exe"
done
for exe in latchkeyd latchkey latchkey-bridge latchkey-tray; do # e.g. no tray in this build
    [ -e "$work/bin/$exe.exe" ] || printf 'placeholder for %s\n' "$exe" >"$work/bin/$exe.exe"
done

# wixl resolves Source= relative to the working directory.
(cd "$work" && wixl -a x64 -D BinDir=bin -D Version="$version" -o latchkey.msi "$source_dir/installers/wix/latchkey.wxs" \
    2> >(grep -v -e '^$' -e "has no property named 'InstallPrivileges'" -e "has no property named 'Platform'" >&2))
msi=$work/latchkey.msi
[ -s "$msi" ] || fail "wixl produced no MSI"
echo "MSI: $(stat -c %s "$msi") bytes"

table() { msiinfo export "$msi" "$1" | tr -d '\r' | tail -n +4; }
expect() { # expect TABLE REGEX WHAT
    local rows
    rows=$(table "$1")
    grep -Eq -- "$2" <<<"$rows" || fail "$3: no row matching /$2/ in $1:
$rows"
    printf 'ok  %-10s %s\n' "$1" "$3"
}

for exe in latchkeyd latchkey latchkey-bridge latchkey-tray; do
    size=$(stat -c %s "$work/bin/$exe.exe")
    expect File "	$exe\.exe	$size	" "file $exe.exe ($size bytes)"
done
[ "$(table File | wc -l)" -eq 4 ] || fail "expected exactly 4 files:
$(table File)"

# Per-user: under %LOCALAPPDATA%\Programs\Latchkey, and the package needs no elevation (word count bit 8).
expect Directory '^INSTALLDIR	ProgramsDir	Latchkey$' "INSTALLDIR is ProgramsDir\\Latchkey"
expect Directory '^ProgramsDir	LocalAppDataFolder	Programs$' "ProgramsDir is LocalAppDataFolder\\Programs"
source_flags=$(msiinfo suminfo "$msi" | sed -n 's/^Source: \([0-9]*\).*/\1/p')
[ -n "$source_flags" ] && (( source_flags & 8 )) || fail "summary Word Count $source_flags lacks 8 (no elevation)"
echo "ok  suminfo    word count $source_flags: compressed, per-user (no elevation)"
# Every component keyed in HKCU (Root 1), as per-user components must be.
if table Registry | awk -F'\t' '$2 != 1' | grep -q .; then fail "a registry row outside HKCU:
$(table Registry)"; fi
echo "ok  Registry   all $(table Registry | wc -l) rows in HKCU"

expect Shortcut '^LatchkeyShortcut	ProgramMenuFolder	Latchkey	StartMenuShortcut	\[INSTALLDIR\]latchkey-tray\.exe	--show	' \
    "start-menu shortcut to latchkey-tray.exe --show"
expect Registry '	1	Software\\Microsoft\\Windows\\CurrentVersion\\Run	Latchkey	"\[INSTALLDIR\]latchkey-tray\.exe"	Autostart$' \
    "HKCU Run: Latchkey -> latchkey-tray.exe"
expect Registry '	1	Software\\Microsoft\\Windows\\CurrentVersion\\Run	LatchkeyDaemon	"\[INSTALLDIR\]latchkeyd\.exe"	Autostart$' \
    "HKCU Run: LatchkeyDaemon -> latchkeyd.exe"
expect Property '^UpgradeCode	\{d0a689d1-432f-4d02-9a9b-fcad884ce38b\}$' "pinned UpgradeCode"
expect Property "^ProductVersion	$version\$" "ProductVersion $version"
expect Upgrade '^\{D0A689D1-432F-4D02-9A9B-FCAD884CE38B\}	0\.0\.0	'"$version"'		256		PREVIOUSFOUND$' \
    "older versions are upgraded"
expect InstallExecuteSequence '^RemoveExistingProducts		' "RemoveExistingProducts scheduled"
expect RemoveFile '^RemoveInstallDir	Daemon		INSTALLDIR	2$' "install folder removed on uninstall"

# The cabinet holds the payload byte for byte.
mkdir "$work/extract"
(cd "$work/extract" && msiextract ../latchkey.msi >/dev/null)
for exe in latchkeyd latchkey latchkey-bridge latchkey-tray; do
    found=$(find "$work/extract" -name "$exe.exe" -print -quit)
    [ -n "$found" ] && cmp -s "$found" "$work/bin/$exe.exe" || fail "$exe.exe not extracted intact"
done
echo "ok  cabinet    4 files extract intact"
echo "PASS"

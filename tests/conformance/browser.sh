#!/bin/sh
# LATCHKEY_BROWSER for the conformance runs: "opens" the authorization URL by following its redirects
# (the mock /authorize answers at once with a 302 to Latchkey's loopback callback). Every hop must be
# plain http to a loopback host; anything else is refused, never fetched.
set -u
url=${1:?usage: browser.sh URL}
hops=0
while [ -n "$url" ]; do
    authority=$(printf '%s\n' "$url" | sed -n 's,^http://\([^/?#]*\).*$,\1,p')
    if ! printf '%s\n' "$authority" | grep -Eq '^(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?$'; then
        echo "browser.sh: not following a non-loopback URL" >&2
        exit 1
    fi
    if [ "$hops" -ge 5 ]; then
        echo "browser.sh: too many redirects" >&2
        exit 1
    fi
    hops=$((hops + 1))
    url=$(curl -s -o /dev/null --max-time 10 -w '%{redirect_url}' -- "$url") || exit 1
done

#!/usr/bin/env bash
# Checks a built Debian package (scripts/package) without installing it: unpacks it with
# dpkg-deb -x and runs what it ships. Usage: tests/packaging/check_package.sh DEB
# Exit status 0 only when every check passed; each failure is printed.
set -uo pipefail
deb="$1"
root=$(mktemp -d)
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$root" "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

dpkg-deb -x "$deb" "$root" || { echo "FAIL: dpkg-deb -x $deb"; exit 1; }
dpkg-deb -e "$deb" "$work/control" || { echo "FAIL: dpkg-deb -e $deb"; exit 1; }
bin="$root/usr/bin/webpubsubd"
version=$(dpkg-deb -f "$deb" Version)

# --version names the package's version and a commit.
out=$("$bin" --version 2>&1)
if [[ "$out" =~ ^webpubsubd\ ${version//./\\.}\ \(commit\ ([0-9a-f]{12}(-dirty)?|unknown)\)$ ]]; then
  pass "--version: $out"
else
  fail "--version printed '$out' (package version $version)"
fi

# The shipped configuration is valid; a broken copy is refused with the key named.
if out=$("$bin" check-config "$root/etc/webpubsubd/webpubsubd.toml" 2>&1); then
  pass "check-config of the shipped file: $out"
else
  fail "check-config of the shipped file: $out"
fi
sed 's/^listen = .*/listen = 8080/' "$root/etc/webpubsubd/webpubsubd.toml" >"$work/bad.toml"
out=$("$bin" check-config "$work/bad.toml" 2>&1)
status=$?
if [ "$status" -eq 1 ] && [[ "$out" == *"configuration error"*"listen"* ]]; then
  pass "check-config refuses a bad file (status 1): $out"
else
  fail "check-config of a bad file: status $status, '$out'"
fi

# Metadata: the configuration is a conffile; maintainer scripts parse; docs and manual page.
grep -qx "/etc/webpubsubd/webpubsubd.toml" "$work/control/conffiles" &&
  pass "conffiles lists the configuration" || fail "conffiles: $(cat "$work/control/conffiles")"
for s in postinst prerm postrm; do
  sh -n "$work/control/$s" && pass "$s parses" || fail "$s has a syntax error"
done
for f in usr/share/doc/webpubsubd/copyright usr/share/doc/webpubsubd/changelog.gz \
  usr/share/man/man1/webpubsubd.1.gz usr/share/doc/webpubsubd/docs/configuration.md; do
  [ -s "$root/$f" ] && pass "ships /$f" || fail "missing /$f"
done

# The systemd unit: a dedicated user, the hardening the issue asks for, the state directory.
unit="$root/lib/systemd/system/webpubsubd.service"
for line in "User=webpubsubd" "ProtectSystem=strict" "NoNewPrivileges=yes" \
  "StateDirectory=webpubsubd" "WantedBy=multi-user.target"; do
  grep -qx "$line" "$unit" && pass "unit: $line" || fail "unit lacks $line"
done

# The unit's own command line starts the unpacked server (paths moved into the temp dirs,
# any free port): it prints its connection string without the key and opens its outbox.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
printf '# test key\nk3y-for-the-package-test-0123456789abcdef\n' >"$work/access-keys"
args=${exec_start//\/usr\/bin\/webpubsubd/$bin}
args=${args//\/etc\/webpubsubd\/webpubsubd.toml/$root/etc/webpubsubd/webpubsubd.toml}
args=${args//\/etc\/webpubsubd\/access-keys/$work/access-keys}
args=${args//\/var\/lib\/webpubsubd/$work/state}
# shellcheck disable=SC2086  # the unit's words, split like systemd does (no quoting in it)
$args --listen 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/stdout" ] && break
  sleep 0.1
done
line=$(head -n1 "$work/stdout")
if [[ "$line" == Endpoint=http://127.0.0.1:*";Version=1.0;"* && "$line" != *AccessKey* ]]; then
  pass "the unit's command line serves: $line"
else
  fail "the unit's command line printed '$line'; stderr: $(head -c 500 "$work/stderr")"
fi
[ -f "$work/state/outbox.db" ] && pass "outbox opened in the state directory" ||
  fail "no outbox.db in the state directory"
kill -TERM "$server_pid"
wait "$server_pid"
status=$?
server_pid=""
[ "$status" -eq 0 ] && pass "SIGTERM: clean exit" || fail "SIGTERM: exit status $status"

if [ "$failures" -ne 0 ]; then
  echo "check_package: $failures check(s) failed"
  exit 1
fi
echo "check_package: all checks passed"

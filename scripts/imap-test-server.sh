#!/usr/bin/env bash
# A real IMAP server on localhost for the tests of `mail_fetch` (Debian's Dovecot, as root).
#
#   IMAP  127.0.0.1:10143  (plain; STARTTLS offered)   IMAPS 127.0.0.1:10993
#   any user name, password "q3-imap-test" (the tests use a fresh user per test, so
#   concurrent test runs never share a mailbox); "umlaut@q3.test" has the non-ASCII
#   password "Grüezi-mitenand" (checks AUTHENTICATE PLAIN)
#   Maildirs under /var/tmp/q3-imap/mail/<user>/, owned by Debian's "mail" user
#   self-signed certificate for localhost / 127.0.0.1: /var/tmp/q3-imap/tls/cert.pem
#
# Idempotent: installs dovecot-imapd if missing, rewrites the configuration, starts the
# instance (`dovecot -c …`, not systemd) or reloads it when it already runs, and waits
# until the port answers. `--stop` stops it. For development, e.g.
#   INBOUND_MAIL_URL="imap://support%40q3.test:q3-imap-test@127.0.0.1:10143/INBOX?filed=Filed"
set -euo pipefail

root=/var/tmp/q3-imap
conf="$root/dovecot.conf"

if [ "$(id -u)" != 0 ]; then
  echo "imap-test-server.sh must run as root (it installs and starts Dovecot)" >&2
  exit 1
fi

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$conf" ] && [ -f "$root/run/master.pid" ]; then
    dovecot -c "$conf" stop || true
  fi
  exit 0
fi

if ! dpkg-query -W -f='${Status}' dovecot-imapd 2>/dev/null | grep -q "install ok installed"; then
  echo "Installing Debian package dovecot-imapd"
  apt-get update -qq
  # policy-rc.d or a missing init may refuse to start Debian's default instance; that
  # instance (port 143) is not used here.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dovecot-imapd
fi

install -d -m 0755 "$root" "$root/tls" "$root/run"
install -d -m 0750 -o mail -g mail "$root/mail"

if [ ! -s "$root/tls/cert.pem" ] || [ ! -s "$root/tls/key.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$root/tls/key.pem" -out "$root/tls/cert.pem" 2>/dev/null
  chmod 0600 "$root/tls/key.pem"
  chmod 0644 "$root/tls/cert.pem"
fi

printf 'umlaut@q3.test:{PLAIN}Grüezi-mitenand\n' >"$root/passwd"
chown root:dovecot "$root/passwd"
chmod 0640 "$root/passwd"

cat >"$conf" <<EOF
# Written by scripts/imap-test-server.sh: a throw-away IMAP server for tests, localhost only.
instance_name = q3-imap-test
base_dir = $root/run
state_dir = $root/state
log_path = $root/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$root/tls/cert.pem
ssl_key = <$root/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 8
first_valid_gid = 8

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $root/passwd
}
passdb {
  driver = static
  args = password=q3-imap-test
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$root/mail/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 10143
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 10993
    ssl = yes
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0600
    user = mail
  }
}
EOF

# The daemon keeps the standard streams it was started with: give it none of the caller's,
# or a CI log pipe (`.ci/run 2>&1 | tee`) never reaches its end.
if [ -f "$root/run/master.pid" ] && kill -0 "$(cat "$root/run/master.pid")" 2>/dev/null; then
  dovecot -c "$conf" reload </dev/null >>"$root/dovecot.log" 2>&1
else
  dovecot -c "$conf" </dev/null >>"$root/dovecot.log" 2>&1
fi

for _ in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/10143) 2>/dev/null; then
    echo "Test IMAP server on 127.0.0.1:10143 (IMAPS 10993), log $root/dovecot.log"
    exit 0
  fi
  sleep 0.2
done
echo "The test IMAP server did not start; see $root/dovecot.log" >&2
tail -n 20 "$root/dovecot.log" >&2 || true
exit 1

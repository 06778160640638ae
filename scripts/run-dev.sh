#!/usr/bin/env bash
# Start the background worker (and the mail fetcher when a mailbox is configured) and the
# development server; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
host="${1:-127.0.0.1:8000}"
.venv/bin/python manage.py db_worker &
worker=$!
fetcher=""
# The support mailbox, when one is configured: read every minute.
if grep -qs '^INBOUND_MAIL_URL=.' .env || [ -n "${INBOUND_MAIL_URL:-}" ]; then
  .venv/bin/python manage.py mail_fetch --loop 60 &
  fetcher=$!
fi
trap 'kill "$worker" $fetcher 2>/dev/null || true' EXIT INT TERM
.venv/bin/python manage.py runserver "$host"

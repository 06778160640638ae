#!/usr/bin/env bash
# Start the background worker and the development server; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
host="${1:-127.0.0.1:8000}"
.venv/bin/python manage.py db_worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
.venv/bin/python manage.py runserver "$host"

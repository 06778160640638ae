#!/usr/bin/env bash
# The Debian packages q3helpdesk needs: Python's venv module, Pango and HarfBuzz subsetting
# (WeasyPrint embeds only the glyphs a PDF uses).
#   --check    only tell what is missing (installs it when run as root)
#   --install  install what is missing (needs root); extra package names may follow
set -euo pipefail
mode="${1:---check}"
shift || true
wanted=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core "$@")

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
python="${PYTHON:-python3}"
if ! "$python" -c "import ensurepip, venv" >/dev/null 2>&1; then
  ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  missing+=("python${ver}-venv")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
elif [ "$mode" = "--install" ]; then
  echo "Missing Debian packages (need root): ${missing[*]}" >&2
  exit 1
else
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

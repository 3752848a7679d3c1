#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh machine, and nothing twice:
# the AWS emulator moto_server (PyPI: moto[server], pinned to 5.2.x) and uv.
# Prints, as its last line, the path of moto_server (for MOTO_SERVER).
set -euo pipefail

MOTO_SPEC='moto[server]==5.2.*'
UV_SPEC='uv==0.13.*'

python_scripts_dir() {
  python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'
}

have_python_pkg() {
  python3 -c "import importlib.metadata as m, sys; v = m.version('$1'); sys.exit(0 if v.startswith('$2') else 1)" 2>/dev/null
}

if ! have_python_pkg moto 5.2. || ! python3 -c 'import flask, flask_cors' 2>/dev/null; then
  echo "setup: installing $MOTO_SPEC" >&2
  python3 -m pip install --quiet --disable-pip-version-check "$MOTO_SPEC" >&2
fi
if ! have_python_pkg uv 0.13.; then
  echo "setup: installing $UV_SPEC" >&2
  python3 -m pip install --quiet --disable-pip-version-check "$UV_SPEC" >&2
fi
# pyenv only sees new console scripts after a rehash.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash >/dev/null 2>&1 || true; fi

moto="$(python_scripts_dir)/moto_server"
if [ ! -x "$moto" ]; then
  moto="$(command -v moto_server || true)"
fi
if [ -z "$moto" ] || [ ! -x "$moto" ]; then
  echo "setup: moto_server is still missing after installing $MOTO_SPEC" >&2
  exit 1
fi
echo "$moto"

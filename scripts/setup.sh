#!/usr/bin/env bash
# Installs what the tests and the demo need on a fresh machine, and nothing twice:
# the AWS emulator moto_server (PyPI: moto[server], pinned to 5.2.x), uv, cargo-dist and
# the aws CLI (v1, only when no `aws` is on PATH).
# Prints, as its last line, the path of moto_server (for MOTO_SERVER).
set -euo pipefail

MOTO_SPEC='moto[server]==5.2.*'
UV_SPEC='uv==0.13.*'
# cargo-dist (its `dist` binary, packaged as a wheel): tests/e2e/tests/release.rs checks
# the release plan with it.
DIST_SPEC='astral-dev-toolchain-cargo-dist==0.33.*'
AWSCLI_SPEC='awscli==1.*'

# A python3 marked "externally managed" (PEP 668: Debian's and Ubuntu's system Python)
# refuses pip installs; then everything goes into a virtual environment of our own.
# LAYER_TOOLS_VENV=1 asks for that environment on any python3.
PYTHON=python3
externally_managed() {
  python3 -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'
}
if [ "${LAYER_TOOLS_VENV:-}" = 1 ] || externally_managed; then
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/layer-tools/venv"
  if [ ! -x "$venv/bin/python3" ]; then
    echo "setup: installing into a virtual environment at $venv (this python3 refuses pip installs)" >&2
    python3 -m venv "$venv" >&2 || {
      echo "setup: error: cannot create a virtual environment at $venv" >&2
      echo "setup: hint: install the venv module (Debian/Ubuntu: apt install python3-venv), then run this again" >&2
      exit 1
    }
  fi
  PYTHON="$venv/bin/python3"
fi

python_scripts_dir() {
  "$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))'
}

have_python_pkg() {
  "$PYTHON" -c "import importlib.metadata as m, sys; v = m.version('$1'); sys.exit(0 if v.startswith('$2') else 1)" 2>/dev/null
}

if ! have_python_pkg moto 5.2. || ! "$PYTHON" -c 'import flask, flask_cors' 2>/dev/null; then
  echo "setup: installing $MOTO_SPEC" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "$MOTO_SPEC" >&2
fi
if ! have_python_pkg uv 0.13.; then
  echo "setup: installing $UV_SPEC" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "$UV_SPEC" >&2
fi
if ! have_python_pkg astral-dev-toolchain-cargo-dist 0.33.; then
  echo "setup: installing $DIST_SPEC" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "$DIST_SPEC" >&2 ||
    echo "setup: warning: could not install $DIST_SPEC; the release plan checks will be skipped" >&2
fi
# The estate tests read the SSM pointer back with the aws CLI, as a consumer would. Installed
# next to moto's spec so that pip keeps one botocore both accept.
if ! command -v aws >/dev/null 2>&1 && ! have_python_pkg awscli 1.; then
  echo "setup: installing $AWSCLI_SPEC" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "$AWSCLI_SPEC" "$MOTO_SPEC" >&2
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

#!/usr/bin/env bash
# Installs the built extension into the server's directories: directly when allowed, else with sudo.
set -euo pipefail
unset MAKEFLAGS MFLAGS MAKELEVEL  # called from make: run a fresh make, not a jobserver child
cd "$(dirname "$0")/.."
if [ -w "$(pg_config --pkglibdir)" ] && [ -w "$(pg_config --sharedir)/extension" ]; then
  make -s install >/dev/null
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo -n make -s install >/dev/null
else
  echo "cannot write to $(pg_config --pkglibdir): run 'sudo make install' once, then 'make test'" >&2
  exit 1
fi

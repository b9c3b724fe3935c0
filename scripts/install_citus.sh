#!/usr/bin/env bash
# Makes Citus available to this server: uses an installed citus.so, else builds Citus from source ($CITUS_SRC: a
# release tarball or an unpacked tree) and installs it. Users install Citus's own packages instead; this is for tests.
set -euo pipefail
unset MAKEFLAGS MFLAGS MAKELEVEL
cd "$(dirname "$0")/.."
PG_CONFIG=${PG_CONFIG:-pg_config}
libdir=$("$PG_CONFIG" --pkglibdir)
if [ -f "$libdir/citus.so" ]; then
  echo "citus: installed ($libdir/citus.so)"
  exit 0
fi
if [ -z "${CITUS_SRC:-}" ] || [ ! -e "$CITUS_SRC" ]; then
  echo "citus: not installed and CITUS_SRC does not name a Citus source (tarball or tree)." >&2
  echo "       install Citus's packages (postgresql-15-citus-13.2) or set CITUS_SRC=/path/to/citus-13.2.2.tar.gz" >&2
  exit 2
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
need=""
for p in liblz4-dev libzstd-dev libkrb5-dev; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"; done
if [ -n "$need" ]; then
  echo "citus: installing build dependencies:$need"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

work=build/citus
rm -rf "$work"
mkdir -p "$work"
if [ -d "$CITUS_SRC" ]; then
  cp -a "$CITUS_SRC"/. "$work"/
else
  tar xzf "$CITUS_SRC" -C "$work" --strip-components=1
fi
# Citus 13.2.2 defines have_createdb_privilege() itself for PostgreSQL < 16; Debian's 15.x server exports it from
# commands/dbcommands.h, and the two collide. Leave Citus's copy out when the server declares it.
compat="$work/src/include/pg_version_compat.h"
if grep -q 'have_createdb_privilege' "$("$PG_CONFIG" --includedir-server)/commands/dbcommands.h" &&
  grep -q '^have_createdb_privilege(void)' "$compat"; then
  perl -0pi -e 's/static inline bool\nhave_createdb_privilege\(void\)\n\{.*?\n\}\n/#include "commands\/dbcommands.h"\n/s' "$compat"
fi
echo "citus: building from $CITUS_SRC (a few minutes)"
(
  cd "$work"
  ./configure --without-libcurl PG_CONFIG="$PG_CONFIG" >configure.log 2>&1 || {
    tail -20 configure.log >&2
    exit 1
  }
  make -j"$(nproc)" -s >make.log 2>&1 || {
    grep -m20 -E 'error|Error' make.log >&2
    exit 1
  }
  $SUDO make -s install >install.log 2>&1 || {
    tail -20 install.log >&2
    exit 1
  }
)
echo "citus: installed into $libdir"

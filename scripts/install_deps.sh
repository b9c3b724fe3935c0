#!/usr/bin/env bash
# Installs the Debian 12 packages ecpipe builds, tests and runs with, plus any named as arguments (skips apt when
# all are present).
set -euo pipefail
PKGS="$* build-essential postgresql-15 postgresql-server-dev-15 postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
      nlohmann-json3-dev libgtest-dev libcurl4-openssl-dev libbenchmark-dev libsimdjson-dev libre2-dev python3 clang-format"
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null | grep -v "install ok installed" | cut -d' ' -f1 || true)
for p in $PKGS; do dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"; done
missing=$(echo $missing)
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "installing: $missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian creates a default cluster that we never use; keep it from holding port 5432.
$SUDO pg_ctlcluster 15 main stop 2>/dev/null || true

#!/usr/bin/env bash
# Make sure a local PostgreSQL answers on 127.0.0.1:5432 for the tests (trust auth, user postgres).
# Starts the Debian cluster if it is installed but down; installs it with apt-get if missing.
set -euo pipefail
ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if command -v pg_isready >/dev/null && ready; then exit 0; fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "PostgreSQL not installed: installing it from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
conf=/etc/postgresql/$version/main
if ! grep -q "chainsleuth-tests" "$conf/pg_hba.conf"; then
  # local tests connect without a password, as on the developers' machines
  sed -i '1i host all all 127.0.0.1/32 trust # chainsleuth-tests' "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do ready && exit 0; sleep 1; done
echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
exit 1

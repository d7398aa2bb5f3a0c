#!/usr/bin/env bash
# Make sure a local PostgreSQL server (Debian's `postgresql` package) runs on 127.0.0.1:5432 with a
# `pont` superuser, so the store tests also run against PostgreSQL (PONT_TEST_POSTGRES).
# Prints the server URL on standard output; everything else goes to standard error.
set -euo pipefail
exec 3>&1 1>&2
SUDO=""; AS_PG="runuser -u postgres --"
[ "$(id -u)" = 0 ] || { SUDO=sudo; AS_PG="sudo -u postgres"; }
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  echo "installing Debian package: postgresql"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi
read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
if [ -z "${version:-}" ]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  cluster=main
  $SUDO pg_createcluster "$version" "$cluster"
fi
# The server must not inherit any descriptor beyond stdin/out/err: fd 3 is the caller's `$(...)` pipe,
# and a daemon holding it open makes the caller wait forever (this hung CI once).
start_server() {
  local fd
  for fd in $(ls /proc/$BASHPID/fd); do
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done
  exec $SUDO pg_ctlcluster "$version" "$cluster" start </dev/null >&2
}
pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online \
  || (start_server)
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 0.5
done
$AS_PG psql -q -tAc "SELECT 1 FROM pg_roles WHERE rolname='pont'" | grep -q 1 \
  || $AS_PG psql -q -c "CREATE ROLE pont LOGIN SUPERUSER PASSWORD 'pont'"
echo "postgres://pont:pont@127.0.0.1:5432/postgres" >&3

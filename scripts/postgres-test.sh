#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests (and the benchmark).
#
#   scripts/postgres-test.sh start DIR   create the cluster in DIR if needed, start it on a free
#                                        port of 127.0.0.1 (the same port again on a restart),
#                                        create the database "stsdesk"; print its URL
#   scripts/postgres-test.sh stop DIR    stop it (fast shutdown); DIR stays for a restart
#   scripts/postgres-test.sh destroy DIR stop it and delete DIR
#   scripts/postgres-test.sh url DIR     print the URL again
#
# Authentication is "trust" on loopback only: the cluster holds test data, lives in DIR, and
# accepts no connection from another machine. PostgreSQL refuses to run as root, so as root the
# cluster belongs to the "postgres" user (or "nobody" where there is none).
set -euo pipefail

die() { echo "postgres-test: $*" >&2; exit 1; }

find_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  # Debian keeps the server binaries out of PATH, one folder per major version.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
  done
  return 1
}

[ $# -eq 2 ] || die "usage: $0 start|stop|destroy|url DIR"
action=$1
dir=$(realpath -m "$2")
data="$dir/data"

INITDB=$(find_bin initdb) || die "initdb not found; install PostgreSQL (scripts/system-deps.sh does)"
PG_CTL=$(find_bin pg_ctl) || die "pg_ctl not found; install PostgreSQL"
PSQL=$(find_bin psql) || die "psql not found; install the PostgreSQL client"

run_as=""
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
  if command -v runuser >/dev/null 2>&1; then run_as="runuser -u $owner --"; else run_as="su -s /bin/sh $owner -c"; fi
fi
as_owner() {
  if [ -z "$run_as" ]; then "$@";
  elif [[ "$run_as" == runuser* ]]; then $run_as "$@";
  else $run_as "$(printf '%q ' "$@")"; fi
}

url() { echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/stsdesk"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$action" in
  start)
    mkdir -p "$dir"
    if [ ! -f "$data/PG_VERSION" ]; then
      [ -z "$run_as" ] || chown "$owner" "$dir"
      chmod 700 "$dir"
      as_owner "$INITDB" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
      free_port >"$dir/port"
    fi
    port=$(cat "$dir/port")
    if ! as_owner "$PG_CTL" -D "$data" status >/dev/null 2>&1; then
      # Sockets in DIR (the default folder may not exist or be writable); fsync off: test data.
      as_owner "$PG_CTL" -D "$data" -l "$dir/server.log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        >/dev/null || { tail -20 "$dir/server.log" >&2; die "the server did not start"; }
    fi
    if [ "$(as_owner "$PSQL" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
          "SELECT 1 FROM pg_database WHERE datname = 'stsdesk'")" != "1" ]; then
      as_owner "$PSQL" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE stsdesk" >/dev/null
    fi
    url
    ;;
  stop)
    [ -f "$data/PG_VERSION" ] || exit 0
    as_owner "$PG_CTL" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  destroy)
    if [ -f "$data/PG_VERSION" ]; then as_owner "$PG_CTL" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
  url)
    [ -f "$dir/port" ] || die "no cluster in $dir; run: $0 start $dir"
    url
    ;;
  *)
    die "unknown action $action; use start, stop, destroy or url"
    ;;
esac

# source this file; start_test_postgres exports DATABASE_URL. Root or the postgres user.
# A throwaway PostgreSQL on 127.0.0.1:$TEST_PG_PORT in a temporary data directory (test data only).
TEST_PG_PORT="${TEST_PG_PORT:-54329}"; TEST_PG_DB="${TEST_PG_DB:-yingji_test}"
TEST_PG_STATE="/tmp/test-postgres-${TEST_PG_PORT}.dir"
_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
_pg_as() { if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi; }
start_test_postgres() {
  local dir
  export DATABASE_URL="postgres://postgres:testpw@127.0.0.1:${TEST_PG_PORT}/${TEST_PG_DB}?sslmode=disable"
  if [ -f "$TEST_PG_STATE" ] && psql "$DATABASE_URL" -qAtc 'select 1' >/dev/null 2>&1; then return 0; fi
  stop_test_postgres
  if [ -z "$(_pg_bin)" ]; then
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; } >/dev/null || return 1
  fi
  dir="$(mktemp -d /tmp/test-postgres.XXXXXX)" || return 1
  echo "$dir" >"$TEST_PG_STATE"; printf 'testpw\n' >"$dir/pw"; chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$dir"; fi
  _pg_as "$(_pg_bin)/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" --auth=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  _pg_as "$(_pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-c listen_addresses=127.0.0.1 \
      -p $TEST_PG_PORT -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" start >/dev/null \
      || { cat "$dir/server.log" >&2; return 1; }
  psql "${DATABASE_URL%/*}/postgres?sslmode=disable" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE ${TEST_PG_DB}" >/dev/null
}
stop_test_postgres() {
  local dir
  if [ ! -f "$TEST_PG_STATE" ]; then return 0; fi
  dir="$(cat "$TEST_PG_STATE")"
  if [ -d "$dir/data" ]; then _pg_as "$(_pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
  case "$dir" in /tmp/test-postgres.*) rm -rf "$dir" ;; esac
  rm -f "$TEST_PG_STATE"
}

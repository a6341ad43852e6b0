#!/usr/bin/env bash
# Runs CMD against a throwaway PostgreSQL cluster:
#
#   scripts/with-postgres.sh npm test
#
# The cluster lives in a temporary folder, listens on 127.0.0.1 only (on a free port) and on a
# unix socket inside that folder, and is stopped and removed when CMD ends, whatever happens.
# CMD sees CONFI_TEST_DATABASE_URL: a role with CREATEDB that the tests use to create one fresh
# database each. The exit code is CMD's.
#
# Environment:
#   CONFI_PG_BINDIR   folder with initdb/pg_ctl/psql (default: newest /usr/lib/postgresql/*/bin,
#                     else whatever is on PATH)
#   CONFI_PG_OS_USER  who runs the server when this script runs as root (default: postgres,
#                     else nobody); PostgreSQL refuses to run as root
#   CONFI_PG_KEEP_LOG=1  print the server log on exit even when everything passed
#   CONFI_PG_CLUSTER  keep the cluster's data in this folder and reuse it on the next run (the
#                     scale bench keeps its 10-million-row database there instead of restoring
#                     a dump each run); created on first use, never removed by this script
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARG...]" >&2
  exit 2
fi

say() { echo "with-postgres: $*" >&2; }

find_bindir() {
  if [ -n "${CONFI_PG_BINDIR:-}" ]; then
    echo "$CONFI_PG_BINDIR"
    return
  fi
  # Debian puts the binaries of each major version under /usr/lib/postgresql/<ver>/bin and only
  # wrappers on PATH; take the newest version installed.
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -n 1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then
    echo "$newest"
    return
  fi
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  say "no PostgreSQL server binaries found (initdb): install postgresql (apt-get install postgresql) or set CONFI_PG_BINDIR"
  exit 1
}

BINDIR=$(find_bindir)

# PostgreSQL will not run as root: when we are root, run the server as an unprivileged user.
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
  os_user=${CONFI_PG_OS_USER:-}
  if [ -z "$os_user" ]; then
    if id postgres >/dev/null 2>&1; then os_user=postgres; else os_user=nobody; fi
  fi
  if command -v runuser >/dev/null 2>&1; then
    RUN_AS=(runuser -u "$os_user" --)
  else
    RUN_AS=(su -s /bin/sh "$os_user" -c '"$0" "$@"')
  fi
fi

as_server_user() {
  # The server user may not be allowed into our working directory; run from the cluster's.
  (cd "$TMP" && "${RUN_AS[@]}" "$@")
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/confi-pg.XXXXXX")
DATA="$TMP/data"
KEEP_DATA="${CONFI_PG_CLUSTER:-}"
LOG="$TMP/server.log"
SETUP_LOG="$TMP/setup.log"
STARTED=0
CHILD=''

cleanup() {
  local code=$?
  trap - EXIT INT TERM HUP
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM "$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  if [ "$STARTED" = 1 ]; then
    as_server_user "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_server_user "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  if [ "${CONFI_PG_KEEP_LOG:-}" = 1 ] && [ -f "$LOG" ]; then cat "$LOG" >&2; fi
  rm -rf "$TMP"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail() {
  say "$1"
  local f
  for f in "$SETUP_LOG" "$LOG"; do
    if [ -s "$f" ]; then tail -n 20 "$f" >&2; fi
  done
  exit 1
}

# Only the server user may enter the folder: the unix socket and the data live here.
chmod 700 "$TMP"
if [ ${#RUN_AS[@]} -gt 0 ]; then
  chown "$os_user" "$TMP"
  # A TMPDIR under root's home is out of the server user's reach: fall back to /tmp.
  if ! as_server_user test -w "$TMP" 2>/dev/null; then
    rm -rf "$TMP"
    TMP=$(mktemp -d /tmp/confi-pg.XXXXXX)
    DATA="$TMP/data" LOG="$TMP/server.log" SETUP_LOG="$TMP/setup.log"
    chmod 700 "$TMP"
    chown "$os_user" "$TMP"
  fi
fi
if [ -n "$KEEP_DATA" ]; then
  DATA="$KEEP_DATA"
  mkdir -p "$DATA"
  chmod 700 "$DATA"
  if [ ${#RUN_AS[@]} -gt 0 ]; then chown "$os_user" "$DATA"; fi
fi

# The superuser password is random and never printed; TCP logins need a password, while the unix
# socket (in a folder only the server user can enter) trusts its peer.
PW_SUPER=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
PW_CONFI=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
printf '%s\n' "$PW_SUPER" >"$TMP/pwfile"
if [ ${#RUN_AS[@]} -gt 0 ]; then chown "$os_user" "$TMP/pwfile"; fi
chmod 600 "$TMP/pwfile"

# C collation and UTF-8: byte-order sorting like SQLite, whatever the machine's locale. A kept
# cluster is initialised once.
if [ ! -f "$DATA/PG_VERSION" ] && ! as_server_user "$BINDIR/initdb" -D "$DATA" -U postgres --pwfile="$TMP/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --no-locale --no-sync \
  >"$SETUP_LOG" 2>&1; then
  fail "initdb failed"
fi
rm -f "$TMP/pwfile"
: >"$SETUP_LOG"

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# The server writes its own log (pg_ctl -l), so the file must not exist yet as another user.
# A throwaway cluster: durability settings off (nothing here must survive a crash), enough
# connections for parallel test files that each open a pool.
OPTS="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$TMP -c fsync=off"
OPTS="$OPTS -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
OPTS="$OPTS -c shared_buffers=64MB -c log_min_messages=warning -c logging_collector=off"

PORT=''
for attempt in 1 2 3 4 5; do
  candidate=$(free_port)
  if as_server_user "$BINDIR/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "$OPTS -c port=$candidate" start >/dev/null 2>&1; then
    PORT=$candidate
    STARTED=1
    break
  fi
  # Another process may have taken the port between the probe and the start: try another.
  grep -q 'could not bind\|already in use' "$LOG" 2>/dev/null || fail "the server did not start"
done
[ -n "$PORT" ] || fail "the server did not start: no free port"

PSQL=("$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP" -p "$PORT" -U postgres -d postgres)
# Through stdin, so the password never appears in a process listing. A kept cluster has the role
# and database already: they get this run's password.
if ! as_server_user "${PSQL[@]}" >/dev/null 2>>"$SETUP_LOG" <<SQL; then
SELECT 'CREATE ROLE confi LOGIN CREATEDB' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'confi') \\gexec
ALTER ROLE confi PASSWORD '$PW_CONFI';
SELECT 'CREATE DATABASE confi OWNER confi' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'confi') \\gexec
SQL
  fail "could not create the confi role and database"
fi

export CONFI_TEST_DATABASE_URL="postgres://confi:$PW_CONFI@127.0.0.1:$PORT/confi"
unset PW_SUPER PW_CONFI
say "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

# CMD runs in the background so a TERM sent to this script reaches the trap at once; stdin is
# handed over explicitly because background jobs would otherwise read /dev/null (CI may run us
# with stdin closed: then CMD gets /dev/null).
if { : <&0; } 2>/dev/null; then
  "$@" <&0 &
else
  "$@" </dev/null &
fi
CHILD=$!
set +e
wait "$CHILD"
code=$?
set -e
CHILD=''
exit "$code"

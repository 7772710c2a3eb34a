#!/usr/bin/env bash
# The production topology on loopback, for trying scale-out and failure on one machine:
#   PostgreSQL primary + streaming replica (pg_basebackup), Redis primary + replica + 3 sentinels,
#   app workers behind one port (`serve --workers N`), two job workers (procrastinate).
#
#   bash scripts/cluster.sh start [DIR]   # DIR (default var/cluster) holds data, logs, pids, ports
#   bash scripts/cluster.sh stop  [DIR]
#
# After `start`, DIR/env has the settings the processes run with, and DIR/ports the app port.
# Nothing here is special to the cluster: every process reads the same settings a deployment sets.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CMD=${1:-start}
DIR=$(realpath -m "${2:-var/cluster}")
APP_WORKERS=${APP_WORKERS:-2}
PY=${PY:-$ROOT/.venv/bin/python}

pg_bin() { ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1 || command -v "$1"; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listening on $1" >&2
  return 1
}

stop() {
  [ -d "$DIR" ] || return 0
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  sleep 1
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill -9 "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
  for data in "$DIR/pg-replica" "$DIR/pg-primary"; do
    [ -d "$data" ] && as_pg "$(pg_bin pg_ctl)" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
}

if [ "$CMD" = "stop" ]; then
  stop
  exit 0
fi

stop
rm -rf "$DIR"
mkdir -p "$DIR"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"

PG_PRIMARY=$(free_port); PG_REPLICA=$(free_port)
REDIS_PRIMARY=$(free_port); REDIS_REPLICA=$(free_port)
SENTINELS=(); for _ in 1 2 3; do SENTINELS+=("$(free_port)"); done
APP_PORT=${APP_PORT:-$(free_port)}

# PostgreSQL: primary, then a replica cloned from it that streams its WAL (hot standby).
as_pg "$(pg_bin initdb)" -D "$DIR/pg-primary" -A trust -U app -E UTF8 >/dev/null
start_pg() {
  as_pg "$(pg_bin pg_ctl)" -D "$1" -l "$DIR/$3.log" -w \
    -o "-p $2 -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  wait_port "$2"
}
start_pg "$DIR/pg-primary" "$PG_PRIMARY" pg-primary
as_pg "$(pg_bin psql)" -h 127.0.0.1 -p "$PG_PRIMARY" -U app -d postgres -qc "CREATE DATABASE loyalty" >/dev/null
as_pg "$(pg_bin pg_basebackup)" -h 127.0.0.1 -p "$PG_PRIMARY" -U app -D "$DIR/pg-replica" -R -X stream
start_pg "$DIR/pg-replica" "$PG_REPLICA" pg-replica

# Redis: primary, replica, three sentinels watching them (quorum 2, 1 s to call the primary down).
redis_server() {  # name port args...
  local name=$1 port=$2; shift 2
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no "$@" >"$DIR/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  wait_port "$port"
}
redis_server redis-primary "$REDIS_PRIMARY"
redis_server redis-replica "$REDIS_REPLICA" --replicaof 127.0.0.1 "$REDIS_PRIMARY"
SENTINEL_LIST=""
for i in 0 1 2; do
  port=${SENTINELS[$i]}
  cat >"$DIR/sentinel-$i.conf" <<EOF
port $port
bind 127.0.0.1
sentinel monitor loyalty 127.0.0.1 $REDIS_PRIMARY 2
sentinel down-after-milliseconds loyalty 1000
sentinel failover-timeout loyalty 5000
EOF
  redis-server "$DIR/sentinel-$i.conf" --sentinel >"$DIR/sentinel-$i.log" 2>&1 &
  echo $! >"$DIR/sentinel-$i.pid"
  wait_port "$port"
  SENTINEL_LIST="${SENTINEL_LIST:+$SENTINEL_LIST,}127.0.0.1:$port"
done

# What every app and job worker runs with.
cat >"$DIR/env" <<EOF
LOYALTY_ENV=development
DATABASE_URL=postgresql+asyncpg://app@127.0.0.1:$PG_PRIMARY/loyalty
DATABASE_REPLICA_URL=postgresql+asyncpg://app@127.0.0.1:$PG_REPLICA/loyalty
REDIS_URL=redis://127.0.0.1:$REDIS_PRIMARY/0
REDIS_SENTINELS=$SENTINEL_LIST
REDIS_SENTINEL_MASTER=loyalty
JWT_KEYS=${JWT_KEYS:-k1:cluster-signing-key-0123456789abcdef0123456789}
DEV_LOGIN_CODE=${DEV_LOGIN_CODE:-246810}
PROMETHEUS_MULTIPROC_DIR=$DIR/metrics
GRAPHIQL=1
EOF
mkdir -p "$DIR/metrics"
echo "APP_PORT=$APP_PORT" >"$DIR/ports"
set -a; . "$DIR/env"; set +a

"$PY" -m api.cli migrate >"$DIR/migrate.log" 2>&1
"$PY" -m api.cli serve --port "$APP_PORT" --workers "$APP_WORKERS" >"$DIR/app.log" 2>&1 &
echo $! >"$DIR/app.pid"
for i in 1 2; do
  WORKER_HTTP_PORT=0 "$PY" -m api.cli worker >"$DIR/worker-$i.log" 2>&1 &
  echo $! >"$DIR/worker-$i.pid"
done
wait_port "$APP_PORT"
echo "cluster up in $DIR: app on http://127.0.0.1:$APP_PORT/graphql ($APP_WORKERS workers), 2 job workers,"
echo "PostgreSQL $PG_PRIMARY (replica $PG_REPLICA), Redis $REDIS_PRIMARY (replica $REDIS_REPLICA, sentinels $SENTINEL_LIST)"

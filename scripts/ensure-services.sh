#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on loopback; start them when installed but stopped.
set -u
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}
REDIS_HOST=${REDIS_HOST:-127.0.0.1}; REDIS_PORT=${REDIS_PORT:-6379}
fail=0

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null || \
  python3 -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('$PGHOST',$PGPORT)))"; }
redis_up() { python3 - "$REDIS_HOST" "$REDIS_PORT" <<'PY'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
    s.sendall(b"PING\r\n"); ok = s.recv(16).startswith(b"+PONG")
except OSError:
    ok = False
sys.exit(0 if ok else 1)
PY
}

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "PostgreSQL is stopped: starting it"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
  fi
  pg_up || { echo "ERROR: PostgreSQL is not reachable on $PGHOST:$PGPORT and could not be started."; \
             echo "       Install it (Debian: apt-get install postgresql) with trust auth for user postgres on 127.0.0.1."; fail=1; }
fi

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Redis is stopped: starting it"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null || true
    for _ in $(seq 1 30); do redis_up && break; sleep 0.2; done
  fi
  redis_up || { echo "ERROR: Redis is not reachable on $REDIS_HOST:$REDIS_PORT and could not be started."; \
                echo "       Install it (Debian: apt-get install redis-server)."; fail=1; }
fi
exit $fail

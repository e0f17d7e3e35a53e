#!/usr/bin/env bash
# `make stack`: the production topology on this machine, from the Procfile (honcho): two web
# processes (uvicorn: resolutionflow.serve; 8000, 8001), two Celery workers, beat, on PostgreSQL and Redis, with DEBUG=0.
# Loopback only, plain HTTP: the one production setting changed is SECURE_SSL_REDIRECT (off).
#
# Knobs (environment): STACK_DATABASE_URL, STACK_REDIS_URL, STACK_DIR (.stack), LOG_FORMAT,
# DEMO_PASSWORD. Secrets are made once into $STACK_DIR/secrets.env (git-ignored) and kept, so
# the data encrypted with FIELD_ENCRYPTION_KEY stays readable across restarts.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export STACK_DIR=${STACK_DIR:-.stack}
export PATH="$PWD/$VENV/bin:$PATH"

scripts/ensure-services.sh

mkdir -p "$STACK_DIR"
if [ ! -s "$STACK_DIR/secrets.env" ]; then
  (umask 077 && python - > "$STACK_DIR/secrets.env" <<'PY'
import secrets

from cryptography.fernet import Fernet

print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"FIELD_ENCRYPTION_KEY={Fernet.generate_key().decode()}")
print(f"METRICS_TOKEN={secrets.token_urlsafe(32)}")
PY
  )
  echo "Made the stack's secrets: $STACK_DIR/secrets.env"
fi
set -a
. "$STACK_DIR/secrets.env"
set +a

export DEBUG=0
export DATABASE_URL=${STACK_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/resolutionflow_stack}
export REDIS_URL=${STACK_REDIS_URL:-redis://127.0.0.1:6379/1}
export CELERY_BROKER_URL=$REDIS_URL CELERY_TASK_ALWAYS_EAGER=0
export CHANNEL_LAYER_PREFIX=rfstack
export ALLOWED_HOSTS=127.0.0.1,localhost
export CSRF_TRUSTED_ORIGINS=http://127.0.0.1:8000,http://127.0.0.1:8001,http://localhost:8000,http://localhost:8001
export SITE_URL=http://127.0.0.1:8000
export SECURE_SSL_REDIRECT=0
export LOG_FORMAT=${LOG_FORMAT:-plain}
unset DJANGO_ALLOW_ASYNC_UNSAFE

python - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"Created database {name}")
PY
python manage.py migrate --noinput
python manage.py collectstatic --noinput --verbosity 0
python manage.py seed_demo
# Metrics of every process of the stack, summed at each scrape; emptied first so the values of an
# earlier run are not summed into this one.
export PROMETHEUS_MULTIPROC_DIR="$PWD/$STACK_DIR/prometheus"
rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

cat <<MSG

  ResolutionFlow stack: http://localhost:8000 and http://localhost:8001 (demo logins: README.md)
  Probes:  curl http://127.0.0.1:8000/healthz   curl http://127.0.0.1:8001/readyz
  Metrics: curl -H "Authorization: Bearer \$METRICS_TOKEN" http://127.0.0.1:8000/metrics
           (METRICS_TOKEN is in $STACK_DIR/secrets.env)
  Ctrl-C stops every process.

MSG
exec honcho -f Procfile -e "$STACK_DIR/secrets.env" start

#!/usr/bin/env bash
# Load test on this machine, start to finish: a throwaway PostgreSQL database
# with the demo data, gunicorn started from the Procfile's web line with the
# production settings, loadtest/load.py against it, and everything removed
# again on exit, even after an error.
#
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, no password) and Redis on
# 127.0.0.1:6379, whose database 13 it empties before and after the run.
# Settings: USERS (50), SECONDS_PER_PHASE (60), PORT (8010), WEB_CONCURRENCY (3),
# PYTHON (.venv/bin/python), OUTPUT (var/loadtest.json).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-.venv/bin/python}
BIN_DIR=$(cd "$(dirname "$PYTHON")" && pwd)
PORT=${PORT:-8010}
USERS=${USERS:-50}
PHASE_SECONDS=${SECONDS_PER_PHASE:-60}
OUTPUT=${OUTPUT:-var/loadtest.json}
DATABASE=techforlabour_load
REDIS_DB=13

export PATH="$BIN_DIR:$PATH"
export DJANGO_SETTINGS_MODULE=techforlabour.settings.prod
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DATABASE"
export REDIS_URL="redis://127.0.0.1:6379/$REDIS_DB"
export SECRET_KEY
SECRET_KEY=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(50))')
export ALLOWED_HOSTS=127.0.0.1
export SITE_URL="http://127.0.0.1:$PORT"
# Confirmation emails are built but not sent: no mail server takes part.
export EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend
# Plain HTTP here, with no proxy in front.
export SECURE_SSL_REDIRECT=false
# Every simulated user comes from 127.0.0.1, and allauth allows 20 signups a
# minute per address. Only this run raises the limit.
export ACCOUNT_RATE_LIMITS='{"signup": "100000/m/ip"}'
export WEB_CONCURRENCY=${WEB_CONCURRENCY:-3}

mkdir -p var
SERVER_LOG=var/loadtest-server.log
server_pid=""

clean_up() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        echo "Stopping the server (honcho pid $server_pid)"
        kill -TERM "$server_pid"
        wait "$server_pid" || true
    fi
    dropdb -h 127.0.0.1 -U postgres --if-exists "$DATABASE"
    redis-cli -n "$REDIS_DB" flushdb >/dev/null
}
trap clean_up EXIT

redis-cli -n "$REDIS_DB" flushdb >/dev/null
dropdb -h 127.0.0.1 -U postgres --if-exists "$DATABASE"
createdb -h 127.0.0.1 -U postgres "$DATABASE"
"$PYTHON" manage.py migrate --no-input -v 0
"$PYTHON" manage.py load_demo_data --force -v 0
"$PYTHON" manage.py collectstatic --no-input -v 0

honcho start web --port "$PORT" >"$SERVER_LOG" 2>&1 &
server_pid=$!
for _ in $(seq 1 30); do
    if curl -fs "http://127.0.0.1:$PORT/livez" >/dev/null; then break; fi
    sleep 1
done
curl -fs "http://127.0.0.1:$PORT/healthz"
echo

echo "== Machine"
date -u +"%Y-%m-%d %H:%M UTC"
nproc
free -h
lscpu | head
# Other work on the machine takes cores from the server and the client alike.
uptime
echo "== Load: $USERS users, $PHASE_SECONDS s a phase, $WEB_CONCURRENCY gunicorn workers"
# The two phases take 2 x PHASE_SECONDS plus at most one request timeout each.
timeout $((PHASE_SECONDS * 2 + 120)) "$PYTHON" loadtest/load.py \
    --base-url "http://127.0.0.1:$PORT" --database-url "$DATABASE_URL" \
    --users "$USERS" --seconds "$PHASE_SECONDS" --output "$OUTPUT"

echo "== After the run"
uptime
ps -o rss=,args= -C gunicorn | awk '{ printf "gunicorn process: %.0f MiB resident\n", $1 / 1024 }' || true
"$PYTHON" manage.py queue_status
"$PYTHON" loadtest/server_times.py "$SERVER_LOG"

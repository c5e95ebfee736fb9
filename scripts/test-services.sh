# Sourced by `make test`: makes sure PostgreSQL, Redis and Chromium are there for the suite.
# Uses DATABASE_URL / REDIS_URL when set; otherwise local servers, started if installed but down.
# Stops with a message saying exactly what to install when something is missing.

fail() { echo "make test: $*" >&2; return 1; }

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/clearance}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"

pg_up() { .venv/bin/python - "$DATABASE_URL" <<'PY' >/dev/null 2>&1
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or "postgres",
                password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3).close()
PY
}
redis_up() { .venv/bin/python -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()" "$REDIS_URL" >/dev/null 2>&1; }

if ! pg_up; then
  if ls /etc/postgresql/*/main >/dev/null 2>&1 && command -v pg_ctlcluster >/dev/null; then
    echo "PostgreSQL is down: starting the local cluster."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 20); do pg_up && break; sleep 0.5; done
  fi
  pg_up || { fail "cannot reach PostgreSQL at $DATABASE_URL. Install it (Debian: apt-get install postgresql) and allow the user to create databases, or set DATABASE_URL."; return 1; }
fi
# The suite makes its own test_<name> database; the named one must exist too for
# `makemigrations --check` to compare against it.
.venv/bin/python - "$DATABASE_URL" <<'PY' || { fail "cannot create the database named in $DATABASE_URL."; return 1; }
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
with psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"] or "postgres",
                     password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
PY

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Redis is down: starting a local redis-server."
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    for _ in $(seq 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || { fail "cannot reach Redis at $REDIS_URL. Install it (Debian: apt-get install redis-server) or set REDIS_URL."; return 1; }
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Chromium is missing: installing Debian's chromium package for the browser tests."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
      || { fail "could not install chromium; run: apt-get install chromium"; return 1; }
  else
    fail "the browser tests need Debian's chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'."; return 1
  fi
fi
return 0

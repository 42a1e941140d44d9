"""A relay whose Redis or PostgreSQL is unreachable at start (or whose
database is missing, or whose URL names no backend) says so in one line
naming the URL (password masked) and exits non-zero, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.backends import free_port


def start_relay(tmp_path, **env) -> subprocess.CompletedProcess:
    port = free_port()
    return subprocess.run(
        [sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "TANDEM_VAR": str(tmp_path), "TANDEM_SECRET_KEY": "test-secret", **env},
        capture_output=True, text=True, timeout=60)


def test_an_unreachable_redis_stops_the_relay_with_one_clear_line(tmp_path):
    closed = free_port()
    done = start_relay(tmp_path, TANDEM_BROKER_URL=f"redis://tandem:s3cret@127.0.0.1:{closed}/0")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert f"redis://tandem:***@127.0.0.1:{closed}/0" in out
    assert "s3cret" not in out and "Traceback" not in out


def test_an_unreachable_postgresql_stops_the_relay_with_one_clear_line(tmp_path):
    closed = free_port()
    done = start_relay(tmp_path, TANDEM_DATABASE_URL=f"postgresql+asyncpg://tandem:s3cret@127.0.0.1:{closed}/tandem")
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert f"postgresql+asyncpg://tandem:***@127.0.0.1:{closed}/tandem" in out
    assert "s3cret" not in out and "Traceback" not in out


def test_a_missing_postgresql_database_is_named_in_one_line(tmp_path, postgres):
    url = postgres.url("no_such_database")
    done = start_relay(tmp_path, TANDEM_DATABASE_URL=url)
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert f"cannot open the database at {url}" in out and 'database "no_such_database" does not exist' in out
    assert "Traceback" not in out


def test_an_unknown_backend_scheme_is_one_line(tmp_path):
    done = start_relay(tmp_path, TANDEM_BROKER_URL="kafka://127.0.0.1:9092")
    assert done.returncode != 0
    assert "no broker backend for 'kafka' URLs (supported: memory://, redis://, rediss://)" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr

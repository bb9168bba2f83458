"""The environment every benchmark runs in: PostgreSQL and Redis on loopback, DEBUG off.

Set before Django is imported. The benchmark database is its own
(``dti_bench`` unless ``BENCH_DATABASE_URL`` says otherwise), so a run never
touches the demo's or the tests' data; it is kept between runs because
generating 10,000 communes takes minutes (``--fresh`` drops it).
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench"

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dti_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


class Unavailable(SystemExit):
    pass


def _reachable(url: str, default_port: int) -> None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        raise Unavailable(
            f"ERROR: {parsed.scheme} is not reachable on {host}:{port} ({exc}). "
            "The benchmarks need PostgreSQL and Redis running on loopback."
        ) from exc


def configure() -> dict[str, str]:
    """Check the services, then set the variables the settings read; returns them."""
    _reachable(DATABASE_URL, 5432)
    _reachable(REDIS_URL, 6379)
    WORK.mkdir(parents=True, exist_ok=True)
    values = {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        # Plain HTTP on loopback: no redirect to HTTPS, cookies without the secure flag.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "PRIVATE_STORAGE_ROOT": str(WORK / "private"),
        "STATIC_ROOT": str(WORK / "static"),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "dti.settings",
        # A deadline rush logs in 100 officers from one address within seconds.
        "AXES_FAILURE_LIMIT": "1000",
    }
    os.environ.update(values)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return values


def ensure_database(*, fresh: bool) -> None:
    """Create the benchmark database (dropping it first with ``fresh``)."""
    import psycopg

    parsed = urlparse(DATABASE_URL)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')

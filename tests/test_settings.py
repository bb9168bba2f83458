"""Settings come from the environment; CI runs on PostgreSQL and Redis, never less."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def settings_in(env: dict) -> subprocess.CompletedProcess:
    return run_in(
        env,
        "import dti.settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.ALLOWED_HOSTS)",
    )


def run_in(env: dict, code: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    }
    return subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, cwd=ROOT, capture_output=True, text=True
    )


def test_secret_key_is_required_to_serve_when_debug_is_off():
    for module in ("dti.wsgi", "dti.asgi"):
        result = run_in({"DEBUG": "0"}, f"import {module}")
        assert result.returncode != 0, module
        assert "SECRET_KEY must be set when DEBUG is off" in result.stderr, module


def test_commands_that_sign_nothing_run_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        env={k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "No changes detected"


def test_embedded_default_is_sqlite_and_eager_celery():
    result = settings_in({"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["django.db.backends.sqlite3", "True"]


def test_production_environment_selects_postgres_and_a_broker():
    result = settings_in(
        {
            "DEBUG": "0",
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://u@db:5432/dti",
            "REDIS_URL": "redis://redis:6379/0",
            "ALLOWED_HOSTS": "dti.example.vn,www.dti.example.vn",
        }
    )
    assert result.returncode == 0, result.stderr
    engine, eager, hosts = result.stdout.strip().split(" ", 2)
    assert engine == "django.db.backends.postgresql"
    assert eager == "False"
    assert hosts == "['dti.example.vn', 'www.dti.example.vn']"


def test_language_time_zone_and_private_storage():
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in settings.LANGUAGES] == ["vi", "en"]
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    private = settings.PRIVATE_STORAGE_ROOT.resolve()
    for public in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS):
        assert not private.is_relative_to(Path(public).resolve())
    assert settings.STORAGES["default"]["OPTIONS"]["location"] == str(settings.PRIVATE_STORAGE_ROOT)


def test_ci_runs_on_the_real_stack():
    """In CI (CI=true) the suite must be on PostgreSQL with Redis reachable."""
    if os.environ.get("CI", "").lower() in {"1", "true"}:
        assert connection.vendor == "postgresql"
        assert settings.REDIS_URL, "CI must export REDIS_URL"
        import redis

        assert redis.Redis.from_url(settings.REDIS_URL).ping() is True
        assert settings.CELERY_TASK_ALWAYS_EAGER is False
    else:
        expected = (
            "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
        )
        assert connection.vendor == expected


def test_check_deploy_reports_nothing_with_production_settings():
    """``manage.py check --deploy`` with DEBUG off, a real key and hosts: no warning at all."""
    import secrets

    env = {
        k: v
        for k, v in os.environ.items()
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; production never does.
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "SECURE_HSTS_PRELOAD",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
        and not k.startswith(("SECURE_", "SESSION_"))
    }
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "dti.example.gov.vn",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout

"""Production settings: strict about secrets, clean under ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-key-with-enough-entropy-1234567890",
    "ALLOWED_HOSTS": "lexicon.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://lexicon.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_HOST": "smtp.example.com",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off" in result.stderr


def test_it_refuses_a_malformed_boolean_at_startup():
    result = _manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_check_deploy_flags_the_console_email_backend_in_production():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("EMAIL_")}
    result = _manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "development-only email backend" in result.stdout + result.stderr


def test_a_malformed_tier_sla_is_refused_by_name():
    result = _manage("check", env={**PRODUCTION_ENV, "LEXICON_TIER_FRESHNESS_SLA_HOURS": "1-24"})
    assert result.returncode != 0
    assert "LEXICON_TIER_FRESHNESS_SLA_HOURS: '1-24' is not tier:hours" in result.stderr

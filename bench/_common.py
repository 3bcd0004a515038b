"""Helpers shared by the benchmarks: a fresh PostgreSQL database, the project's Python,
the child environment, and a timed child process with its own peak RSS."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def project_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def child_env(db_url: str) -> dict[str, str]:
    """Environment for `manage.py` children: this database, no broker (tasks in-process),
    column lineage not run inside the ingest (it is timed as its own step)."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        {
            "DATABASE_URL": db_url,
            "DEBUG": "true",
            "LOG_LEVEL": "WARNING",
            "LEXICON_COLUMN_LINEAGE_AFTER_INGEST": "false",
        }
    )
    return env


def recreate_database(admin_url: str, name: str) -> str:
    """Drop and create database ``name``; return its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def timed(cmd: list[str], env: dict[str, str]) -> dict:
    """Run a child process; wall seconds and its own peak RSS (wait4 rusage)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {shlex.join(cmd)}\n{output}")
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "output": output,
    }

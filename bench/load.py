#!/usr/bin/env python3
"""Serving at load: signed-in users against the production stack, measured with locust.

    .venv/bin/python bench/load.py                       # 50 users, 60 s, the README's stack
    .venv/bin/python bench/load.py --users 50 --duration 60 --workers 3 --threads 4
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000   # an already running server

Without ``--url`` it starts the whole production stack of ``scripts/prodstack.py``
(``DEBUG=false``, PostgreSQL, Redis, gunicorn with ``gunicorn.conf.py``, workers, beat)
on a new database, loads the demo (users, the example dbt project, the demo query log),
then runs locust headless (``bench/locustfile.py``: pages, their htmx fragments and REST
reads, weighted as people use them) for a bounded time against 127.0.0.1 only, and stops
every process it started. Locust lives in its own virtualenv, ``bench/.venv-load``
(``bench/requirements-load.txt``), made on first use.

Prints requests/s, p50/p95/p99, errors, the slowest request names and the command that
reproduces the figures. Target (issue 13, 2-core machine, 50 users, 60 s): >= 150
requests/s, p95 < 250 ms, 0 errors.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "scripts"))

VENV = BENCH / ".venv-load"
REQUIREMENTS = BENCH / "requirements-load.txt"
TARGET = {"rps": 150.0, "p95_ms": 250.0, "errors": 0}


def locust_bin() -> str:
    """bench/.venv-load/bin/locust, (re)installed when requirements-load.txt changes."""
    marker = VENV / ".bench-requirements"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not (marker.exists() and marker.read_text() == digest):
        finder = subprocess.run(
            [str(ROOT / "scripts" / "find-python")], capture_output=True, text=True, check=True
        )
        subprocess.run([finder.stdout.strip(), "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)], check=True
        )
        marker.write_text(digest)
    return str(VENV / "bin" / "locust")


SESSIONS_SNIPPET = """
import sys
from django.contrib.auth import get_user_model
from django.test import Client
names, count = sys.argv[1].split(","), int(sys.argv[2])
users = [get_user_model().objects.get(username=n) for n in names]
for i in range(count):
    client = Client()
    client.force_login(users[i % len(users)])
    print(f'{users[i % len(users)].username}:{client.cookies["sessionid"].value}')
"""


def signed_in_sessions(stack, usernames: list[str], count: int) -> list[str]:
    """One real session per simulated user, made by Django's session engine (what a sign-in
    stores). Signing in itself is a deliberately slow password hash; 50 at once would
    measure the hasher, not the pages. (With ``--url`` there are no such sessions and each
    simulated user signs in through the login form, see locustfile.py.)"""
    result = stack.manage(
        "shell",
        "-c",
        SESSIONS_SNIPPET.replace("sys.argv[1]", repr(",".join(usernames))).replace(
            "sys.argv[2]", str(count)
        ),
    )
    # Only the username:key lines (the shell may print a banner of its own first).
    return [
        line for line in result.stdout.split() if re.fullmatch(r"[\w.@+-]+:[a-z0-9]{32,}", line)
    ]


def read_stats(prefix: Path) -> tuple[dict, list[dict]]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return total, [r for r in rows if r["Name"] != "Aggregated"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=25)
    parser.add_argument(
        "--duration", type=int, default=60, help="seconds of measured load (bounded)"
    )
    parser.add_argument(
        "--url", default="", help="measure this server instead of starting the stack"
    )
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn processes (default: gunicorn.conf.py)"
    )
    parser.add_argument("--threads", type=int, default=0, help="threads per gunicorn process")
    parser.add_argument(
        "--login",
        default="viewer:viewer-demo-pass,analyst:analyst-demo-pass,"
        "reviewer:reviewer-demo-pass,admin:admin-demo-pass",
        help="user:password,... signed in (round robin)",
    )
    args = parser.parse_args()
    if not 1 <= args.duration <= 900:
        parser.error("--duration must be 1..900 seconds")

    locust = locust_bin()
    workdir = Path(tempfile.mkdtemp(prefix="lexicon-load-"))
    stack = None
    sessions: list[str] = []
    url = args.url.rstrip("/")
    try:
        if not url:
            from prodstack import Stack, log

            extra = {"LOG_LEVEL": "WARNING", "GUNICORN_ACCESSLOG": "/dev/null"}
            if args.workers:
                extra["GUNICORN_WORKERS"] = str(args.workers)
            if args.threads:
                extra["GUNICORN_THREADS"] = str(args.threads)
            stack = Stack(
                workdir=workdir,
                port=args.port,
                db_name="lexicon_load",
                redis_db=10,
                extra_env=extra,
            )
            stack.reset_data()
            stack.prepare()
            stack.manage("create_demo_users", "--force")
            log("loading the demo (example dbt project, demo query log)")
            stack.env["CELERY_TASK_ALWAYS_EAGER"] = "true"
            stack.manage("load_demo", timeout=900)
            del stack.env["CELERY_TASK_ALWAYS_EAGER"]
            stack.start_all()
            stack.wait_http("/login/")
            url = stack.base_url
            sessions = signed_in_sessions(
                stack, [u.split(":", 1)[0] for u in args.login.split(",")], args.users
            )
        prefix = workdir / "locust"
        cmd = [
            locust,
            "-f",
            str(BENCH / "locustfile.py"),
            "--headless",
            "--host",
            url,
            "-u",
            str(args.users),
            "-r",
            str(args.spawn_rate),
            "-t",
            f"{args.duration}s",
            "--stop-timeout",
            "5",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        env = {**os.environ, "LOAD_USERS": args.login, "LOAD_SESSIONS": ",".join(sessions)}
        print(f"$ {shlex.join(cmd)}", flush=True)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        result = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=args.duration + 120
        )
        wall = time.monotonic() - started
        if result.returncode not in (0, 1):  # 1: some requests failed, still measured
            print(result.stdout[-3000:], result.stderr[-3000:])
            return 2
        total, rows = read_stats(prefix)
        if not int(total["Request Count"]):
            print(result.stdout[-3000:], result.stderr[-3000:])
            return 2
    finally:
        if stack is not None:
            stack.stop_all()

    requests = int(total["Request Count"])
    errors = int(total["Failure Count"])
    rps = float(total["Requests/s"])
    p50, p95, p99 = (float(total[k]) for k in ("50%", "95%", "99%"))
    print(f"\nserving at load: {args.users} users, {args.duration}s, {url}")
    print(f"  requests        {requests:,} ({errors} errors)")
    print(f"  requests/s      {rps:.1f}   (target >= {TARGET['rps']:.0f})")
    print(
        f"  p50 / p95 / p99 {p50:.0f} / {p95:.0f} / {p99:.0f} ms   "
        f"(target p95 < {TARGET['p95_ms']:.0f} ms)"
    )
    print(
        f"  load average    {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"wall {wall:.0f}s; "
        f"{os.cpu_count()} cores"
    )
    print("  slowest (p95):")
    for row in sorted(rows, key=lambda r: -float(r["95%"] or 0))[:8]:
        print(
            f"    {float(row['95%']):>6.0f} ms  {int(row['Request Count']):>6}  "
            f"{row['Type']} {row['Name']}"
        )
    if errors:
        with open(f"{prefix}_failures.csv", newline="") as handle:
            for row in list(csv.DictReader(handle))[:10]:
                print(
                    f"  failure: {row['Method']} {row['Name']}: "
                    f"{row['Error']} x{row['Occurrences']}"
                )
    met = rps >= TARGET["rps"] and p95 < TARGET["p95_ms"] and errors == TARGET["errors"]
    print(f"  target          {'met' if met else 'missed'}")
    print(
        f"reproduce: .venv/bin/python bench/load.py --users {args.users} --duration {args.duration}"
        + (f" --workers {args.workers}" if args.workers else "")
        + (f" --threads {args.threads}" if args.threads else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

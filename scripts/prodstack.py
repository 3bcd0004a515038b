"""Start and stop Lexicon's production stack on this machine, as README.md's "Production
deployment" section runs it: ``DEBUG=false``, PostgreSQL, Redis, gunicorn with
``gunicorn.conf.py``, a default worker, an ingest worker (solo pool) and beat.

Used by ``scripts/prod_smoke.py`` (the CI production step) and ``bench/load.py``. Every
process is started in its own session (process group) and stopped by its PID; nothing
is left running when :meth:`Stack.stop_all` returns (it is also registered with atexit).

Only the standard library is imported here, plus psycopg for the throw-away database.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Service:
    name: str
    argv: list[str]
    proc: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def group_alive(self) -> bool:
        """Does any process of this service's process group still exist?"""
        try:
            os.killpg(self.proc.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Stack:
    """A production stack in ``workdir`` on database ``db_name`` and Redis db ``redis_db``."""

    workdir: Path
    port: int = 8765
    db_name: str = "lexicon_prodstack"
    redis_db: int = 9
    postgres: str = "postgres://postgres@127.0.0.1:5432"
    redis: str = "redis://127.0.0.1:6379"
    python: str = sys.executable
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).resolve()
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.base_url = f"http://127.0.0.1:{self.port}"
        bindir = Path(self.python).parent
        self.gunicorn = str(bindir / "gunicorn")
        self.celery = str(bindir / "celery")
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"{self.postgres}/{self.db_name}",
            "REDIS_URL": f"{self.redis}/{self.redis_db}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": self.base_url,
            # Plain HTTP on the loopback: no TLS redirect, no secure-only cookies, no HSTS.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "LEXICON_VAR_DIR": str(self.workdir / "var"),
            "STATIC_ROOT": str(self.workdir / "staticfiles"),
            "LEXICON_BASE_URL": self.base_url,
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESSLOG": str(self.workdir / "logs" / "access.log"),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        for name in ("DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER"):
            self.env.pop(name, None)
        atexit.register(self.stop_all)

    # --- one-off commands --------------------------------------------------------------
    def manage(
        self, *args: str, check: bool = True, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout[-3000:]}\n"
                f"{result.stderr[-3000:]}"
            )
        return result

    def reset_data(self) -> None:
        """A new, empty database and Redis db (the smoke run starts from nothing)."""
        import psycopg

        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        subprocess.run(
            ["redis-cli", "-u", f"{self.redis}/{self.redis_db}", "FLUSHDB"],
            check=True,
            capture_output=True,
        )

    def prepare(self) -> None:
        """The README's one-off production steps: collectstatic, then migrate."""
        log("collectstatic --noinput")
        self.manage("collectstatic", "--noinput")
        log("migrate --noinput")
        self.manage("migrate", "--noinput")

    # --- long-running processes ----------------------------------------------------------
    def start(self, name: str, argv: list[str]) -> Service:
        log_path = self.workdir / "logs" / f"{name}.log"
        handle = log_path.open("ab")
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        handle.close()
        service = Service(name, argv, proc, log_path)
        self.services[name] = service
        log(f"started {name} (pid {proc.pid}): {' '.join(argv[1:])}")
        return service

    def start_web(self) -> Service:
        return self.start(
            "web", [self.gunicorn, "config.wsgi:application", "-c", str(ROOT / "gunicorn.conf.py")]
        )

    def start_worker(self) -> Service:
        return self.start(
            "worker",
            [
                self.celery,
                "-A",
                "config",
                "worker",
                "-Q",
                "default",
                "--concurrency",
                "2",
                "--hostname",
                "default@%h",
                "--loglevel",
                "INFO",
            ],
        )

    def start_ingest_worker(self, name: str = "worker-ingest") -> Service:
        return self.start(
            name,
            [
                self.celery,
                "-A",
                "config",
                "worker",
                "-Q",
                "ingest",
                "--pool",
                "solo",
                "--hostname",
                "ingest@%h",
                "--loglevel",
                "INFO",
            ],
        )

    def start_beat(self) -> Service:
        return self.start(
            "beat",
            [
                self.celery,
                "-A",
                "config",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(self.workdir / "celerybeat-schedule"),
            ],
        )

    def start_all(self) -> None:
        self.start_web()
        self.start_worker()
        self.start_ingest_worker()
        self.start_beat()

    def kill(self, name: str, sig: int = signal.SIGKILL, *, group: bool = False) -> None:
        """Signal a service's main process (``group``: its whole process group)."""
        service = self.services[name]
        try:
            if group:
                os.killpg(service.pid, sig)
            else:
                os.kill(service.pid, sig)
        except ProcessLookupError:
            pass
        try:
            service.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
            service.proc.wait(timeout=10)

    def stop(self, name: str) -> None:
        service = self.services.pop(name, None)
        if service is None:
            return
        if service.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.proc.wait(timeout=20)
        # Whatever of the group is left (gunicorn workers, pool children) goes too.
        deadline = time.monotonic() + 10
        while service.group_alive() and time.monotonic() < deadline:
            try:
                os.killpg(service.pid, signal.SIGKILL)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        if service.proc.poll() is None:
            service.proc.wait(timeout=10)
        log(f"stopped {name} (pid {service.pid})")

    def stop_all(self) -> None:
        for name in list(self.services):
            self.stop(name)

    # --- HTTP ----------------------------------------------------------------------------
    def get_json(
        self, path: str, token: str | None = None, timeout: float = 10
    ) -> tuple[int, dict]:
        request = urllib.request.Request(self.base_url + path)
        if token:
            request.add_header("Authorization", f"Token {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
                try:
                    return response.status, json.loads(body or b"{}")
                except ValueError:
                    return response.status, {"body": body.decode(errors="replace")[:500]}
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                return exc.code, json.loads(body or b"{}")
            except ValueError:
                return exc.code, {"body": body.decode(errors="replace")[:500]}

    def wait_http(self, path: str = "/healthz", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            web = self.services.get("web")
            if web is not None and not web.alive():
                raise RuntimeError(f"gunicorn exited {web.proc.returncode}:\n{web.tail()}")
            try:
                last = self.get_json(path, timeout=3)[0]
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last = exc
            time.sleep(0.5)
        raise RuntimeError(
            f"{self.base_url}{path} did not answer within {timeout:.0f}s (last: {last})"
        )

"""Parser pool processes die with the process that started them, even after ``kill -9``:
a killed ingest worker leaves no ~190 MB orphans behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each script starts a pool the way an ingest does, makes sure every child is up, prints
# the child pids and waits to be killed.
QUERY_LOG_POOL = """
import json, time
from lineage.querylog.parsing import ShapeParser
parser = ShapeParser(workers=2, threshold=0)
parser.submit([(n, f"select a from t where b = {n}", "", "", "") for n in range(200)])
for future in parser.futures:
    future.result()
print(json.dumps(sorted(parser.pool._processes)), flush=True)
time.sleep(600)
"""

COLUMN_LINEAGE_POOL = """
import json, os, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from lineage.column_lineage import ParseJob, _run_jobs
jobs = [ParseJob(asset_id=n, sql=f"select a as a{n} from t", dialect="", schema={}, target=f"m{n}",
                 default_db="", default_schema="") for n in range(200)]
results = _run_jobs(jobs, 2, None)
next(results)  # the pool is open inside the generator
pool = results.gi_frame.f_locals["pool"]
print(json.dumps(sorted(pool._processes)), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that does not reap (PID 1 of a container)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in {"Z", "X"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
@pytest.mark.parametrize(
    "script", [QUERY_LOG_POOL, COLUMN_LINEAGE_POOL], ids=["query-log spawn", "column-lineage fork"]
)
def test_pool_children_die_when_their_parent_is_killed(script):
    env = {**os.environ, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"}
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    children: list[int] = []
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        children = json.loads(line)
        assert len(children) == 2 and all(_alive(pid) for pid in children)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.1)
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in children:  # never leave an orphan behind, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.stdout.close()
        proc.stderr.close()

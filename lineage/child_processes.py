"""Parser worker processes that die with the process that started them.

A worker killed with SIGKILL (an OOM kill, ``kill -9``, a container stop after its grace
period) runs no clean-up, and the pool processes it forked would live on as orphans of
about 190 MB each, idle forever. Every parser pool is therefore made here: each child
asks Linux to SIGKILL it when its parent dies (``prctl(PR_SET_PDEATHSIG)``) and, where
that is not available, watches its parent from a thread.

Kept free of Django: spawned children import this module before anything else.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _set_parent_death_signal() -> bool:
    """Linux only: the kernel sends SIGKILL to this process when the thread that created
    it exits. Pools are made and shut down by the same thread (the ingest's), so that
    thread outlives its children."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, every: float) -> None:
    while True:
        time.sleep(every)
        if os.getppid() != parent_pid:
            os._exit(1)


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer (runs first in each child). ``parent_pid`` is the pool owner's pid,
    passed from there: when it differs from the child's parent now, the owner died before
    the death signal was armed, and the child leaves at once."""
    armed = _set_parent_death_signal()
    if os.getppid() != parent_pid:
        os._exit(1)
    if not armed:
        threading.Thread(
            target=_watch_parent, args=(parent_pid, 1.0), name="watch-parent", daemon=True
        ).start()


def parser_pool(workers: int, start_method: str) -> ProcessPoolExecutor:
    """A process pool whose children die with this process. ``start_method`` is ``fork``
    (children inherit the loaded Django apps) or ``spawn`` (children import only what the
    submitted function needs)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context(start_method),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )

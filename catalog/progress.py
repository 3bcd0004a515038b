"""Live progress of a running ingest.

An ingest writes everything in one transaction, so progress written to its own rows
would be invisible until the end. Progress therefore goes to the cache (Redis in
production, in-process memory in the embedded mode, where the ingest runs in-process).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypedDict

from django.core.cache import cache

_TTL_SECONDS = 24 * 3600

# What long work reports as it goes: (phase, percent).
ProgressCallback = Callable[[str, int], None]


class Progress(TypedDict):
    phase: str
    percent: int


def _key(run_id: int) -> str:
    return f"lexicon:ingest-progress:{run_id}"


def progress_set(run_id: int, phase: str, percent: int) -> None:
    try:
        cache.set(
            _key(run_id), {"phase": phase, "percent": max(0, min(100, int(percent)))}, _TTL_SECONDS
        )
    except Exception:  # progress is best effort; never fail an ingest because the cache is down
        return


def progress_get(run_id: int) -> Progress | None:
    try:
        return cache.get(_key(run_id))
    except Exception:
        return None


@contextmanager
def terminal_progress(desc: str, *, disabled: bool = False) -> Iterator[ProgressCallback]:
    """A progress bar on stderr for management commands, as a ``(phase, percent)``
    callback; drawn only on a terminal."""
    from tqdm import tqdm

    bar = tqdm(
        total=100,
        unit="%",
        desc=desc,
        disable=disabled or not sys.stderr.isatty(),
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}",
    )

    def progress(phase: str, percent: int) -> None:
        bar.set_postfix_str(phase)
        bar.update(max(0, percent - bar.n))

    try:
        yield progress
    finally:
        bar.close()

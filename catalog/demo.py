"""The example project's dbt artifacts moved to the present, for the demo (``load_demo``).

The committed artifacts (``examples/saas_analytics/target``) carry the dates of the build that
made them, weeks ago by the time someone clones the repository: every source would read stale
and every "last run" would be old. Before loading, the demo copies them with every timestamp
moved by one offset, so that the newest one lands just before now. Nothing but timestamps and
invocation ids changes, so lineage, tests and checksums are the committed ones.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ARTIFACT_FILES = ("manifest.json", "catalog.json", "run_results.json", "sources.json")
# Timestamps in the parts of an artifact read here: ``metadata`` (generated_at, invocation and
# run start) and ``results`` (run timings, source freshness). Entries of the manifest are left
# as they are: their raw bytes decide whether a re-ingest decodes them again.
TIMESTAMP_KEYS = frozenset(
    {
        "generated_at",
        "invocation_started_at",
        "run_started_at",
        "started_at",
        "completed_at",
        "max_loaded_at",
        "snapshotted_at",
    }
)
SHIFTED_SECTIONS = ("metadata", "results")
# The offset is a whole number of these: loading twice within one leaves the same artifacts,
# which a re-ingest recognises (same invocation ids) and skips.
DBT_QUANTUM = timedelta(hours=1)
_INVOCATION_NAMESPACE = uuid.UUID("6f1d2a4e-3b7c-4c55-9a0e-1e5b0d7a9c21")


def parse_timestamp(value: str) -> datetime | None:
    """An ISO 8601 timestamp as dbt writes it (``Z`` or an offset, or naive meaning UTC)."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def shift_timestamp(value: str, offset: timedelta) -> str:
    """``value`` moved by ``offset``, written the way it was (``Z``, an offset or naive, with or
    without fractions of a second). A value that is no timestamp is returned as it is."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return value
    timespec = "microseconds" if "." in text[10:] else "seconds"
    if parsed.tzinfo is None:
        return (parsed + offset).isoformat(timespec=timespec)
    if text.endswith("Z"):
        return (parsed + offset).astimezone(UTC).replace(tzinfo=None).isoformat(
            timespec=timespec
        ) + "Z"
    return (parsed + offset).isoformat(timespec=timespec)


def _walk(node: Any) -> Iterator[tuple[dict, str]]:
    """(container, key) of every string under a timestamp key, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TIMESTAMP_KEYS and isinstance(value, str):
                yield node, key
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def artifact_timestamps(data: Mapping[str, Any]) -> list[datetime]:
    """Every timestamp in the shifted sections of one artifact."""
    found = []
    for section in SHIFTED_SECTIONS:
        for container, key in _walk(data.get(section)):
            parsed = parse_timestamp(container[key])
            if parsed is not None:
                found.append(parsed)
    return found


def demo_offset(newest: datetime, now: datetime, quantum: timedelta) -> timedelta:
    """How far to move timestamps so that ``newest`` lands in ``(now - quantum, now]``: a whole
    number of ``quantum`` (zero when ``newest`` is already that recent or in the future)."""
    steps = (now - newest) // quantum
    return quantum * max(0, steps)


def shift_artifact(data: dict[str, Any], offset: timedelta) -> dict[str, Any]:
    """Move every timestamp of ``data``'s metadata and results by ``offset``, in place.

    The invocation id changes with the offset (a deterministic uuid5 of the old id and the
    offset): an ingest keeps one result per node and invocation, so the same artifacts moved
    further are a later run, and moved by the same offset the run already stored.
    """
    if not offset:
        return data
    for section in SHIFTED_SECTIONS:
        for container, key in _walk(data.get(section)):
            container[key] = shift_timestamp(container[key], offset)
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and metadata.get("invocation_id"):
        metadata["invocation_id"] = str(
            uuid.uuid5(
                _INVOCATION_NAMESPACE,
                f"{metadata['invocation_id']}{int(offset.total_seconds()):+d}",
            )
        )
    return data


@dataclass(frozen=True)
class ShiftedTarget:
    """What ``shift_dbt_target`` wrote: the folder, the files, the offset and the newest
    timestamp before and after."""

    path: Path
    files: tuple[str, ...]
    offset: timedelta
    newest: datetime | None
    newest_shifted: datetime | None


def shift_dbt_target(
    source: Path, dest: Path, *, now: datetime, quantum: timedelta = DBT_QUANTUM
) -> ShiftedTarget:
    """Copy the dbt artifacts of ``source`` (a ``target/`` folder) to ``dest`` with all their
    timestamps moved by one offset: the newest timestamp across all of them lands within
    ``quantum`` before ``now``."""
    loaded: dict[str, dict[str, Any]] = {}
    for name in ARTIFACT_FILES:
        path = source / name
        if path.exists():
            loaded[name] = json.loads(path.read_text(encoding="utf-8"))
    stamps = [t for data in loaded.values() for t in artifact_timestamps(data)]
    newest = max(stamps) if stamps else None
    offset = demo_offset(newest, now, quantum) if newest else timedelta(0)
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in loaded.items():
        with (dest / name).open("w", encoding="utf-8") as handle:
            json.dump(shift_artifact(data, offset), handle, ensure_ascii=False)
    return ShiftedTarget(
        path=dest,
        files=tuple(loaded),
        offset=offset,
        newest=newest,
        newest_shifted=newest + offset if newest else None,
    )

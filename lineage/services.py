"""Writes of lineage that start from a person, a command, an API call or the schedule:
query-log sources and query-log ingest runs."""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from catalog.heartbeat import ingest_run_finish
from catalog.models import IngestRun
from catalog.progress import ProgressCallback
from catalog.services import ingest_run_guarded, ingest_run_upload_dir
from lineage.engine import known_dialects
from lineage.models import QueryLogRun, QueryLogSource

logger = logging.getLogger(__name__)

EXTRA_ROLES = ("access_history", "query_text")


class QueryLogError(ValueError):
    """A query-log ingest cannot start or cannot read its input; the message says why."""


# ------------------------------------------------------------------------- sources


def querylog_source_upsert(
    *,
    name: str,
    dialect: str = "",
    format: str = "",
    url: str | None = None,
    default_database: str | None = None,
    default_schema: str | None = None,
    actor=None,
) -> QueryLogSource:
    """Create a source or change the given fields of an existing one."""
    name = name.strip()
    if not name:
        raise QueryLogError("A query-log source needs a name.")
    if dialect and dialect not in known_dialects():
        raise QueryLogError(
            f"Unknown dialect {dialect!r}; use one of {', '.join(known_dialects())}."
        )
    with transaction.atomic():
        source = QueryLogSource.objects.select_for_update().filter(name=name).first()
        if source is None:
            if not dialect:
                raise QueryLogError(
                    f"Source {name!r} does not exist; give its --dialect to create it."
                )
            source = QueryLogSource(name=name, dialect=dialect)
        if dialect:
            source.dialect = dialect
        if format:
            source.format = format
        if url is not None:
            source.settings = {**(source.settings or {}), "url": url}
        if default_database is not None:
            source.default_database = default_database
        if default_schema is not None:
            source.default_schema = default_schema
        source.save()
    return source


def _source_for_file(name: str, fmt: str) -> QueryLogSource:
    """The named source; created on first use with the dialect of the file's format."""
    source = QueryLogSource.objects.filter(name=name).first()
    if source is not None:
        return source
    if not name.strip():
        raise QueryLogError(
            "Name the query-log source (--source): its watermark and dedup are per source."
        )
    dialect = "postgres"
    if fmt:
        dialect = getattr(_get_reader(fmt), "dialect", "") or dialect
    return querylog_source_upsert(name=name, dialect=dialect, format=fmt)


# ------------------------------------------------------------------------- readers


def _formats():
    from lineage.querylog import formats

    return formats


def _get_reader(fmt: str):
    formats = _formats()
    try:
        return formats.get_reader(fmt)
    except (KeyError, ValueError, LookupError):
        known = ", ".join(sorted(getattr(formats, "FORMATS", {}))) or "none installed"
        raise QueryLogError(f"Unknown query-log format {fmt!r}; known: {known}.") from None


def _detect(path: Path) -> str:
    detection = _formats().detect_format(path)
    fmt = getattr(detection, "format", detection)
    if not fmt:
        reason = getattr(detection, "reason", "") or "no reader recognises its columns"
        raise QueryLogError(
            f"{path.name}: cannot tell which query-log format this is ({reason}). Give --format."
        )
    return fmt


def _open_records(path: Path, fmt: str, extras: Mapping[str, Path]) -> Iterator:
    """The reader's records; a file not in ``fmt`` raises WrongFormat saying what it looks like."""
    from lineage.querylog.formats.base import WrongFormat

    _get_reader(fmt)
    try:
        return iter(_formats().read_file(path, fmt, dict(extras) or None))
    except WrongFormat:
        raise
    except ValueError as exc:
        raise QueryLogError(f"{path.name}: {exc}") from None


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) or 1
    except OSError:
        return None


# ------------------------------------------------------------------------- runs


def _create_run(
    *, source: QueryLogSource, fmt: str, files: list[dict], actor, trigger: str
) -> IngestRun:
    run = IngestRun.objects.create(
        kind=IngestRun.Kind.QUERY_LOG,
        trigger=trigger,
        project=source.project,
        project_name=source.name,
        created_by=actor,
        files=files,
    )
    QueryLogRun.objects.create(run=run, source=source, format=fmt)
    return run


def querylog_run_create_from_path(
    *,
    path: Path,
    source_name: str,
    fmt: str = "",
    extras: Mapping[str, Path] | None = None,
    actor=None,
    trigger: str = IngestRun.Trigger.CLI,
) -> IngestRun:
    """A queued query-log ingest of a file on this machine (the CLI). The format is
    detected here when not given, so a wrong file is refused before a run exists."""
    extras = dict(extras or {})
    for role, extra in [("log", path), *extras.items()]:
        if not Path(extra).is_file():
            raise QueryLogError(f"{extra}: does not exist (the {role.replace('_', ' ')} file).")
    source = QueryLogSource.objects.filter(name=source_name).first()
    fmt = fmt or (source.format if source else "") or _detect(path)
    _get_reader(fmt)
    source = source or _source_for_file(source_name, fmt)
    files = [
        {
            "kind": "query_log",
            "name": path.name,
            "path": str(path.resolve()),
            "size": path.stat().st_size,
        }
    ]
    files += [
        {
            "kind": role,
            "name": Path(p).name,
            "path": str(Path(p).resolve()),
            "size": Path(p).stat().st_size,
        }
        for role, p in extras.items()
    ]
    return _create_run(source=source, fmt=fmt, files=files, actor=actor, trigger=trigger)


def querylog_run_create_from_upload(
    *,
    upload: UploadedFile,
    source_name: str,
    fmt: str = "",
    extras: Mapping[str, UploadedFile] | None = None,
    actor=None,
    trigger: str = IngestRun.Trigger.API,
) -> IngestRun:
    """Store an uploaded log where workers can read it and queue its run after commit."""
    limit = settings.LEXICON_MAX_ARTIFACT_BYTES
    extras = dict(extras or {})
    for role, item in [("log", upload), *extras.items()]:
        if role != "log" and role not in EXTRA_ROLES:
            raise QueryLogError(
                f"{item.name}: unknown companion file {role!r}; use {', '.join(EXTRA_ROLES)}."
            )
        if item.size is not None and item.size > limit:
            raise QueryLogError(
                f"{item.name}: is {item.size:,} bytes, over the limit of {limit:,} "
                "(LEXICON_MAX_ARTIFACT_BYTES)."
            )
    if fmt:
        _get_reader(fmt)
    # Stage the files first: the format of a log for a new source is detected from the
    # file itself, and it sets the new source's dialect.
    staging = Path(settings.LEXICON_UPLOAD_DIR) / f"incoming-{uuid.uuid4().hex}"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        files = []
        for role, item in [("query_log", upload), *extras.items()]:
            target = staging / f"{role}-{Path(item.name or role).name}"
            with target.open("wb") as out:
                for chunk in item.chunks():
                    out.write(chunk)
            files.append(
                {
                    "kind": role,
                    "name": item.name or role,
                    "path": str(target),
                    "size": target.stat().st_size,
                }
            )
        with transaction.atomic():
            source = QueryLogSource.objects.filter(name=source_name).first()
            fmt = fmt or (source.format if source else "") or _detect(Path(files[0]["path"]))
            source = source or _source_for_file(source_name, fmt)
            run = _create_run(source=source, fmt=fmt, files=[], actor=actor, trigger=trigger)
            folder = ingest_run_upload_dir(run)
            folder.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
            staging.rename(folder)
            run.files = [{**f, "path": str(folder / Path(f["path"]).name)} for f in files]
            run.save(update_fields=["files"])
            querylog_run_enqueue(run)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run


def querylog_run_enqueue(run: IngestRun) -> None:
    from lineage.tasks import ingest_querylog_run

    transaction.on_commit(lambda: ingest_querylog_run.delay(run.pk))


def querylog_run_execute(
    *,
    run_id: int,
    progress: ProgressCallback | None = None,
    live_items: Callable[[QueryLogSource], tuple[Iterator, dict]] | None = None,
) -> IngestRun:
    """Run a queued query-log ingest. Safe to call twice: only one caller claims the run.

    Everything the run writes commits together; a wrong format, an unreadable file or a
    crash fails the run and leaves every earlier aggregate exactly as it was.
    """
    from lineage.querylog.formats.base import WrongFormat
    from lineage.querylog.pipeline import querylog_aggregate

    def work(run: IngestRun, report: ProgressCallback) -> None:
        qrun = QueryLogRun.objects.get(run=run)
        report("reading the log", 2)
        with transaction.atomic():
            source = QueryLogSource.objects.select_for_update().get(pk=qrun.source_id)
            state = None
            if live_items is not None:
                items, state = live_items(source)
                total = None
            else:
                log = next(f for f in run.files if f["kind"] == "query_log")
                path = Path(log["path"])
                if not path.is_file():
                    raise QueryLogError(
                        f"{log['name']}: the file is gone (was it moved or deleted?)."
                    )
                fmt = qrun.format or source.format or _detect(path)
                extras = {f["kind"]: Path(f["path"]) for f in run.files if f["kind"] in EXTRA_ROLES}
                items = _open_records(path, fmt, extras)
                total = _count_lines(path)
                if fmt != qrun.format:
                    qrun.format = fmt
            stats = querylog_aggregate(
                source=source, items=items, progress=report, total_lines=total, ingest_run_id=run_id
            )
            if state is not None:
                QueryLogSource.objects.filter(pk=source.pk).update(
                    pull_state=state, last_pulled_at=timezone.now()
                )
            for name in (
                "rows",
                "records",
                "executions",
                "duplicates",
                "too_old",
                "malformed",
                "malformed_rows",
                "fingerprints",
                "fingerprints_new",
                "unparsable",
                "unparsable_reasons",
                "assets_touched",
                "assets_created",
                "edges_added",
                "window_start",
                "window_end",
            ):
                setattr(qrun, name, getattr(stats, name))
            qrun.save()
            warnings = []
            if stats.malformed:
                warnings.append(
                    f"{stats.malformed:,} malformed row{'s' if stats.malformed != 1 else ''} "
                    f"skipped (first at line {stats.malformed_rows[0]['line']})."
                )
            if stats.unparsable:
                warnings.append(
                    f"{stats.unparsable:,} statement{'s' if stats.unparsable != 1 else ''} could "
                    f"not be parsed ({len(stats.unparsable_reasons)} reason"
                    f"{'s' if len(stats.unparsable_reasons) != 1 else ''})."
                )
            if stats.too_old:
                warnings.append(
                    f"{stats.too_old:,} statements older than the dedup window before the "
                    "watermark were skipped as already counted."
                )
            ingest_run_finish(
                run,
                status=IngestRun.Status.SUCCEEDED,
                finished_at=timezone.now(),
                phase="done",
                progress=100,
                project=source.project,
                warnings=warnings,
                followups={"timings": stats.timings},
                counts={
                    "statements": {
                        "added": stats.records,
                        "unchanged": stats.duplicates + stats.too_old,
                    },
                    "warehouse assets": {"added": stats.assets_created},
                    "lineage edges": {"added": stats.edges_added},
                },
            )
        report("done", 100)

    return ingest_run_guarded(
        run_id=run_id,
        work=work,
        kind=IngestRun.Kind.QUERY_LOG,
        phase="reading the log",
        expected=(WrongFormat, QueryLogError, UnicodeDecodeError, OSError),
        progress=progress,
    )


def querylog_pull(
    *,
    source_id: int,
    actor=None,
    trigger: str = IngestRun.Trigger.SCHEDULE,
    progress: ProgressCallback | None = None,
) -> IngestRun:
    """Pull a live source (PostgreSQL ``pg_stat_statements``) into a query-log run."""
    from lineage.querylog.live import pg_stat_statements_items

    source = QueryLogSource.objects.get(pk=source_id)
    if not source.is_live:
        raise QueryLogError(
            f"Source {source.name!r} is not a live source (format pg_stat_statements with a url)."
        )
    run = _create_run(
        source=source,
        fmt=source.format,
        actor=actor,
        trigger=trigger,
        files=[{"kind": "pg_stat_statements", "name": _redacted_url(source.settings["url"])}],
    )
    return querylog_run_execute(
        run_id=run.pk, progress=progress, live_items=pg_stat_statements_items
    )


def _redacted_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"

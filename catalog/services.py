"""Writes to the catalog that start from a person, a command or an API call."""

from __future__ import annotations

import gc
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.dbt.artifacts import ARTIFACT_KINDS, ArtifactError, ArtifactFile, load_bundle
from catalog.dbt.write import dbt_ingest_write
from catalog.heartbeat import RunSuperseded, ingest_run_heartbeat, ingest_run_stale_seconds
from catalog.models import IngestRun
from catalog.progress import ProgressCallback, progress_set

logger = logging.getLogger(__name__)


def ingest_run_create_from_paths(
    *, paths: list[Path], project_name: str = "", actor=None, trigger: str = IngestRun.Trigger.CLI
) -> IngestRun:
    """A queued dbt ingest of files already on this machine (the CLI)."""
    from catalog.dbt.artifacts import files_from_paths

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ArtifactError(missing[0], "does not exist.")
    files = files_from_paths(paths)
    if not files:
        raise ArtifactError(
            str(paths[0]), "holds no manifest.json, catalog.json, run_results.json or sources.json."
        )
    return IngestRun.objects.create(
        kind=IngestRun.Kind.DBT,
        trigger=trigger,
        project_name=project_name,
        created_by=actor,
        files=[
            {"kind": f.declared_kind or "", "name": f.name, "path": str(f.path.resolve())}
            for f in files
        ],
    )


def ingest_run_create_from_uploads(
    *,
    uploads: dict[str, UploadedFile],
    project_name: str = "",
    actor=None,
    trigger: str = IngestRun.Trigger.API,
) -> IngestRun:
    """Store uploaded artifacts where workers can read them, and queue the run after commit.

    ``uploads`` maps an artifact kind (manifest, catalog, run_results, sources) to the file.
    Oversized uploads are refused before anything is stored.
    """
    limit = settings.LEXICON_MAX_ARTIFACT_BYTES
    for kind, upload in uploads.items():
        if kind not in ARTIFACT_KINDS:
            raise ArtifactError(
                upload.name or kind,
                f"was sent as {kind!r}; use one of {', '.join(ARTIFACT_KINDS)}.",
            )
        if upload.size is not None and upload.size > limit:
            raise ArtifactError(
                upload.name or kind,
                f"is {upload.size:,} bytes, over the limit of {limit:,} "
                "(LEXICON_MAX_ARTIFACT_BYTES).",
            )
    if "manifest" not in uploads:
        raise ArtifactError(
            "manifest.json", "is required; catalog, run_results and sources are read against it."
        )
    with transaction.atomic():
        run = IngestRun.objects.create(
            kind=IngestRun.Kind.DBT, trigger=trigger, project_name=project_name, created_by=actor
        )
        folder = ingest_run_upload_dir(run)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        for kind, upload in uploads.items():
            target = folder / f"{kind}.json"
            with target.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            files.append({"kind": kind, "name": upload.name or f"{kind}.json", "path": str(target)})
        run.files = files
        run.save(update_fields=["files"])
        ingest_run_enqueue(run)
    return run


def ingest_run_enqueue(run: IngestRun) -> None:
    from catalog.tasks import ingest_dbt_run

    transaction.on_commit(lambda: ingest_dbt_run.delay(run.pk))


def ingest_run_claim(run_id: int, *, phase: str, kind: str | None = None) -> int | None:
    """Compare-and-swap queued → running; returns the attempt it starts (1, 2, ...), or None
    when another worker has the run or it is finished. A running run whose heartbeat is
    stale (its worker died) may be claimed again, at most LEXICON_INGEST_MAX_ATTEMPTS times
    in all; the attempt number fences the heartbeat of the worker it was taken from."""
    now = timezone.now()
    runs = IngestRun.objects.filter(pk=run_id)
    if kind:
        runs = runs.filter(kind=kind)
    stale = _stale_running(now) & Q(attempts__lt=settings.LEXICON_INGEST_MAX_ATTEMPTS)
    for _ in range(3):
        current = (
            runs.filter(Q(status=IngestRun.Status.QUEUED) | stale)
            .values_list("attempts", flat=True)
            .first()
        )
        if current is None:
            return None
        # The attempt read above is part of the swap: of two workers racing for the run, one wins.
        if runs.filter(Q(status=IngestRun.Status.QUEUED) | stale, attempts=current).update(
            status=IngestRun.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=current + 1,
            phase=phase,
            progress=0,
        ):
            return current + 1
    return None


def _stale_running(now) -> Q:
    before = now - timedelta(seconds=ingest_run_stale_seconds())
    return Q(status=IngestRun.Status.RUNNING) & (
        Q(heartbeat_at__lt=before) | Q(heartbeat_at__isnull=True, started_at__lt=before)
    )


# The Celery task that executes a run handed to the broker, per kind, by name: catalog
# does not import lineage (tests/config/test_celery_tasks.py checks that both exist).
INGEST_RUN_TASKS = {
    IngestRun.Kind.DBT: "catalog.tasks.ingest_dbt_run",
    IngestRun.Kind.QUERY_LOG: "lineage.tasks.ingest_querylog_run",
}
# Runs executed in the process that created them, never through the broker: a command
# (``ingest_dbt``, ``ingest_querylog``, ``pull_querylog``) or a scheduled live pull.
IN_PROCESS_TRIGGERS = (IngestRun.Trigger.CLI, IngestRun.Trigger.SCHEDULE)


@dataclass
class SweepOutcome:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    resent: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {"requeued": self.requeued, "failed": self.failed, "resent": self.resent}


def ingest_run_send(run_id: int, kind: str, *, expires: int | None = None) -> None:
    """Hand a queued run to its Celery task once the current transaction commits."""
    from celery import current_app

    name = INGEST_RUN_TASKS[kind]
    task = current_app.tasks.get(name)
    if (
        task is None
    ):  # a process that never imported that app's tasks module: by name, routed the same
        transaction.on_commit(lambda: current_app.send_task(name, args=(run_id,), expires=expires))
        return
    transaction.on_commit(lambda: task.apply_async((run_id,), expires=expires))


def _stopped_message(run: IngestRun, max_attempts: int) -> str:
    if run.trigger == IngestRun.Trigger.CLI:
        return (
            "The command running this ingest stopped before it finished; nothing was changed. "
            "Re-run the command."
        )
    if run.trigger == IngestRun.Trigger.SCHEDULE:
        return (
            "The worker running this scheduled pull stopped; nothing was changed. "
            "The next scheduled pull catches up."
        )
    return (
        f"The worker running this ingest stopped (attempt {run.attempts} of {max_attempts}); "
        "nothing was changed. Re-run the ingest."
    )


def ingest_runs_sweep() -> SweepOutcome:
    """Beat, every 15 seconds: bring back the runs of workers that died and runs whose message
    was lost.

    - A running run whose heartbeat is older than ``ingest_run_stale_seconds()`` lost its
      worker; that worker's transaction was rolled back, so nothing of the run was kept.
      It is queued again and sent to its task, until it has been started
      LEXICON_INGEST_MAX_ATTEMPTS times: then it is failed with a message saying so. A
      run executed in the process that created it (a command, a scheduled pull) is failed
      at once: its files may exist on that machine only.
    - A run queued for LEXICON_INGEST_RESEND_SECONDS without starting is sent again (its
      message may have been lost with a broker restart), with that long to live, so a run
      waiting behind a long ingest gathers no pile of copies. A second delivery is
      harmless: the claim lets one through.

    Each change is a compare-and-swap on what was read, so a heartbeat, a claim or
    another sweep that lands in between wins.
    """
    now = timezone.now()
    outcome = SweepOutcome()
    max_attempts = settings.LEXICON_INGEST_MAX_ATTEMPTS
    fields = (
        "id",
        "kind",
        "trigger",
        "attempts",
        "heartbeat_at",
        "started_at",
        "created_at",
        "queued_at",
    )
    for run in IngestRun.objects.filter(_stale_running(now)).only(*fields).order_by("id"):
        same = IngestRun.objects.filter(
            pk=run.pk,
            status=IngestRun.Status.RUNNING,
            attempts=run.attempts,
            heartbeat_at=run.heartbeat_at,
        )
        if run.trigger in IN_PROCESS_TRIGGERS or run.attempts >= max_attempts:
            message = _stopped_message(run, max_attempts)
            if same.update(
                status=IngestRun.Status.FAILED, error=message, finished_at=now, phase="failed"
            ):
                logger.warning("ingest run %s failed by the sweep: %s", run.pk, message)
                outcome.failed.append(run.pk)
                if run.trigger in (IngestRun.Trigger.API, IngestRun.Trigger.UI):
                    shutil.rmtree(ingest_run_upload_dir(run), ignore_errors=True)
            continue
        with transaction.atomic():
            if same.update(
                status=IngestRun.Status.QUEUED,
                phase="queued again: its worker stopped",
                progress=0,
                queued_at=now,
            ):
                logger.warning(
                    "ingest run %s: worker stopped (attempt %s of %s), queued again",
                    run.pk,
                    run.attempts,
                    max_attempts,
                )
                ingest_run_send(run.pk, run.kind)
                outcome.requeued.append(run.pk)
    resend = settings.LEXICON_INGEST_RESEND_SECONDS
    before = now - timedelta(seconds=resend)
    waiting = IngestRun.objects.filter(
        Q(queued_at__lt=before) | Q(queued_at__isnull=True, created_at__lt=before),
        status=IngestRun.Status.QUEUED,
    )
    for run in waiting.only(*fields).order_by("id"):
        same = IngestRun.objects.filter(
            pk=run.pk, status=IngestRun.Status.QUEUED, queued_at=run.queued_at
        )
        if run.trigger in IN_PROCESS_TRIGGERS:
            message = _stopped_message(run, max_attempts)
            if same.update(
                status=IngestRun.Status.FAILED, error=message, finished_at=now, phase="failed"
            ):
                outcome.failed.append(run.pk)
            continue
        with transaction.atomic():
            if same.update(queued_at=now):
                ingest_run_send(run.pk, run.kind, expires=resend)
                outcome.resent.append(run.pk)
    return outcome


def ingest_run_fail(run_id: int, message: str) -> None:
    IngestRun.objects.filter(pk=run_id).update(
        status=IngestRun.Status.FAILED, error=message, finished_at=timezone.now(), phase="failed"
    )


def ingest_run_upload_dir(run: IngestRun) -> Path:
    """Where the uploads of an API or page run wait for a worker (removed when it finishes)."""
    return Path(settings.LEXICON_UPLOAD_DIR) / str(run.pk)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector off while a run holds millions of young objects (decoded
    artifacts, log records, aggregates): each full collection walks all of them again,
    which cost a third of a million-row query-log run and a sixth of a 5,000-model dbt
    ingest. What a run builds is freed by reference counting; the collector runs again
    as soon as the run ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def ingest_run_guarded(
    *,
    run_id: int,
    work: Callable[[IngestRun, ProgressCallback], None],
    expected: tuple[type[Exception], ...],
    phase: str,
    kind: str | None = None,
    progress: ProgressCallback | None = None,
) -> IngestRun:
    """Claim a queued run and do ``work(run, report)`` on it; safe to call twice (one caller
    claims it). ``report(phase, percent)`` publishes live progress (the cache, for pages)
    and passes it on to ``progress`` (a command's bar).

    ``expected`` errors (bad input) fail the run with their message, which names the file
    and place; database connection errors put the run back in the queue and propagate, so
    the Celery task retries; anything else fails the run as an internal error and
    propagates. ``work`` writes in one transaction, so a failed run changed nothing.
    Uploads are removed once the run is finished.
    """

    def report(phase: str, percent: int) -> None:
        progress_set(run_id, phase, percent)
        if progress:
            progress(phase, percent)

    attempt = ingest_run_claim(run_id, phase=phase, kind=kind)
    if attempt is None:
        return IngestRun.objects.get(pk=run_id)
    run = IngestRun.objects.get(pk=run_id)
    try:
        with ingest_run_heartbeat(run_id, attempt=attempt), _cyclic_gc_paused():
            work(run, report)
    except RunSuperseded as exc:
        logger.warning("%s; this attempt's work was rolled back", exc)
    except expected as exc:
        logger.info("%s run %s failed: %s", run.kind, run_id, exc)
        ingest_run_fail(run_id, str(exc))
    except (OperationalError, InterfaceError):
        IngestRun.objects.filter(pk=run_id).update(
            status=IngestRun.Status.QUEUED, phase="waiting to retry", queued_at=timezone.now()
        )
        raise
    except Exception as exc:
        logger.exception("%s run %s crashed", run.kind, run_id)
        ingest_run_fail(
            run_id,
            f"Internal error while ingesting ({type(exc).__name__}: {exc}). Nothing was changed.",
        )
        raise
    except KeyboardInterrupt:
        ingest_run_fail(
            run_id, "Interrupted before it finished; nothing was changed. Re-run the ingest."
        )
        raise
    finally:
        run.refresh_from_db()
        if run.is_finished and run.trigger in (IngestRun.Trigger.API, IngestRun.Trigger.UI):
            shutil.rmtree(ingest_run_upload_dir(run), ignore_errors=True)
    return run


def ingest_run_execute(*, run_id: int, progress: ProgressCallback | None = None) -> IngestRun:
    """Run a queued dbt ingest. Bad artifacts fail the run with a message naming the file
    and place, and the catalog is left exactly as it was (``ingest_run_guarded``)."""

    def work(run: IngestRun, report: ProgressCallback) -> None:
        report("reading files", 2)
        files = [
            ArtifactFile(name=f["name"], path=Path(f["path"]), declared_kind=f.get("kind") or None)
            for f in run.files
        ]
        bundle = load_bundle(files, settings.LEXICON_MAX_ARTIFACT_BYTES)
        dbt_ingest_write(run, bundle, run.project_name or None, report)

    return ingest_run_guarded(
        run_id=run_id,
        work=work,
        expected=(ArtifactError,),
        phase="reading files",
        progress=progress,
    )


DICTIONARY_PROJECT = "lexicon-dictionary"


@transaction.atomic
def dictionary_metric_asset_upsert(
    *,
    slug: str,
    name: str,
    label: str = "",
    description: str = "",
    tags: list[str] | None = None,
    deprecated: bool = False,
):
    """The catalog asset (kind ``metric``) of a metric defined only in the metric dictionary.

    It lives in its own project (``lexicon-dictionary``), never touched by dbt ingest, so
    that dictionary metrics are found by the same search as every other asset. Returns
    the asset, with its search document rebuilt.
    """
    from catalog.models import Asset, AssetKind, Project
    from catalog.search import search_documents_sync

    project, _ = Project.objects.get_or_create(
        name=DICTIONARY_PROJECT, defaults={"adapter_type": "lexicon"}
    )
    meta = {"source": "lexicon metric dictionary"}
    if deprecated:
        meta["deprecated"] = True
    asset, _ = Asset.objects.update_or_create(
        project=project,
        unique_id=f"metric.lexicon.{slug}",
        defaults={
            "kind": AssetKind.METRIC,
            "name": slug,
            "label": label or name,
            "description": description,
            "tags": tags or [],
            "meta": meta,
            "removed_at": None,
        },
    )
    search_documents_sync([asset.pk])
    return asset

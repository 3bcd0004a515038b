"""Writes to the catalog that start from a person, a command or an API call."""

from __future__ import annotations

import gc
import logging
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.artifacts import ARTIFACT_KINDS, ArtifactError, ArtifactFile, load_bundle
from catalog.ingest import dbt_ingest_write
from catalog.models import IngestRun
from catalog.progress import ProgressCallback, progress_set

logger = logging.getLogger(__name__)



def ingest_run_create_from_paths(*, paths: list[Path], project_name: str = "", actor=None,
                                 trigger: str = IngestRun.Trigger.CLI) -> IngestRun:
    """A queued dbt ingest of files already on this machine (the CLI)."""
    from catalog.artifacts import files_from_paths

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ArtifactError(missing[0], "does not exist.")
    files = files_from_paths(paths)
    if not files:
        raise ArtifactError(str(paths[0]), "holds no manifest.json, catalog.json, run_results.json or sources.json.")
    return IngestRun.objects.create(
        kind=IngestRun.Kind.DBT, trigger=trigger, project_name=project_name, created_by=actor,
        files=[{"kind": f.declared_kind or "", "name": f.name, "path": str(f.path.resolve())} for f in files],
    )


def ingest_run_create_from_uploads(*, uploads: dict[str, UploadedFile], project_name: str = "", actor=None,
                                   trigger: str = IngestRun.Trigger.API) -> IngestRun:
    """Store uploaded artifacts where workers can read them, and queue the run after commit.

    ``uploads`` maps an artifact kind (manifest, catalog, run_results, sources) to the file.
    Oversized uploads are refused before anything is stored.
    """
    limit = settings.LEXICON_MAX_ARTIFACT_BYTES
    for kind, upload in uploads.items():
        if kind not in ARTIFACT_KINDS:
            raise ArtifactError(upload.name or kind, f"was sent as {kind!r}; use one of {', '.join(ARTIFACT_KINDS)}.")
        if upload.size is not None and upload.size > limit:
            raise ArtifactError(
                upload.name or kind, f"is {upload.size:,} bytes, over the limit of {limit:,} (LEXICON_MAX_ARTIFACT_BYTES)."
            )
    if "manifest" not in uploads:
        raise ArtifactError("manifest.json", "is required; catalog, run_results and sources are read against it.")
    with transaction.atomic():
        run = IngestRun.objects.create(kind=IngestRun.Kind.DBT, trigger=trigger, project_name=project_name,
                                       created_by=actor)
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


def ingest_run_claim(run_id: int, *, phase: str, kind: str | None = None) -> bool:
    """Compare-and-swap queued → running; a run stuck in running past the task time
    limit (its worker died) may be claimed again."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    runs = IngestRun.objects.filter(pk=run_id)
    if kind:
        runs = runs.filter(kind=kind)
    return bool(
        runs.filter(Q(status=IngestRun.Status.QUEUED) | Q(status=IngestRun.Status.RUNNING, started_at__lt=stale_before))
        .update(status=IngestRun.Status.RUNNING, started_at=now, phase=phase, progress=0)
    )


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


def ingest_run_guarded(*, run_id: int, work: Callable[[IngestRun, ProgressCallback], None],
                       expected: tuple[type[Exception], ...], phase: str, kind: str | None = None,
                       progress: ProgressCallback | None = None) -> IngestRun:
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

    if not ingest_run_claim(run_id, phase=phase, kind=kind):
        return IngestRun.objects.get(pk=run_id)
    run = IngestRun.objects.get(pk=run_id)
    try:
        with _cyclic_gc_paused():
            work(run, report)
    except expected as exc:
        logger.info("%s run %s failed: %s", run.kind, run_id, exc)
        ingest_run_fail(run_id, str(exc))
    except (OperationalError, InterfaceError):
        IngestRun.objects.filter(pk=run_id).update(status=IngestRun.Status.QUEUED, phase="waiting to retry")
        raise
    except Exception as exc:
        logger.exception("%s run %s crashed", run.kind, run_id)
        ingest_run_fail(run_id, f"Internal error while ingesting ({type(exc).__name__}: {exc}). Nothing was changed.")
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
        files = [ArtifactFile(name=f["name"], path=Path(f["path"]), declared_kind=f.get("kind") or None)
                 for f in run.files]
        bundle = load_bundle(files, settings.LEXICON_MAX_ARTIFACT_BYTES)
        dbt_ingest_write(run, bundle, run.project_name or None, report)

    return ingest_run_guarded(run_id=run_id, work=work, expected=(ArtifactError,), phase="reading files",
                              progress=progress)


DICTIONARY_PROJECT = "lexicon-dictionary"


@transaction.atomic
def dictionary_metric_asset_upsert(*, slug: str, name: str, label: str = "", description: str = "",
                                   tags: list[str] | None = None, deprecated: bool = False):
    """The catalog asset (kind ``metric``) of a metric defined only in the metric dictionary.

    It lives in its own project (``lexicon-dictionary``), never touched by dbt ingest, so
    that dictionary metrics are found by the same search as every other asset. Returns
    the asset, with its search document rebuilt.
    """
    from catalog.models import Asset, AssetKind, Project
    from catalog.search import search_documents_sync

    project, _ = Project.objects.get_or_create(name=DICTIONARY_PROJECT, defaults={"adapter_type": "lexicon"})
    meta = {"source": "lexicon metric dictionary"}
    if deprecated:
        meta["deprecated"] = True
    asset, _ = Asset.objects.update_or_create(
        project=project, unique_id=f"metric.lexicon.{slug}",
        defaults={"kind": AssetKind.METRIC, "name": slug, "label": label or name, "description": description,
                  "tags": tags or [], "meta": meta, "removed_at": None},
    )
    search_documents_sync([asset.pk])
    return asset

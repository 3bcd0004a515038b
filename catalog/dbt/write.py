"""The dbt ingest write: one transaction that upserts what the artifacts say.

``dbt_ingest_write`` locks the project, parses the manifest (``catalog.dbt.extract``) against
what is stored, checks the files belong together (``catalog.dbt.consistency``), then writes
assets, columns, tests, run and freshness results, tombstones what the manifest no longer has,
updates search and runs the ingest hooks of the apps above. A failure anywhere leaves the
catalog exactly as it was. Assets whose ingested fields did not change (same digest) are not
rewritten, so re-ingesting the same artifacts writes nothing but the run row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.dbt import schema as s
from catalog.dbt.artifacts import ArtifactBundle, LoadedArtifact
from catalog.dbt.consistency import check_consistency, check_project_id, project_name_for
from catalog.dbt.extract import (
    NOT_IN_WAREHOUSE,
    ParsedManifest,
    as_text,
    catalog_entries_of,
    freshness_result_fields,
    generated_at,
    invocation_id,
    merge_columns,
    parse_manifest,
    run_result_fields,
    warehouse_fields,
    warehouse_hashes_of,
)
from catalog.heartbeat import ingest_run_finish
from catalog.models import (
    Asset,
    AssetChange,
    AssetKind,
    Column,
    DataTest,
    IngestRun,
    NodeRunResult,
    Project,
    SourceFreshnessResult,
)
from catalog.progress import ProgressCallback
from catalog.relations import dialect_for_adapter
from catalog.search import search_documents_sync
from lexicon_core.extensions import ingest_hooks

# Fields of Asset written by ingest from the manifest / from catalog.json.
MANIFEST_FIELDS = (
    "kind",
    "name",
    "label",
    "description",
    "database",
    "schema",
    "identifier",
    "relation_name",
    "relation_key",
    "package_name",
    "path",
    "original_file_path",
    "materialization",
    "language",
    "raw_code",
    "compiled_code",
    "checksum",
    "access",
    "group",
    "version",
    "latest_version",
    "contract_enforced",
    "tags",
    "meta",
    "depends_on",
    "details",
    "dbt_owners",
    "dbt_tier",
)
WAREHOUSE_FIELDS = ("warehouse_type", "warehouse_stats")
COLUMN_FIELDS = (
    "name",
    "position",
    "data_type",
    "description",
    "tags",
    "meta",
    "documented",
    "in_warehouse",
    "dbt_pii",
    "removed_at",
    "removed_by_run",
)
TEST_FIELDS = (
    "name",
    "test_type",
    "test_name",
    "asset",
    "column_name",
    "severity",
    "kwargs",
    "depends_on",
    "description",
    "tags",
    "content_hash",
    "raw_digest",
    "removed_at",
    "removed_by_run",
)
BATCH = 1000


@dataclass
class IngestOutcome:
    """What a run changed; handed to post-ingest hooks inside the transaction."""

    run: IngestRun
    project: Project
    added_ids: set[int] = field(default_factory=set)
    changed_ids: set[int] = field(default_factory=set)
    removed_ids: set[int] = field(default_factory=set)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def count(self, kind: str, what: str, n: int = 1) -> None:
        per_kind = self.counts.setdefault(
            kind, {"added": 0, "changed": 0, "unchanged": 0, "removed": 0}
        )
        per_kind[what] = per_kind.get(what, 0) + n


def _resolve_project(artifact: LoadedArtifact, requested: str | None) -> Project:
    manifest: s.Manifest = artifact.data
    name = project_name_for(manifest, requested)
    meta = manifest.metadata
    # Concurrent first ingests of one project: one INSERT wins, the others' ON CONFLICT DO
    # NOTHING waits for its transaction (PostgreSQL), and the locking read then finds its row.
    Project.objects.bulk_create([Project(name=name)], ignore_conflicts=True)
    project = Project.objects.select_for_update().get(name=name)
    check_project_id(project, artifact)
    project.dbt_project_id = meta.project_id or project.dbt_project_id
    project.adapter_type = as_text(meta.adapter_type) or project.adapter_type
    project.dialect = dialect_for_adapter(project.adapter_type)
    project.dbt_version = as_text(meta.dbt_version)
    project.manifest_schema_version = f"manifest/v{artifact.version}"
    project.last_invocation_id = as_text(meta.invocation_id)
    project.save()
    return project


def _stored_refs(existing: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``ref:name`` / ``source:src.name`` → unique_id for assets stored before."""
    refs: dict[str, str] = {}
    for uid, row in existing.items():
        if row["removed_at"] is not None:
            continue
        if row["kind"] == AssetKind.SOURCE:
            refs[f"source:{(row['details'] or {}).get('source_name', '')}.{row['name']}"] = uid
        elif row["kind"] in (AssetKind.MODEL, AssetKind.SEED, AssetKind.SNAPSHOT):
            ref = f"ref:{row['name']}"
            if ref not in refs or row["version"] == row["latest_version"]:
                refs[ref] = uid
    return refs


def _write_assets(
    parsed: ParsedManifest,
    bundle: ArtifactBundle,
    outcome: IngestOutcome,
    progress: ProgressCallback,
    existing: dict[str, dict[str, Any]],
    warehouse_hashes: dict[str, str] | None,
) -> dict[str, int]:
    project, run = outcome.project, outcome.run
    now = timezone.now()
    catalog_entries = catalog_entries_of(bundle)
    catalog_given = catalog_entries is not None

    for uid in parsed.unchanged_assets:
        outcome.count(existing[uid]["kind"], "unchanged")
    to_write: list[Asset] = []
    actions: dict[str, str] = {}
    for uid, spec in parsed.assets.items():
        old = existing.get(uid)
        entry = catalog_entries.get(uid) if catalog_entries is not None else None
        if warehouse_hashes is not None:
            warehouse_hash = warehouse_hashes.get(uid, NOT_IN_WAREHOUSE)
        else:
            warehouse_hash = (old or {}).get("warehouse_hash", "")
        if old is None:
            action = "added"
        elif old["removed_at"] is not None:
            action = "restored"
        elif old["manifest_hash"] != spec.manifest_hash or (
            catalog_given and old["warehouse_hash"] != warehouse_hash
        ):
            action = "changed"
        else:
            outcome.count(spec.kind, "unchanged")
            continue
        actions[uid] = action
        values = dict(spec.fields)
        if catalog_given:
            values.update(warehouse_fields(entry))
        to_write.append(
            Asset(
                project=project,
                unique_id=uid,
                manifest_hash=spec.manifest_hash,
                warehouse_hash=warehouse_hash,
                raw_digest=spec.raw_digest,
                first_seen_run=run if action == "added" else None,
                last_changed_run=run,
                removed_at=None,
                removed_by_run=None,
                **values,
            )
        )
        outcome.count(spec.kind, "added" if action in ("added", "restored") else "changed")

    changed_fields_before = {}
    changed_uids = [uid for uid, action in actions.items() if action == "changed"]
    compare = list(MANIFEST_FIELDS) + (list(WAREHOUSE_FIELDS) if catalog_given else [])
    for start in range(0, len(changed_uids), BATCH):
        for row in Asset.objects.filter(
            project=project, unique_id__in=changed_uids[start : start + BATCH]
        ).values("unique_id", *compare):
            changed_fields_before[row.pop("unique_id")] = row

    update_fields = [
        *MANIFEST_FIELDS,
        "manifest_hash",
        "warehouse_hash",
        "raw_digest",
        "last_changed_run",
        "removed_at",
        "removed_by_run",
        "updated_at",
    ]
    if catalog_given:
        update_fields += list(WAREHOUSE_FIELDS)
    for start in range(0, len(to_write), BATCH):
        Asset.objects.bulk_create(
            to_write[start : start + BATCH],
            update_conflicts=True,
            unique_fields=["project", "unique_id"],
            update_fields=update_fields,
        )
        progress("writing assets", 20 + int(30 * (start + BATCH) / max(1, len(to_write))))

    ids = dict(Asset.objects.filter(project=project).values_list("unique_id", "id"))

    # Tombstones: active assets that the manifest no longer has.
    present = set(parsed.assets) | parsed.unchanged_assets
    gone = [
        uid for uid, row in existing.items() if uid not in present and row["removed_at"] is None
    ]
    for start in range(0, len(gone), BATCH):
        Asset.objects.filter(project=project, unique_id__in=gone[start : start + BATCH]).update(
            removed_at=now, removed_by_run=run, last_changed_run=run
        )
    for uid in gone:
        outcome.count(existing[uid]["kind"], "removed")
        outcome.removed_ids.add(ids[uid])

    changes = []
    for uid, action in actions.items():
        fields_changed: list[str] = []
        if action == "changed":
            before = changed_fields_before.get(uid, {})
            spec = parsed.assets[uid]
            after = dict(spec.fields)
            if catalog_given:
                after.update(warehouse_fields(catalog_entries.get(uid)))  # type: ignore[union-attr]
            fields_changed = sorted(k for k in compare if before.get(k) != after.get(k))
            if not fields_changed:
                fields_changed = ["columns"]
            outcome.changed_ids.add(ids[uid])
        else:
            outcome.added_ids.add(ids[uid])
        changes.append(
            AssetChange(asset_id=ids[uid], ingest_run=run, action=action, fields=fields_changed)
        )
    changes += [AssetChange(asset_id=ids[uid], ingest_run=run, action="removed") for uid in gone]
    AssetChange.objects.bulk_create(changes, batch_size=BATCH)

    progress("writing columns", 55)
    _write_columns(parsed, list(actions), ids, catalog_entries, run, now)
    return ids


def _write_columns(
    parsed: ParsedManifest,
    uids: list[str],
    ids: dict[str, int],
    catalog_entries: dict[str, s.CatalogTable] | None,
    run: IngestRun,
    now: datetime,
) -> None:
    catalog_given = catalog_entries is not None
    for start in range(0, len(uids), BATCH):
        chunk = uids[start : start + BATCH]
        asset_ids = [ids[uid] for uid in chunk]
        existing: dict[int, dict[str, Column]] = {}
        for col in Column.objects.filter(asset_id__in=asset_ids):
            existing.setdefault(col.asset_id, {})[col.name_key] = col
        rows: list[Column] = []
        stale: list[int] = []
        for uid in chunk:
            asset_id = ids[uid]
            old = existing.get(asset_id, {})
            entry = catalog_entries.get(uid) if catalog_entries is not None else None
            merged = merge_columns(parsed.assets[uid], entry, catalog_given, old)
            for key, values in merged.items():
                rows.append(
                    Column(
                        asset_id=asset_id,
                        name_key=key,
                        removed_at=None,
                        removed_by_run=None,
                        **values,
                    )
                )
            stale += [c.pk for key, c in old.items() if key not in merged and c.removed_at is None]
        Column.objects.bulk_create(
            rows,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["asset", "name_key"],
            update_fields=list(COLUMN_FIELDS),
        )
        if stale:
            Column.objects.filter(pk__in=stale).update(removed_at=now, removed_by_run=run)


def _write_tests(
    parsed: ParsedManifest,
    ids: dict[str, int],
    outcome: IngestOutcome,
    existing: dict[str, tuple[str, str, str, Any]],
) -> dict[str, int]:
    project, run = outcome.project, outcome.run
    if parsed.unchanged_tests:
        outcome.count("test", "unchanged", len(parsed.unchanged_tests))
    rows: list[DataTest] = []
    for uid, spec in parsed.tests.items():
        old = existing.get(uid)
        if old and old[1] == spec.fields["content_hash"] and old[2] is None:
            outcome.count("test", "unchanged")
            continue
        outcome.count("test", "added" if old is None or old[2] is not None else "changed")
        asset_id = ids.get(spec.attached_unique_id) if spec.attached_unique_id else None
        rows.append(
            DataTest(
                project=project,
                unique_id=uid,
                asset_id=asset_id,
                removed_at=None,
                removed_by_run=None,
                **spec.fields,
            )
        )
    DataTest.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["project", "unique_id"],
        update_fields=list(TEST_FIELDS),
    )
    present = set(parsed.tests) | parsed.unchanged_tests
    gone = [uid for uid, row in existing.items() if uid not in present and row[2] is None]
    for start in range(0, len(gone), BATCH):
        DataTest.objects.filter(project=project, unique_id__in=gone[start : start + BATCH]).update(
            removed_at=timezone.now(), removed_by_run=run
        )
    if gone:
        outcome.count("test", "removed", len(gone))
    return dict(DataTest.objects.filter(project=project).values_list("unique_id", "id"))


def _stored_ids(model, project: Project, invocation: str) -> set[str]:
    """unique_ids whose result of this invocation is stored already (re-ingest skips them)."""
    return set(
        model.objects.filter(project=project, invocation_id=invocation).values_list(
            "unique_id", flat=True
        )
    )


def _write_run_results(
    bundle: ArtifactBundle,
    asset_ids: dict[str, int],
    test_ids: dict[str, int],
    outcome: IngestOutcome,
) -> None:
    artifact = bundle.run_results
    if not artifact:
        return
    project, run = outcome.project, outcome.run
    invocation = invocation_id(artifact)
    generated = generated_at(artifact)
    seen = _stored_ids(NodeRunResult, project, invocation)
    rows = []
    for result in artifact.data.results:
        uid = result.unique_id
        if uid in seen:
            outcome.count("run_result", "unchanged")
            continue
        if uid not in asset_ids and uid not in test_ids:
            continue  # counted as a warning by check_consistency
        seen.add(uid)
        rows.append(
            NodeRunResult(
                project=project,
                ingest_run=run,
                invocation_id=invocation,
                unique_id=uid,
                asset_id=asset_ids.get(uid),
                test_id=test_ids.get(uid),
                generated_at=generated,
                **run_result_fields(result),
            )
        )
        outcome.count("run_result", "added")
    NodeRunResult.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)


def _write_freshness(
    bundle: ArtifactBundle, asset_ids: dict[str, int], outcome: IngestOutcome
) -> set[int]:
    """Store new freshness results; returns the assets that got one (their search facet changes)."""
    artifact = bundle.sources
    if not artifact:
        return set()
    project, run = outcome.project, outcome.run
    invocation = invocation_id(artifact)
    generated = generated_at(artifact)
    seen = _stored_ids(SourceFreshnessResult, project, invocation)
    rows = []
    for result in artifact.data.results:
        uid = result.unique_id
        if uid in seen or uid not in asset_ids:
            if uid in seen:
                outcome.count("freshness", "unchanged")
            continue
        seen.add(uid)
        rows.append(
            SourceFreshnessResult(
                project=project,
                ingest_run=run,
                invocation_id=invocation,
                unique_id=uid,
                asset_id=asset_ids[uid],
                generated_at=generated,
                **freshness_result_fields(result),
            )
        )
        outcome.count("freshness", "added")
    SourceFreshnessResult.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    return {row.asset_id for row in rows}


def _run_hooks(outcome: IngestOutcome) -> None:
    """Post-ingest work of higher apps (table lineage, PII suggestions, metrics), registered
    in ``lexicon_core.extensions`` so that ``catalog`` imports none of them. They run inside
    the ingest transaction, by their registered order."""
    for hook in ingest_hooks():
        hook.fn(outcome)


def dbt_ingest_write(
    run: IngestRun, bundle: ArtifactBundle, project_name: str | None, progress: ProgressCallback
) -> IngestOutcome:
    """Parse, check and write, in one transaction: any error rolls everything back.

    Parsing happens after the project row is locked, so the decision to skip entries
    whose raw JSON is unchanged is made against rows no concurrent ingest can change.
    """
    with transaction.atomic():
        project = _resolve_project(bundle.manifest, project_name)
        existing = {
            row["unique_id"]: row
            for row in Asset.objects.filter(project=project).values(
                "id",
                "unique_id",
                "kind",
                "name",
                "version",
                "latest_version",
                "details",
                "manifest_hash",
                "warehouse_hash",
                "raw_digest",
                "removed_at",
            )
        }
        existing_tests = {
            row[0]: row
            for row in DataTest.objects.filter(project=project).values_list(
                "unique_id", "content_hash", "removed_at", "raw_digest"
            )
        }
        warehouse_hashes = warehouse_hashes_of(catalog_entries_of(bundle))
        skip_assets = {
            uid: row["raw_digest"]
            for uid, row in existing.items()
            if row["raw_digest"]
            and row["removed_at"] is None
            and (
                warehouse_hashes is None
                or warehouse_hashes.get(uid, NOT_IN_WAREHOUSE) == row["warehouse_hash"]
            )
        }
        skip_tests = {
            uid: row[3] for uid, row in existing_tests.items() if row[3] and row[2] is None
        }
        progress("parsing manifest", 12)
        parsed = parse_manifest(
            bundle.manifest,
            skip_assets=skip_assets,
            skip_tests=skip_tests,
            stored_refs=_stored_refs(existing),
        )
        bundle.warnings += check_consistency(bundle, parsed)
        outcome = IngestOutcome(run=run, project=project)
        progress("writing assets", 20)
        asset_ids = _write_assets(parsed, bundle, outcome, progress, existing, warehouse_hashes)
        progress("writing tests", 70)
        test_ids = _write_tests(parsed, asset_ids, outcome, existing_tests)
        progress("writing run results", 80)
        _write_run_results(bundle, asset_ids, test_ids, outcome)
        refreshed = _write_freshness(bundle, asset_ids, outcome)
        progress("updating search", 88)
        search_documents_sync(
            outcome.added_ids | outcome.changed_ids | outcome.removed_ids | refreshed
        )
        progress("deriving lineage", 90)
        _run_hooks(outcome)
        ingest_run_finish(
            run,
            project=project,
            status=IngestRun.Status.SUCCEEDED,
            phase="done",
            progress=100,
            counts=outcome.counts,
            warnings=bundle.warnings + parsed.warnings + outcome.warnings,
            invocation_id=as_text(parsed.metadata.invocation_id),
            schema_versions={a.kind: a.describe()["schema_version"] for a in bundle.files()},
            files=[a.describe() for a in bundle.files()],
            finished_at=timezone.now(),
            error="",
        )
    return outcome

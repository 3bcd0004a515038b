"""Statements to catalog entries: the relation names a fingerprint reads and writes become
asset ids (unknown ones warehouse-only assets of the source's project), and the columns it
uses become column ids (cataloged with their asset when it is warehouse-only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.models import Asset, AssetKind, Column, Project
from catalog.relations import relation_key
from lineage.models import Fingerprint, FingerprintAsset, QueryLogSource

if TYPE_CHECKING:
    from lineage.querylog.pipeline import AggregateRun, Shape

_UNSAFE_WAREHOUSE_NAMES = ("/", "@", "'")  # stages and file paths are not relations


class Resolver:
    """Relation names (db.schema.table, or fewer parts) → asset ids; unknown names become
    warehouse-only assets of the source's project."""

    def __init__(self, source: QueryLogSource):
        self.source = source
        self.full: dict[str, int] = {}
        self.partial: dict[str, int | None] = {}  # schema.table and table → id, None if ambiguous
        self.created: list[int] = []
        self.databases: set[str] = set()
        rows = (
            Asset.objects.exclude(relation_key="")
            .filter(kind__in=_RELATION_KINDS)
            .values_list("relation_key", "id", "removed_at")
            .order_by("id")
        )
        for key, asset_id, removed_at in rows:
            if removed_at is None:  # an active asset wins over a removed one with the same name
                self.full[key] = asset_id
            else:
                self.full.setdefault(key, asset_id)
            parts = key.split(".")
            if len(parts) == 3:
                self.databases.add(parts[0])
            for n in (2, 1):
                if len(parts) > n:
                    short = ".".join(parts[-n:])
                    previous = self.partial.get(short, 0)
                    self.partial[short] = asset_id if previous in (0, asset_id) else None
        self.pending: dict[str, tuple[str, str, str]] = {}

    def qualify(self, name: str, database: str, schema: str) -> str:
        parts = [p for p in name.lower().split(".") if p]
        if not parts:
            return ""
        if len(parts) == 1:
            parts = [
                database or self.source.default_database,
                schema or self.source.default_schema,
                parts[0],
            ]
        elif len(parts) == 2:
            parts = [database or self.source.default_database, *parts]
        return relation_key(*parts[-3:])

    def lookup(self, name: str, database: str, schema: str) -> int | str | None:
        """An asset id, or the relation key of a warehouse asset still to create."""
        if not name or any(ch in name for ch in _UNSAFE_WAREHOUSE_NAMES):
            return None
        lowered = name.lower().strip()
        key = self.qualify(lowered, database, schema)
        for candidate in (lowered, key):
            if candidate in self.full:
                return self.full[candidate]
        # A shorter match only when the database is not one the catalog knows: the same
        # warehouse seen under another name (a dev copy, a PostgreSQL database name that dbt
        # does not use). A known database with an unknown table is a different table.
        named = lowered.split(".")
        if not (len(named) >= 3 and named[-3] in self.databases):
            for candidate in (".".join(named[-2:]), named[-1]) if len(named) > 1 else (lowered,):
                hit = self.partial.get(candidate)
                if hit:
                    return hit
        if not key:
            return None
        parts = key.split(".")
        self.pending[key] = (
            parts[-3] if len(parts) >= 3 else "",
            parts[-2] if len(parts) >= 2 else "",
            parts[-1],
        )
        return key

    def create_pending(self) -> dict[str, int]:
        if not self.pending:
            return {}
        project = _source_project(self.source)
        assets = [
            Asset(
                project=project,
                unique_id=f"warehouse.{key}",
                kind=AssetKind.WAREHOUSE_RELATION,
                name=identifier,
                database=database,
                schema=schema,
                identifier=identifier,
                relation_name=key,
                relation_key=key,
            )
            for key, (database, schema, identifier) in self.pending.items()
        ]
        Asset.objects.bulk_create(assets, batch_size=1000, ignore_conflicts=True)
        ids = dict(
            Asset.objects.filter(
                project=project, unique_id__in=[a.unique_id for a in assets]
            ).values_list("relation_key", "id")
        )
        self.created = list(ids.values())
        self.full.update(ids)
        self.pending = {}
        from catalog.search import search_documents_sync

        search_documents_sync(self.created)
        return ids


_RELATION_KINDS = [
    AssetKind.MODEL,
    AssetKind.SOURCE,
    AssetKind.SEED,
    AssetKind.SNAPSHOT,
    AssetKind.WAREHOUSE_RELATION,
]


def _source_project(source: QueryLogSource) -> Project:
    if source.project_id:
        return source.project
    project, _ = Project.objects.get_or_create(
        name=f"{source.name} (warehouse)", defaults={"dialect": source.dialect}
    )
    QueryLogSource.objects.filter(pk=source.pk).update(project=project)
    source.project = project
    return project


def resolve_shapes(
    run: AggregateRun, stored: dict[int, Fingerprint]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per local shape: asset ids read and asset ids written."""
    resolver = Resolver(run.source)
    raw_reads: list[list] = []
    raw_writes: list[list] = []
    for shape in run.shapes:
        fp = stored[shape.key]
        reads = set(fp.reads) | shape.accessed
        writes = set(fp.writes) | shape.written
        raw_reads.append([resolver.lookup(n, shape.database, shape.schema) for n in sorted(reads)])
        raw_writes.append(
            [resolver.lookup(n, shape.database, shape.schema) for n in sorted(writes)]
        )
    created = resolver.create_pending()
    run.stats.assets_created = len(created)

    def ids(values: list) -> set[int]:
        return {created.get(v) if isinstance(v, str) else v for v in values} - {None}

    reads_by_shape = {i: ids(r) for i, r in enumerate(raw_reads)}
    writes_by_shape = {i: ids(w) for i, w in enumerate(raw_writes)}
    links = set()
    for i, shape in enumerate(run.shapes):
        fp_id = stored[shape.key].pk
        links.update((fp_id, a, False) for a in reads_by_shape[i])
        links.update((fp_id, a, True) for a in writes_by_shape[i])
    FingerprintAsset.objects.bulk_create(
        [FingerprintAsset(fingerprint_id=f, asset_id=a, writes=w) for f, a, w in links],
        batch_size=2000,
        ignore_conflicts=True,
    )
    run.resolver = resolver
    return reads_by_shape, writes_by_shape


def asset_of(run: AggregateRun, table: str, shape: Shape) -> int | None:
    resolver: Resolver = run.resolver
    hit = resolver.lookup(table, shape.database, shape.schema)
    return hit if isinstance(hit, int) else None


def column_ids(asset_ids: set[int]) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = {}
    ids = list(asset_ids)
    for start in range(0, len(ids), 2000):
        for asset_id, name_key, column_id in Column.objects.filter(
            asset_id__in=ids[start : start + 2000], removed_at__isnull=True
        ).values_list("asset_id", "name_key", "id"):
            out[(asset_id, name_key)] = column_id
    return out


def ensure_warehouse_columns(
    run: AggregateRun, stored, columns_by_asset: dict[int, set[str]]
) -> None:
    """Columns referenced on warehouse-only assets are cataloged with them (dbt assets'
    columns belong to dbt ingest and are never created here)."""
    warehouse = set(
        Asset.objects.filter(
            pk__in=list(columns_by_asset), kind=AssetKind.WAREHOUSE_RELATION
        ).values_list("id", flat=True)
    )
    new = [
        Column(asset_id=a, name=name, name_key=name.lower())
        for a in warehouse
        for name in columns_by_asset[a]
    ]
    Column.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)


def resolve_columns(
    run: AggregateRun, stored: dict[int, Fingerprint], touched: set[int]
) -> dict[int, set[int]]:
    """Per local shape: ids of the catalog columns it uses. Columns it names on
    warehouse-only assets are cataloged first; a filter counts only on a known column
    (aliases are not columns)."""
    shapes = run.shapes
    ids = column_ids(touched)
    columns_by_asset: dict[int, set[str]] = {}
    shape_columns: dict[int, set[int]] = {}
    for i, shape in enumerate(shapes):
        fp = stored[shape.key]
        found: set[int] = set()
        for table, column in fp.columns:
            asset_id = asset_of(run, table, shape)
            if asset_id is None:
                continue
            column_id = ids.get((asset_id, column.lower()))
            if column_id is None:
                columns_by_asset.setdefault(asset_id, set()).add(column.lower())
            else:
                found.add(column_id)
        for table, column in fp.filters:  # only columns the catalog knows: aliases are not columns
            asset_id = asset_of(run, table, shape)
            column_id = ids.get((asset_id, column.lower())) if asset_id is not None else None
            if column_id is not None:
                found.add(column_id)
        shape_columns[i] = found
    if columns_by_asset:
        ensure_warehouse_columns(run, stored, columns_by_asset)
        ids = column_ids(touched | set(columns_by_asset))
        for i, shape in enumerate(shapes):
            for table, column in stored[shape.key].columns:
                asset_id = asset_of(run, table, shape)
                if asset_id is not None and (asset_id, column.lower()) in ids:
                    shape_columns[i].add(ids[(asset_id, column.lower())])
    return shape_columns

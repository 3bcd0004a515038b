"""Typed, lenient readers for dbt artifacts, every schema version at once.

Each struct declares only the fields Lexicon reads; every other key in the JSON is
skipped without being materialised (``macros``, ``docs``, ``parent_map`` ... are never
decoded). Fields are optional with defaults so that one struct reads manifest v1 to v12,
but a field that is present must have the type we expect: ``{"name": 5}`` fails with
the JSON path of the offending value.

Names that changed across versions are both declared (``raw_sql``/``raw_code``,
``compiled_sql``/``compiled_code``, ``type``/``calculation_method``).
"""

from __future__ import annotations

from typing import Any

import msgspec

Meta = dict[str, Any]
Tags = list[str] | str | None


class Metadata(msgspec.Struct, omit_defaults=True):
    dbt_schema_version: str | None = None
    dbt_version: str | None = None
    generated_at: str | None = None
    invocation_id: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    adapter_type: str | None = None


class Envelope(msgspec.Struct):
    """Just enough to tell what a file is before decoding it fully."""

    metadata: Metadata | None = None


class DependsOn(msgspec.Struct):
    nodes: list[str] = []


class Checksum(msgspec.Struct):
    name: str | None = None
    checksum: str | None = None


class Contract(msgspec.Struct):
    enforced: bool = False


class NodeConfig(msgspec.Struct):
    enabled: bool | None = None
    materialized: str | None = None
    meta: Meta = {}
    tags: Tags = None
    group: str | None = None
    access: str | None = None
    severity: str | None = None
    contract: Contract | None = None


class ColumnInfo(msgspec.Struct):
    name: str | None = None
    description: str | None = None
    meta: Meta = {}
    data_type: str | None = None
    tags: Tags = None


class TestMetadata(msgspec.Struct):
    name: str | None = None
    kwargs: dict[str, Any] = {}
    namespace: str | None = None


class Node(msgspec.Struct):
    """An entry of ``nodes``: model, seed, snapshot, analysis, test, operation..."""

    resource_type: str
    name: str
    unique_id: str | None = None
    database: str | None = None
    schema: str | None = None
    alias: str | None = None
    relation_name: str | None = None
    package_name: str | None = None
    path: str | None = None
    original_file_path: str | None = None
    description: str | None = None
    columns: dict[str, ColumnInfo] = {}
    meta: Meta = {}
    tags: Tags = None
    config: NodeConfig | None = None
    depends_on: DependsOn | None = None
    checksum: Checksum | None = None
    language: str | None = None
    raw_sql: str | None = None
    raw_code: str | None = None
    compiled_sql: str | None = None
    compiled_code: str | None = None
    access: str | None = None
    group: str | None = None
    version: str | int | float | None = None
    latest_version: str | int | float | None = None
    contract: Contract | None = None
    column_name: str | None = None
    attached_node: str | None = None
    test_metadata: TestMetadata | None = None


class FreshnessThreshold(msgspec.Struct):
    count: int | None = None
    period: str | None = None


class FreshnessRule(msgspec.Struct):
    warn_after: FreshnessThreshold | None = None
    error_after: FreshnessThreshold | None = None
    filter: str | None = None


class Source(msgspec.Struct):
    name: str
    source_name: str | None = None
    resource_type: str = "source"
    unique_id: str | None = None
    database: str | None = None
    schema: str | None = None
    identifier: str | None = None
    relation_name: str | None = None
    package_name: str | None = None
    path: str | None = None
    original_file_path: str | None = None
    description: str | None = None
    source_description: str | None = None
    columns: dict[str, ColumnInfo] = {}
    meta: Meta = {}
    source_meta: Meta = {}
    tags: Tags = None
    config: NodeConfig | None = None
    loaded_at_field: str | None = None
    loader: str | None = None
    freshness: FreshnessRule | None = None


class Owner(msgspec.Struct):
    name: str | None = None
    email: str | list[str] | None = None


class Exposure(msgspec.Struct):
    name: str
    unique_id: str | None = None
    type: str | None = None
    label: str | None = None
    description: str | None = None
    owner: Owner | None = None
    url: str | None = None
    maturity: str | None = None
    meta: Meta = {}
    tags: Tags = None
    config: NodeConfig | None = None
    depends_on: DependsOn | None = None
    package_name: str | None = None
    path: str | None = None
    original_file_path: str | None = None


class Metric(msgspec.Struct):
    """Semantic-layer metrics (v10+) and legacy metrics (v4-v9) alike."""

    name: str
    unique_id: str | None = None
    label: str | None = None
    description: str | None = None
    type: str | None = None
    calculation_method: str | None = None
    expression: str | None = None
    sql: str | None = None
    type_params: dict[str, Any] | None = None
    filter: Any = None
    filters: list[Any] | None = None
    time_grains: list[str] | None = None
    dimensions: list[Any] | None = None
    timestamp: str | None = None
    model: str | None = None
    time_granularity: str | None = None
    meta: Meta = {}
    tags: Tags = None
    config: NodeConfig | None = None
    group: str | None = None
    depends_on: DependsOn | None = None
    package_name: str | None = None
    path: str | None = None
    original_file_path: str | None = None


class NodeRelation(msgspec.Struct):
    alias: str | None = None
    schema_name: str | None = None
    database: str | None = None
    relation_name: str | None = None


class SemanticModel(msgspec.Struct):
    name: str
    unique_id: str | None = None
    label: str | None = None
    description: str | None = None
    model: str | None = None
    node_relation: NodeRelation | None = None
    entities: list[dict[str, Any]] = []
    measures: list[dict[str, Any]] = []
    dimensions: list[dict[str, Any]] = []
    defaults: dict[str, Any] | None = None
    primary_entity: str | None = None
    meta: Meta = {}
    config: NodeConfig | None = None
    group: str | None = None
    depends_on: DependsOn | None = None
    package_name: str | None = None
    path: str | None = None
    original_file_path: str | None = None


class SavedQuery(msgspec.Struct):
    name: str
    unique_id: str | None = None
    label: str | None = None
    description: str | None = None
    query_params: dict[str, Any] | None = None
    meta: Meta = {}
    config: NodeConfig | None = None
    group: str | None = None
    depends_on: DependsOn | None = None
    package_name: str | None = None
    path: str | None = None
    original_file_path: str | None = None


class UnitTest(msgspec.Struct):
    name: str
    unique_id: str | None = None
    model: str | None = None
    description: str | None = None
    depends_on: DependsOn | None = None
    config: NodeConfig | None = None


class Group(msgspec.Struct):
    name: str
    owner: Owner | None = None


class Manifest(msgspec.Struct):
    """Top level: every section is kept raw and decoded entry by entry.

    Entry-by-entry decoding lets an error name the entry (``$.nodes['model.x'].name``)
    and lets an unknown ``resource_type`` be judged by the manifest's schema version.
    """

    metadata: Metadata
    nodes: dict[str, msgspec.Raw] = {}
    sources: dict[str, msgspec.Raw] = {}
    exposures: dict[str, msgspec.Raw] = {}
    metrics: dict[str, msgspec.Raw] = {}
    semantic_models: dict[str, msgspec.Raw] = {}
    saved_queries: dict[str, msgspec.Raw] = {}
    unit_tests: dict[str, msgspec.Raw] = {}
    groups: dict[str, msgspec.Raw] = {}


class CatalogColumn(msgspec.Struct):
    name: str
    type: str | None = None
    index: int | None = None
    comment: str | None = None


class CatalogTableMetadata(msgspec.Struct):
    type: str | None = None
    schema: str | None = None
    name: str | None = None
    database: str | None = None
    comment: str | None = None
    owner: str | None = None


class CatalogStat(msgspec.Struct):
    id: str | None = None
    label: str | None = None
    value: Any = None
    include: bool | int | float = False  # spark writes 0.0 / 1.0
    description: str | None = None


class CatalogTable(msgspec.Struct):
    metadata: CatalogTableMetadata | None = None
    columns: dict[str, CatalogColumn] = {}
    stats: dict[str, CatalogStat] = {}
    unique_id: str | None = None


class Catalog(msgspec.Struct):
    metadata: Metadata
    nodes: dict[str, CatalogTable] = {}
    sources: dict[str, CatalogTable] = {}
    errors: list[str] | None = None


class Timing(msgspec.Struct):
    name: str | None = None
    started_at: str | None = None
    completed_at: str | None = None


class RunResult(msgspec.Struct):
    unique_id: str
    status: str | None = None
    timing: list[Timing] = []
    execution_time: float | None = None
    message: str | None = None
    # Some adapters write failures as a string ("0"); it is converted on ingest.
    failures: int | str | None = None
    adapter_response: dict[str, Any] | None = None


class RunResults(msgspec.Struct):
    metadata: Metadata
    results: list[RunResult] = []
    elapsed_time: float | None = None


class FreshnessResult(msgspec.Struct):
    unique_id: str
    status: str | None = None
    max_loaded_at: str | None = None
    snapshotted_at: str | None = None
    max_loaded_at_time_ago_in_s: float | None = None
    criteria: FreshnessRule | None = None
    error: str | None = None
    timing: list[Timing] = []


class Sources(msgspec.Struct):
    metadata: Metadata
    results: list[FreshnessResult] = []
    elapsed_time: float | None = None

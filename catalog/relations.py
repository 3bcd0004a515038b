"""Relation names and SQL dialects, shared by dbt ingest and query-log matching."""

from __future__ import annotations

# dbt adapter type → sqlglot dialect name. Unknown adapters parse as generic SQL.
ADAPTER_DIALECTS: dict[str, str] = {
    "athena": "athena",
    "bigquery": "bigquery",
    "clickhouse": "clickhouse",
    "databricks": "databricks",
    "doris": "doris",
    "duckdb": "duckdb",
    "fabric": "tsql",
    "glue": "spark",
    "hive": "hive",
    "impala": "hive",
    "materialize": "postgres",
    "mysql": "mysql",
    "oracle": "oracle",
    "postgres": "postgres",
    "presto": "presto",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "spark": "spark",
    "sqlite": "sqlite",
    "sqlserver": "tsql",
    "starburst": "trino",
    "starrocks": "starrocks",
    "synapse": "tsql",
    "teradata": "teradata",
    "trino": "trino",
}


def dialect_for_adapter(adapter_type: str | None) -> str:
    return ADAPTER_DIALECTS.get((adapter_type or "").lower(), "")


def _clean(part: str | None) -> str:
    return (part or "").strip().strip('"`[]').lower()


def relation_key(database: str | None, schema: str | None, identifier: str | None) -> str:
    """``db.schema.table`` lower-cased without quotes: the key query-log tables match on.

    Lower-casing is right for every warehouse's unquoted names (Snowflake folds to upper
    case, PostgreSQL to lower); quoted mixed-case names are rare in dbt projects.
    """
    parts = [_clean(database), _clean(schema), _clean(identifier)]
    if not parts[2]:
        return ""
    return ".".join(p for p in parts if p)

"""The full-text index over catalog_searchdocument, built by each database itself.

PostgreSQL: a generated, weighted tsvector column (name > label/description > columns >
tags/meta) with a GIN index, plus a trigram index on the name for typos and prefixes.
SQLite: an FTS5 table (external content) kept in step by triggers.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE catalog_searchdocument ADD COLUMN vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', coalesce(name, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(label, '') || ' ' || coalesce(description, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(column_text, '')), 'C') ||
        setweight(to_tsvector('simple', coalesce(tag_text, '')), 'D')
    ) STORED
    """,
    "CREATE INDEX catalog_searchdocument_vector_gin ON catalog_searchdocument USING gin (vector)",
    "CREATE INDEX catalog_searchdocument_name_trgm ON catalog_searchdocument USING gin (lower(name) gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS catalog_searchdocument_name_trgm",
    "DROP INDEX IF EXISTS catalog_searchdocument_vector_gin",
    "ALTER TABLE catalog_searchdocument DROP COLUMN IF EXISTS vector",
]
_FTS_COLUMNS = "name, label, description, column_text, tag_text"
_NEW = "new.name, new.label, new.description, new.column_text, new.tag_text"
_OLD = "old.name, old.label, old.description, old.column_text, old.tag_text"
SQLITE_FORWARD = [
    f"""
    CREATE VIRTUAL TABLE catalog_searchdocument_fts USING fts5(
        {_FTS_COLUMNS},
        content='catalog_searchdocument', content_rowid='asset_id',
        tokenize="unicode61 separators '_.'"
    )
    """,
    f"""
    CREATE TRIGGER catalog_searchdocument_ai AFTER INSERT ON catalog_searchdocument BEGIN
        INSERT INTO catalog_searchdocument_fts(rowid, {_FTS_COLUMNS}) VALUES (new.asset_id, {_NEW});
    END
    """,
    f"""
    CREATE TRIGGER catalog_searchdocument_ad AFTER DELETE ON catalog_searchdocument BEGIN
        INSERT INTO catalog_searchdocument_fts(catalog_searchdocument_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.asset_id, {_OLD});
    END
    """,
    f"""
    CREATE TRIGGER catalog_searchdocument_au AFTER UPDATE ON catalog_searchdocument BEGIN
        INSERT INTO catalog_searchdocument_fts(catalog_searchdocument_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.asset_id, {_OLD});
        INSERT INTO catalog_searchdocument_fts(rowid, {_FTS_COLUMNS}) VALUES (new.asset_id, {_NEW});
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_searchdocument_au",
    "DROP TRIGGER IF EXISTS catalog_searchdocument_ad",
    "DROP TRIGGER IF EXISTS catalog_searchdocument_ai",
    "DROP TABLE IF EXISTS catalog_searchdocument_fts",
]


def forwards(apps, schema_editor):
    statements = {"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    statements = {"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_document")]
    operations = [migrations.RunPython(forwards, backwards)]

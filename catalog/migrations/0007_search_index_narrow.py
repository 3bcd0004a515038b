"""The full-text index over the narrow search documents (0006), built by each database.

PostgreSQL: ``name_vector`` (the name) and ``primary_vector`` (name, label, summary) are
generated on ``catalog_searchdocument`` with GIN indexes; ``vector`` (every text) is
generated on ``catalog_searchtext`` with its own. A btree in the static rank order
(popularity, tier, certification, name) lets a broad word's best matches be read in
order and the scan stop after a page; a prefix index on lower(name) finds exact and
prefix name matches. Ranking reads narrow document rows; the wide texts are only matched
through their index. The GIN indexes are written through (``fastupdate = off``): a
catalog is read far more than written, and a pending list scanned on every search until
the next vacuum costs more than it saves an ingest. Typo
correction reads the vocabulary through a trigram index; "is this word known" through a
prefix index.
SQLite: an FTS5 table over ``catalog_searchtext`` kept by triggers, as 0005 did over the
documents.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE catalog_searchdocument
        ADD COLUMN name_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, ''))) STORED,
        ADD COLUMN primary_vector tsvector GENERATED ALWAYS AS (
            to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(label, '') || ' ' || coalesce(summary, ''))
        ) STORED
    """,
    "CREATE INDEX catalog_searchdocument_primary_gin ON catalog_searchdocument USING gin (primary_vector) "
    "WITH (fastupdate = off)",
    "CREATE INDEX catalog_searchdocument_name_gin ON catalog_searchdocument USING gin (name_vector) WITH (fastupdate = off)",
    # The static rank order (catalog.search._STATIC_ORDER_SQL), and names by prefix.
    "CREATE INDEX catalog_searchdocument_static ON catalog_searchdocument "
    "(removed, deprecated, popularity DESC, tier ASC NULLS LAST, certified DESC, name, asset_id)",
    "CREATE INDEX catalog_searchdocument_name_prefix ON catalog_searchdocument (lower(name) text_pattern_ops)",
    """
    ALTER TABLE catalog_searchtext ADD COLUMN vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(label, '') || ' ' || coalesce(description, '')
                    || ' ' || coalesce(column_text, '') || ' ' || coalesce(tag_text, ''))
    ) STORED
    """,
    "CREATE INDEX catalog_searchtext_vector_gin ON catalog_searchtext USING gin (vector) WITH (fastupdate = off)",
    "CREATE INDEX catalog_searchword_trgm ON catalog_searchword USING gin (word gin_trgm_ops) WITH (fastupdate = off)",
    "CREATE INDEX catalog_searchword_prefix ON catalog_searchword (word varchar_pattern_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS catalog_searchword_prefix",
    "DROP INDEX IF EXISTS catalog_searchword_trgm",
    "DROP INDEX IF EXISTS catalog_searchtext_vector_gin",
    "ALTER TABLE catalog_searchtext DROP COLUMN IF EXISTS vector",
    "DROP INDEX IF EXISTS catalog_searchdocument_name_prefix",
    "DROP INDEX IF EXISTS catalog_searchdocument_static",
    "DROP INDEX IF EXISTS catalog_searchdocument_name_gin",
    "DROP INDEX IF EXISTS catalog_searchdocument_primary_gin",
    "ALTER TABLE catalog_searchdocument DROP COLUMN IF EXISTS primary_vector, DROP COLUMN IF EXISTS name_vector",
]
_FTS_COLUMNS = "name, label, description, column_text, tag_text"
_NEW = "new.name, new.label, new.description, new.column_text, new.tag_text"
_OLD = "old.name, old.label, old.description, old.column_text, old.tag_text"
SQLITE_FORWARD = [
    f"""
    CREATE VIRTUAL TABLE catalog_searchtext_fts USING fts5(
        {_FTS_COLUMNS},
        content='catalog_searchtext', content_rowid='asset_id',
        tokenize="unicode61 separators '_.'"
    )
    """,
    f"""
    CREATE TRIGGER catalog_searchtext_ai AFTER INSERT ON catalog_searchtext BEGIN
        INSERT INTO catalog_searchtext_fts(rowid, {_FTS_COLUMNS}) VALUES (new.asset_id, {_NEW});
    END
    """,
    f"""
    CREATE TRIGGER catalog_searchtext_ad AFTER DELETE ON catalog_searchtext BEGIN
        INSERT INTO catalog_searchtext_fts(catalog_searchtext_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.asset_id, {_OLD});
    END
    """,
    f"""
    CREATE TRIGGER catalog_searchtext_au AFTER UPDATE ON catalog_searchtext BEGIN
        INSERT INTO catalog_searchtext_fts(catalog_searchtext_fts, rowid, {_FTS_COLUMNS})
        VALUES ('delete', old.asset_id, {_OLD});
        INSERT INTO catalog_searchtext_fts(rowid, {_FTS_COLUMNS}) VALUES (new.asset_id, {_NEW});
    END
    """,
    "INSERT INTO catalog_searchtext_fts(catalog_searchtext_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_searchtext_au",
    "DROP TRIGGER IF EXISTS catalog_searchtext_ad",
    "DROP TRIGGER IF EXISTS catalog_searchtext_ai",
    "DROP TABLE IF EXISTS catalog_searchtext_fts",
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
    dependencies = [("catalog", "0006_search_narrow_documents")]
    operations = [migrations.RunPython(forwards, backwards)]

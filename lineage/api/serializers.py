"""Input serializers of the lineage API (SQL explain, query-log upload)."""

from __future__ import annotations

from rest_framework import serializers


class ExplainInputSerializer(serializers.Serializer):
    sql = serializers.CharField(trim_whitespace=False)
    dialect = serializers.CharField(required=False, default="ansi")
    schema = serializers.DictField(
        required=False, allow_null=True, help_text='{"db.schema.table": {"column": "type"}}'
    )
    default_db = serializers.CharField(required=False, allow_blank=True, default="")
    default_schema = serializers.CharField(required=False, allow_blank=True, default="")
    id = serializers.CharField(required=False, allow_null=True)


class QueryLogIngestInputSerializer(serializers.Serializer):
    """Multipart upload of one query-log export (gzip accepted)."""

    file = serializers.FileField(
        help_text="Query-log export: Snowflake QUERY_HISTORY, BigQuery JOBS, "
        "Redshift SYS_QUERY_HISTORY or PostgreSQL csvlog (CSV or JSON lines)"
    )
    source = serializers.CharField(
        max_length=100, help_text="Query-log source name; created on first use"
    )
    format = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Reader name; detected from the file when left out",
    )
    access_history = serializers.FileField(
        required=False, help_text="Snowflake ACCESS_HISTORY export"
    )
    query_text = serializers.FileField(required=False, help_text="Redshift SYS_QUERY_TEXT export")

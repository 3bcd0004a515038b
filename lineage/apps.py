from django.apps import AppConfig


class LineageConfig(AppConfig):
    """Table and column lineage, SQL parsing, query logs and usage."""

    name = "lineage"
    verbose_name = "Lineage"

    def ready(self) -> None:
        from lexicon_core.extensions import Panel, register_ingest_hook, register_panel
        from lineage.hooks import column_lineage_enqueue, dbt_table_edges_sync

        register_ingest_hook("lineage.dbt_table_edges", dbt_table_edges_sync, order=10)
        register_ingest_hook("lineage.column_lineage", column_lineage_enqueue, order=20)
        for panel in (
            Panel("asset", "tab", "lineage", 40, label="Lineage", url_name="lineage:asset_panel"),
            Panel("asset", "tab", "usage", 50, label="Usage", url_name="lineage:asset_usage_panel"),
            Panel(
                "ingest_runs",
                "upload",
                "querylog_upload",
                10,
                label="Upload a warehouse query log",
                description="Snowflake, BigQuery, Redshift or PostgreSQL: usage, popularity and "
                "lineage from DML",
                url_name="lineage:querylog_upload",
            ),
            Panel(
                "ingest_run",
                "detail",
                "querylog_run",
                10,
                url_name="lineage:querylog_run_panel",
                when=lambda run: run.kind == "query_log",
            ),
        ):
            register_panel(panel)

from django.apps import AppConfig


class LineageConfig(AppConfig):
    """Table and column lineage, SQL parsing, query logs and usage."""

    name = "lineage"
    verbose_name = "Lineage"

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """The core: projects, assets, columns, tests, runs and ingest runs."""

    name = "catalog"
    verbose_name = "Catalog"

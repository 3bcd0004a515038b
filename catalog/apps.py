from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """The core: projects, assets, columns, tests, runs and ingest runs."""

    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from catalog import permissions  # noqa: F401 - registers the catalog's permission rules
        from lexicon_core.extensions import Panel, register_panel

        # The asset-page tabs the catalog renders itself; the apps above add theirs between.
        for key, label, order in (
            ("overview", "Overview", 10),
            ("columns", "Columns", 20),
            ("quality", "Quality", 30),
            ("code", "Code", 60),
        ):
            register_panel(Panel("asset", "tab", key, order, label=label))

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """The core: projects, assets, columns, tests, runs and ingest runs."""

    name = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db import connections
        from django.db.backends.signals import connection_created

        from catalog import permissions  # noqa: F401 - registers the catalog's permission rules
        from lexicon_core import generation
        from lexicon_core.extensions import Panel, register_panel

        # The asset-page tabs the catalog renders itself; the apps above add theirs between.
        for key, label, order in (
            ("overview", "Overview", 10),
            ("columns", "Columns", 20),
            ("quality", "Quality", 30),
            ("code", "Code", 60),
        ):
            register_panel(Panel("asset", "tab", key, order, label=label))

        # Every committed write moves the catalog generation on (lexicon_core.generation).
        connection_created.connect(generation.install, dispatch_uid="lexicon_generation")
        # A setting changed at run time (tests, override_settings) may change any page.
        setting_changed.connect(generation.setting_changed, dispatch_uid="lexicon_generation_s")
        for connection in connections.all(initialized_only=True):
            generation.install(connection=connection)

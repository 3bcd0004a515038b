"""The production static-files path: collectstatic with whitenoise's manifest storage (what
DEBUG=false uses) passes on the repository's own tree, and pages render against the manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

STATIC = Path(settings.BASE_DIR) / "static"
# The reference forms Django's manifest storage rewrites (and fails on when the target is absent).
SOURCE_MAP = re.compile(r"^\s*(?://|/\*)# sourceMappingURL=(\S+?)(?:\s*\*/)?\s*$", re.MULTILINE)


def test_every_source_map_a_static_file_names_is_in_the_tree():
    missing = []
    for path in sorted(STATIC.rglob("*")):
        if path.suffix not in {".js", ".css"}:
            continue
        for target in SOURCE_MAP.findall(path.read_text(errors="replace")):
            if not target.startswith("data:") and not (path.parent / target).is_file():
                missing.append(f"{path.relative_to(STATIC)} -> {target}")
    assert missing == []


def test_every_vendored_library_keeps_its_licence_and_a_version_note():
    vendor = STATIC / "vendor"
    notes = (vendor / "README.md").read_text()
    folders = [p for p in vendor.iterdir() if p.is_dir()]
    assert folders
    for folder in folders:
        assert list(folder.glob("LICENSE*")), f"{folder.name} has no licence file"
        version = folder.name.rsplit("-", 1)[1]
        assert f"@{version}`" in notes, f"{folder.name} is not described in static/vendor/README.md"


PAGES = [
    "home",
    "catalog:search",
    "catalog:browse",
    "metrics_dictionary:index",
    "lineage:index",
    "governance:index",
    "governance:scorecard",
    "governance:review_queue",
    "catalog:ingest_runs",
    "metrics_dictionary:propose",
    "metrics_dictionary:changes",
    "governance:audit_log",
]


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """One collectstatic run with the manifest storage, shared by the page checks below."""
    root = tmp_path_factory.mktemp("staticfiles")
    from django.test import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, STATIC_ROOT=root):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root, storages


@pytest.fixture
def manifest_storage(collected, settings):
    root, storages = collected
    settings.STORAGES = storages
    settings.STATIC_ROOT = root
    return json.loads((root / "staticfiles.json").read_text())["paths"]


def test_collectstatic_with_the_manifest_storage_hashes_every_vendored_file(manifest_storage):
    vendored = [str(p.relative_to(STATIC)) for p in (STATIC / "vendor").rglob("*.js")]
    assert vendored
    for name in vendored:
        assert name in manifest_storage, name
        assert manifest_storage[name] != name


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_against_the_manifest(manifest_storage, admin_client_lx, name):
    response = admin_client_lx.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    # Hashed names prove the manifest was used, not the plain development storage.
    assert f"/static/{manifest_storage['vendor/htmx-2.0.11/htmx.min.js']}" in html
    assert '/static/vendor/htmx-2.0.11/htmx.min.js"' not in html


def test_asset_and_graph_pages_render_against_the_manifest(manifest_storage, admin_client_lx):
    from catalog.models import Asset
    from tests.factories import EXAMPLE_TARGET, ingest_ok

    ingest_ok(EXAMPLE_TARGET)
    asset = Asset.objects.filter(kind="model").order_by("name").first()
    for url in (
        reverse("catalog:asset", args=[asset.pk]),
        reverse("lineage:asset_graph", args=[asset.pk]),
    ):
        response = admin_client_lx.get(url)
        assert response.status_code == 200, url
    graph = admin_client_lx.get(reverse("lineage:asset_graph", args=[asset.pk])).content.decode()
    assert manifest_storage["vendor/cytoscape-3.34.4/cytoscape.min.js"] in graph

"""Content-Security-Policy: the header on every page, and no markup that it would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import EXAMPLE_TARGET, ingest_ok

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Markup a strict policy refuses: inline scripts (a <script> without src, except JSON data
# blocks), event-handler attributes, javascript: URLs, <style> blocks and style attributes.
BLOCKED_MARKUP = [
    (
        re.compile(
            r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
        ),
        "inline <script>",
    ),
    (re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I), "on* handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"<style[\s>]", re.I), "<style> block"),
    (re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I), "style attribute"),
]


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def _blocked(html: str) -> list[str]:
    return [
        f"{label}: {m.group(0)[:80]}"
        for pattern, label in BLOCKED_MARKUP
        for m in pattern.finditer(html)
    ]


def test_the_sign_in_page_sends_the_strict_policy(client):
    assert _policy(client.get(reverse("login"))) == EXPECTED


@pytest.fixture
def example(db):
    return ingest_ok(EXAMPLE_TARGET)


def test_the_main_pages_send_the_policy_and_contain_nothing_it_blocks(example, admin_client_lx):
    from catalog.models import Asset

    churn = Asset.objects.get(name="customer_churn", kind="model")
    pages = [
        "/",
        "/search/?q=churn",
        f"/assets/{churn.pk}/",
        f"/assets/{churn.pk}/?tab=columns",
        f"/lineage/assets/{churn.pk}/panel/",
        f"/lineage/assets/{churn.pk}/graph/",
        "/metrics/",
        "/governance/",
        "/governance/scorecard/",
        "/governance/pii/",
        "/governance/audit/",
        "/catalog/",
        "/ingest/",
        "/metrics/new/",
        "/governance/tokens/",
    ]
    for url in pages:
        response = admin_client_lx.get(url)
        assert response.status_code == 200, url
        assert _policy(response) == EXPECTED, url
        assert _blocked(response.content.decode()) == [], url


def test_swagger_ui_runs_under_the_strict_policy_with_its_script_from_a_url(viewer_client):
    page = viewer_client.get(reverse("api-docs"))
    assert _policy(page) == EXPECTED
    html = page.content.decode()
    assert _blocked(html) == []
    script_url = re.search(r'<script src="([^"]*\?script=?)"', html).group(1)
    script = viewer_client.get(script_url)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_alone_may_use_inline_styles_but_never_inline_scripts(viewer_client):
    policy = _policy(viewer_client.get(reverse("api-redoc")))
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"


def test_no_template_or_static_script_carries_markup_the_policy_blocks():
    templates = [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]
    assert len(templates) > 20
    found = {str(p.relative_to(ROOT)): hits for p in templates if (hits := _blocked(p.read_text()))}
    assert found == {}

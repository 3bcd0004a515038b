from __future__ import annotations

from django.http import HttpRequest

from lexicon_core.roles import user_roles

NAV_ITEMS = (
    ("search", "Search", "catalog:search"),
    ("catalog", "Catalog", "catalog:browse"),
    ("metrics", "Metrics", "metrics_dictionary:index"),
    ("lineage", "Lineage", "lineage:index"),
    ("governance", "Governance", "governance:index"),
    ("ingest", "Ingest runs", "catalog:ingest_runs"),
)


def navigation(request: HttpRequest) -> dict:
    """Main navigation and the current user's roles, for the base layout."""
    section = getattr(request, "nav_section", None)
    if section is None and request.resolver_match is not None:
        namespace = request.resolver_match.namespace
        section = {
            "metrics_dictionary": "metrics",
            "lineage": "lineage",
            "governance": "governance",
        }.get(namespace)
        if namespace == "catalog":
            url_name = request.resolver_match.url_name or ""
            section = (
                "ingest"
                if url_name.startswith("ingest")
                else ("search" if url_name.startswith("search") else "catalog")
            )
    return {
        "nav_items": NAV_ITEMS,
        "nav_section": section,
        "current_roles": sorted(user_roles(request.user)) if hasattr(request, "user") else [],
    }

"""The one registry through which an app plugs into the apps below it.

A lower app (catalog) must not import a higher one (lineage, governance, the metric
dictionary), yet its ingest, its asset page and the governance scorecard are where the higher
apps' work shows. Each app registers what it contributes in its ``AppConfig.ready``:

- **ingest hooks**: ``register_ingest_hook(name, fn, order=...)``. ``catalog`` calls every
  hook, lowest ``order`` first, with the ``IngestOutcome`` *inside* the ingest transaction
  (an error rolls the whole ingest back); a hook that starts slow work defers it with
  ``transaction.on_commit``.
- **page panels**: ``register_panel(Panel(page, slot, key, ...))``. A panel is a tab of the
  asset page or a piece of a catalog page (the asset page's banner, owners line, header,
  description and columns; the browse page's links; the ingest pages), loaded from the
  contributing app's URL.
- **scorecard KPIs**: ``register_kpi(key, order=...)``, a provider computing one KPI.
- **search signals**: ``register_search_signals(name, fn, order=...)``, people's decisions
  (tiers, deprecations) that catalog lays over a search document it rebuilds.
- **providers**: one function answering one question for a lower app, e.g. the freshness
  SLA of assets (``provide("freshness_sla", fn)`` / ``provider("freshness_sla")``).

Registering the same name twice with another function is an error: nothing is overridden
silently. The registry is filled once per process, at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.urls import reverse

# --------------------------------------------------------------------------- ingest hooks


@dataclass(frozen=True)
class IngestHook:
    name: str
    fn: Callable[[Any], None]
    order: int


_INGEST_HOOKS: dict[str, IngestHook] = {}


def register_ingest_hook(name: str, fn: Callable[[Any], None], *, order: int) -> None:
    """``fn(outcome)`` runs after every dbt ingest, inside its transaction, by ``order``."""
    _register(_INGEST_HOOKS, name, IngestHook(name, fn, order), same=lambda old: old.fn is fn)


def ingest_hooks() -> list[IngestHook]:
    return sorted(_INGEST_HOOKS.values(), key=lambda hook: (hook.order, hook.name))


# --------------------------------------------------------------------------- page panels

Page = Literal["asset", "browse", "ingest_runs", "ingest_run"]
# asset: "tab", "banner", "owners", "header", "description", "columns";
# browse: "links"; ingest_runs: "upload"; ingest_run: "detail".


@dataclass(frozen=True)
class Panel:
    """One piece of a catalog page contributed by an app, loaded from that app's URL.

    ``url_name`` is reversed with the page object's id (none for a page without one);
    ``None`` marks a tab the catalog renders itself (``?tab=<key>``). ``order`` places tabs
    left to right and slot pieces top down; ``when(obj)`` limits a panel to some objects.
    """

    page: Page
    slot: str
    key: str
    order: int
    label: str = ""
    description: str = ""
    url_name: str | None = None
    when: Callable[[Any], bool] | None = None

    def url(self, obj: Any = None) -> str:
        if self.url_name is None:
            return f"?tab={self.key}"
        return reverse(self.url_name, args=[obj.pk] if obj is not None else [])


_PANELS: dict[tuple[str, str], Panel] = {}


def register_panel(panel: Panel) -> None:
    _register(_PANELS, (panel.page, panel.key), panel, same=lambda old: old == panel)


def panels(page: Page, slot: str, obj: Any = None) -> list[Panel]:
    found = [
        p
        for p in _PANELS.values()
        if p.page == page and p.slot == slot and (p.when is None or p.when(obj))
    ]
    return sorted(found, key=lambda p: (p.order, p.key))


def panel_urls(page: Page, slot: str, obj: Any = None) -> list[str]:
    return [p.url(obj) for p in panels(page, slot, obj)]


# --------------------------------------------------------------------------- scorecard KPIs


@dataclass(frozen=True)
class KpiProvider:
    key: str
    fn: Callable[[Any], Any]
    order: int


_KPIS: dict[str, KpiProvider] = {}


def register_kpi(key: str, *, order: int) -> Callable[[Callable], Callable]:
    """Decorator: ``fn(data) -> Kpi`` computes the scorecard KPI ``key``."""

    def decorator(fn: Callable) -> Callable:
        _register(_KPIS, key, KpiProvider(key, fn, order), same=lambda old: old.fn is fn)
        return fn

    return decorator


def kpi_providers() -> list[KpiProvider]:
    return sorted(_KPIS.values(), key=lambda p: (p.order, p.key))


# --------------------------------------------------------------------------- search signals


@dataclass(frozen=True)
class SignalSource:
    name: str
    fn: Callable[[list[int]], dict[int, dict[str, Any]]]
    order: int


_SIGNAL_SOURCES: dict[str, SignalSource] = {}


def register_search_signals(
    name: str, fn: Callable[[list[int]], dict[int, dict[str, Any]]], *, order: int
) -> None:
    """``fn(asset_ids) -> {asset_id: {signal: value}}``: what people decided about these assets
    (a reviewer's tier, a deprecation), laid over the search documents whenever catalog
    rebuilds them from dbt's facts, by ``order`` (a later source wins)."""
    _register(_SIGNAL_SOURCES, name, SignalSource(name, fn, order), same=lambda old: old.fn is fn)


def search_signal_sources() -> list[SignalSource]:
    return sorted(_SIGNAL_SOURCES.values(), key=lambda s: (s.order, s.name))


# --------------------------------------------------------------------------- providers

_PROVIDERS: dict[str, Callable] = {}


def provide(name: str, fn: Callable) -> None:
    """``fn`` answers ``name`` for the apps below the one registering it."""
    _register(_PROVIDERS, name, fn, same=lambda old: old is fn)


def provider(name: str, default: Callable | None = None) -> Callable | None:
    return _PROVIDERS.get(name, default)


# --------------------------------------------------------------------------- helpers


def _register(table: dict, key: str, value, *, same: Callable[[Any], bool]) -> None:
    old = table.get(key)
    if old is not None and not same(old):
        raise ValueError(f"{key!r} is already registered by another app or function")
    table[key] = value

"""The layer below every app: no models, no URLs, imported by all and importing none of them.

- ``roles``: the five roles and the predicates on them;
- ``permissions``: the one permission gate (``check``, ``view_allows``, ``Allows``) and its
  rule registry, which each app fills from its ``rules`` module;
- ``extensions``: the registry through which an app plugs into the apps below it (ingest
  hooks, asset-page panels, scorecard KPIs, the freshness SLA), filled in ``AppConfig.ready``;
- ``htmx``: page-or-fragment rendering; ``tasks``: Celery task options; ``tiers``: the tiers;
- ``generation``: the catalog generation that every committed write moves on, and the caches
  keyed by it (asset-page fragments and badges, the metric directory).

See docs/architecture.md.
"""

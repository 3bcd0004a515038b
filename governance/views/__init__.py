"""Governance pages, one module per entity: assets, policies, teams (and roles), audit, PII,
scorecard, API tokens; ``home`` is the governance landing page."""

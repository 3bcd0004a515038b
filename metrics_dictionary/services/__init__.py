"""Every write of the metric dictionary, one module per concern:

- ``proposals``: a new metric with its first draft, a new draft version, editing a draft
- ``reviews``: submit, approve (and publish), request changes, reject
- ``metrics``: a metric's name, tier, domain, owners and comments; its search document
- ``deprecations``: deprecating metrics and catalog assets, withdrawal, retirement
- ``webhooks``: managing outgoing webhooks; ``webhook_delivery``: signing and sending them
- ``notifications``: the emails (sent by ``tasks.send_notification``)
- ``definitions``: validation of a version's definition; ``formula``: its SQL, parsed
- ``dbt_import``: dbt's semantic layer -> dictionary metrics; ``drift``: approved
  definitions checked against the catalog after an ingest

Functions are ``<entity>_<verb>(*, ..., actor)``; each runs in one transaction, checks
permission with ``lexicon_core.permissions.check``, audits with ``audit_record`` and queues
emails and webhooks after commit. Refusals raise ``metrics_dictionary.errors``:
``Forbidden`` (403), ``Conflict``/``StaleVersion`` (409), ``DefinitionInvalid`` (400).

Workflow of a version: draft -> in_review (submit) -> approved (enough approvals,
``rules.approval_rule``) | changes_requested (back to the proposer, editable, submit
again) | rejected (final). Approving publishes atomically: the previous approved version
becomes superseded and stays visible in the history.

Concurrency: every transition locks the metric row, then the version row
(``select_for_update``, always in that order) and re-reads the state under the lock, so
two decisions on the same version cannot both win.
"""

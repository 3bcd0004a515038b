"""Pages of the metric dictionary, one module per part of the app:

- ``metrics``: the directory, the metric page and its tabs, compare, comments, settings
- ``proposals``: propose a metric or a version, edit a draft, live validation
- ``reviews``: a version's review page, submit and decide, the approvals inbox
- ``changelog``: the change log page and its Atom feed
- ``deprecations``: deprecate a metric, withdraw it
- ``webhooks``: outgoing webhooks (admins)
- ``fragments``: banners other pages include by URL name (htmx)

Views are thin: they parse input, check permission with ``lexicon_core.permissions``
(``view_allows`` / ``check``), call one service or selector and render. Refusals of the
services (``errors.WorkflowError``) are shown as sentences with their status (403/409).
"""

"""PII classification of columns: heuristics (``rules``), the effective classification
(``effective``), suggestions from ingest and propagation along column lineage (``sync``), and
the reviewers' decisions (``review``).

Where a classification comes from (``ColumnClassification.origin``):

- ``dbt``: the column is flagged in dbt meta/tags (``catalog.Column.dbt_pii``);
- ``heuristic``: a rule on the column's name and type matched (``PII_RULES``; no data is read);
- ``lineage``: an upstream column confirmed as PII flows into it by a copy or a
  transformation (``source_column`` is that confirmed column);
- ``person``: a reviewer classified the column directly (the column page or the API).

Only people decide: a suggestion becomes ``confirmed`` or ``rejected`` when a reviewer
says so. The effective classification of a column is decided once, in
``effective_classification``:

1. a confirmed PII category (any origin) wins; the most sensitive, then the newest, then
   by origin (person, dbt, lineage, heuristic);
2. else a person's "not PII" (a person row rejected, or confirmed as ``none``) makes the
   column *clean*;
3. else open suggestions (a category a person rejected on the column is hidden);
   dbt meta first, then lineage, then heuristics;
4. else every suggestion was rejected: the column is clean too;
5. else the raw dbt flag (before the ingest hook wrote its suggestion), else unknown.

A column counts as *reviewed* (for the scorecard) in cases 1, 2 and 4.

Propagation: aggregates do not propagate (``LEXICON_PII_PROPAGATE_KINDS``, default copy
and transform): ``count(distinct email)`` or ``max(signup_at)`` do not identify a person.
Propagation stops at a column a person marked not-PII (for example a hashed email), and
is recomputed as a whole for a project (``pii_propagation_sync``) after every decision,
after every ingest, and daily before the scorecard snapshot, so rejecting or removing
the source withdraws the suggestions it caused unless a person already decided them.
"""

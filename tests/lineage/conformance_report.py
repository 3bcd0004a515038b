"""Pass rate of the lineage conformance suite per dialect, as a Markdown table.

Run: .venv/bin/python -m tests.lineage.conformance_report [--failures]

A case marked xfail (a documented sqlglot limitation) counts as a failure here.
"""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict

from tests.lineage.test_engine_conformance import CASES, Case, check


def dialect_of(case: Case) -> str:
    """The dialect a case is reported under: the prefix of its id (``snowflake-merge-basic``)."""
    return case.id.split("-", 1)[0]


def report(show_failures: bool = False) -> str:
    passed: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    failures: list[str] = []
    for case in CASES:
        dialect = dialect_of(case)
        total[dialect] += 1
        problems = check(case)
        if case.xfail:
            problems = problems or ["passes now: drop its xfail"]
            problems = [f"xfail: {case.xfail}", *problems]
        if problems:
            failures.append(f"- `{case.id}`: " + "; ".join(problems))
        else:
            passed[dialect] += 1
    lines = ["| dialect | cases | passed | failed | pass rate |", "|---|---:|---:|---:|---:|"]
    for dialect in sorted(total):
        n, ok = total[dialect], passed[dialect]
        lines.append(f"| {dialect} | {n} | {ok} | {n - ok} | {100 * ok / n:.1f}% |")
    n, ok = sum(total.values()), sum(passed.values())
    lines.append(f"| **all** | **{n}** | **{ok}** | **{n - ok}** | **{100 * ok / n:.1f}%** |")
    if show_failures and failures:
        lines += ["", "Failures:", *failures]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list the failing cases and why")
    args = parser.parse_args()
    # sqlglot logs a warning for each statement it can only keep as an opaque command.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    print(report(show_failures=args.failures))


if __name__ == "__main__":
    main()

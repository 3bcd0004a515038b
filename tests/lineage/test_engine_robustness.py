"""lineage.engine.analyze never raises: garbage, empty input, deep nesting, odd schemas."""

from __future__ import annotations

import random
import time

import pytest

from lineage.engine import ColumnRef, LineageResult, analyze, known_dialects

MAJOR_DIALECTS = [
    "athena",
    "bigquery",
    "clickhouse",
    "databricks",
    "duckdb",
    "hive",
    "mysql",
    "oracle",
    "postgres",
    "presto",
    "redshift",
    "snowflake",
    "spark",
    "sqlite",
    "teradata",
    "trino",
    "tsql",
]
VALID = """
with o as (select id, customer_id, amount from raw.shop.orders where status = 'paid')
select c.name, sum(o.amount) as total, count(*) as n
from o join raw.shop.customers c on c.id = o.customer_id
group by c.name
"""


def _assert_error_result(result: LineageResult) -> None:
    assert isinstance(result, LineageResult)
    assert result.error
    assert (result.reads, result.writes, result.columns) == ([], [], [])


def test_known_dialects_has_ansi_and_the_major_ones() -> None:
    names = known_dialects()
    assert "ansi" in names
    for name in MAJOR_DIALECTS:
        assert name in names
    assert len(names) == len(set(names))


def test_unknown_dialect_is_an_error_naming_the_known_ones() -> None:
    result = analyze("select 1", dialect="cobol")
    _assert_error_result(result)
    assert "cobol" in result.error
    assert "snowflake" in result.error and "ansi" in result.error


def test_dialect_names_are_case_insensitive_and_none_means_ansi() -> None:
    assert analyze("select a from t", dialect="Snowflake").error is None
    assert (
        analyze("select a from t", dialect=None).to_dict()
        == analyze("select a from t", dialect="ansi").to_dict()
    )


@pytest.mark.parametrize("sql", ["", "   ", "\n\t", ";", ";;;", "-- only a comment", "/* block */"])
def test_empty_input_is_an_error(sql: str) -> None:
    _assert_error_result(analyze(sql))


@pytest.mark.parametrize("sql", [None, 42, b"select 1", ["select 1"]])
def test_non_string_input_is_an_error(sql: object) -> None:
    _assert_error_result(analyze(sql))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sql",
    [
        "garbage (((",
        "select from where",
        "SELECT * FROM",
        "'unterminated string",
        '"unterminated identifier',
        "select (a from t",
        "select a from t where )",
        "insert into",
        "merge into t using",
        "update set x = 1",
        "copy into",
        "\x00\x01\x02",
        "ßelect ünïcode ☃ from 表",
        "select 1; garbage garbage; select 2",
        "DROP TABLE users; --",
        "select * from t where a = 'it''s' and b = \"x\"",
        "))))))",
        "select " + "x," * 5000 + "y from t",
    ],
)
@pytest.mark.parametrize("dialect", ["ansi", "snowflake", "tsql", "bigquery", "mysql"])
def test_garbage_never_raises(sql: str, dialect: str) -> None:
    result = analyze(sql, dialect=dialect)
    assert isinstance(result, LineageResult)
    if result.error:
        _assert_error_result(result)


def test_fuzzed_token_soup_never_raises() -> None:
    rng = random.Random(20240601)
    vocabulary = [
        "select",
        "from",
        "where",
        "join",
        "on",
        "using",
        "group",
        "by",
        "order",
        "having",
        "union",
        "all",
        "with",
        "as",
        "(",
        ")",
        ",",
        ";",
        "*",
        "insert",
        "into",
        "values",
        "update",
        "set",
        "delete",
        "merge",
        "when",
        "matched",
        "then",
        "copy",
        "over",
        "partition",
        "case",
        "end",
        "null",
        "'x'",
        "1",
        "a",
        "b",
        "t.c",
        '"Q"',
        "`b`",
        "[br]",
        "@stage",
        "$1",
        "::",
        "->",
        "lateral",
        "flatten",
        "unnest",
        "pivot",
    ]
    dialects = known_dialects()
    for _ in range(400):
        sql = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 40)))
        result = analyze(sql, dialect=rng.choice(dialects))
        assert isinstance(result, LineageResult)


def test_mutated_valid_sql_never_raises() -> None:
    rng = random.Random(7)
    for _ in range(300):
        chars = list(VALID)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(chars))
            if rng.random() < 0.5:
                del chars[position]
            else:
                chars.insert(position, rng.choice("(),;.'\"`*"))
        result = analyze("".join(chars), dialect=rng.choice(MAJOR_DIALECTS))
        assert isinstance(result, LineageResult)


@pytest.mark.parametrize("dialect", known_dialects())
def test_every_dialect_handles_a_model_without_raising(dialect: str) -> None:
    result = analyze(VALID, dialect=dialect)
    assert isinstance(result, LineageResult)
    result.to_dict()


@pytest.mark.parametrize("depth", [50, 199, 201, 1000, 20000])
def test_deeply_nested_parentheses(depth: int) -> None:
    result = analyze("select " + "(" * depth + "a" + ")" * depth + " from t")
    assert isinstance(result, LineageResult)
    if depth > 200:
        _assert_error_result(result)


def test_deeply_nested_subqueries_and_case() -> None:
    nested = "select * from " + "(select * from " * 150 + "t" + ") x" * 150
    assert isinstance(analyze(nested), LineageResult)
    case = "select " + "case when a then " * 150 + "1" + " end" * 150 + " from t"
    assert isinstance(analyze(case), LineageResult)


def test_long_chains_are_analysed_quickly() -> None:
    # Left-deep chains are rebuilt balanced; sqlglot's qualifier is quadratic in their depth.
    conditions = " and ".join(f"c{i} = {i}" for i in range(20000))
    terms = " + ".join(f"c{i}" for i in range(5000))
    start = time.perf_counter()
    where = analyze(f"select a from t where {conditions}")
    plus = analyze(f"select {terms} as s from t")
    assert time.perf_counter() - start < 30
    assert where.error is None and where.columns[0].sources == [ColumnRef("t", "a")]
    assert plus.error is None and len(plus.columns[0].sources) == 5000


def test_hundreds_of_chained_ctes_and_unions() -> None:
    ctes = ", ".join(
        f"c{i} as (select a from c{i - 1})" if i else "c0 as (select a from t)" for i in range(400)
    )
    result = analyze(f"with {ctes} select a from c399")
    assert result.error is None
    assert result.columns[0].sources == [ColumnRef("t", "a")]
    unions = analyze(" union all ".join(f"select a from t{i}" for i in range(1000)))
    assert unions.error is None
    assert len(unions.columns[0].sources) == 1000


@pytest.mark.parametrize(
    "schema",
    [
        {},
        {"t": {}},
        {"": {"a": "int"}},
        {"t": {"a": None}},
        {"t": ["a", "b"]},
        {"db..t": {"a": ""}},
        {'"Quoted"."T"': {'"A"': ""}},
        {1: {"a": ""}},
        {"t": {"a": "not a type (((", "b": "STRUCT<x INT>"}},
    ],
)
def test_odd_schemas_never_raise(schema: dict) -> None:
    result = analyze("select * from t", schema=schema)
    assert isinstance(result, LineageResult)


def test_a_new_schema_dict_is_picked_up() -> None:
    first = analyze("select * from t", schema={"t": {"a": ""}})
    second = analyze("select * from t", schema={"t": {"a": "", "b": ""}})
    assert [c.target.column for c in first.columns] == ["a"]
    assert [c.target.column for c in second.columns] == ["a", "b"]


def test_to_dict_shape() -> None:
    result = analyze("insert into t (x) select a + 1 from s", dialect="postgres")
    assert result.to_dict() == {
        "statement_type": "insert",
        "reads": ["s"],
        "writes": ["t"],
        "columns": [
            {
                "target": {"table": "t", "column": "x"},
                "sources": [{"table": "s", "column": "a"}],
                "kind": "transform",
                "expression": "a + 1",
            }
        ],
        "error": None,
    }
    assert analyze("select (", dialect="postgres").to_dict()["error"]

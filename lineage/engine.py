"""Column-level SQL lineage on sqlglot: which tables a statement reads and writes, and which
source columns feed each output column.

Pure Python, no Django. ``analyze()`` never raises: SQL it cannot parse or analyse (and any
other failure, including ``RecursionError``) comes back as ``LineageResult(error=...)`` with
everything else empty. Brackets nested more than 200 deep are refused before parsing.

How it works: each statement is parsed once; one pass normalises its identifiers and collects
its tables; tables are named and bound to the caller's schema; the query part is qualified
once with sqlglot's optimizer (``qualify_tables`` and the steps of ``qualify_columns``) and its
scope tree is walked once, memoising each (scope, column), instead of calling
``sqlglot.lineage.lineage()`` per output column. UPDATE, MERGE and Snowflake's INSERT ALL are
analysed as a synthetic ``SELECT <assigned expressions> FROM target JOIN source`` so they
share that path.

Name normalisation (tables, columns, schema keys and columns, defaults, ``target_table``):

1. Identifiers are folded the way the dialect folds them (sqlglot's per-dialect
   ``normalize_identifier``): unquoted ones upper in Snowflake/Oracle and lower in
   Postgres/ANSI; quoted ones too in case-insensitive dialects (BigQuery columns, Redshift,
   DuckDB, Spark/Databricks, T-SQL, ...); none in case-sensitive ones (MySQL, ClickHouse).
2. A name is reported in lower case unless it has both upper- and lower-case letters, in
   which case it is kept verbatim. ``ORDERS``, ``orders``, ``"ORDERS"`` and ``"orders"`` are
   all ``orders``; Snowflake ``"MyTable"`` stays ``MyTable``; MySQL's unquoted ``MyTable``
   stays ``MyTable`` because MySQL does not fold it. A quoted single-case name is therefore
   treated like the unquoted one, also when matching the schema.
3. Table names are ``db.schema.table`` with as many parts as are known. A one-part name gets
   ``default_schema``, then a two-part name gets ``default_db``. A name that matches exactly
   one schema key by suffix (``orders`` against ``analytics.public.orders``) takes the key's
   full name. T-SQL ``#temp`` tables are ``#temp`` and get no defaults. File paths and stages
   (COPY, Snowflake ``@stage/path``, DuckDB ``FROM 'file.csv'`` / ``read_csv('file')``) are
   kept verbatim; Snowflake ``$1`` columns of a stage are reported as column ``$1``.

Lineage rules:

- The sources of an output column are the columns its projection references, followed through
  CTEs, derived tables, LATERAL/APPLY subqueries, set operations (every branch, by position),
  scalar subqueries, UNNEST/FLATTEN/EXPLODE, (UN)PIVOT and earlier statements of a script.
  Filter and join columns (WHERE, ON, USING, GROUP BY, HAVING, QUALIFY) are not sources.
- Window functions: the function's arguments and its PARTITION BY and ORDER BY columns are
  all sources; a windowed output is a ``transform`` (one row per input row), not an
  ``aggregate``.
- ``kind`` of a chain is its strongest step (aggregate > transform > copy); a cast, CASE or
  COALESCE is a transform. ``expression`` is the SQL of the step closest to the output that
  is not a plain copy, cut at 300 characters.
- A ``SELECT *`` that cannot be expanded (no schema) yields one output column named ``*``
  whose sources are ``<table>.*``. An unqualified column that several schema-less tables
  might hold is attributed to each of them.
- A bare SELECT writes ``target_table`` when given (its columns belong to it), otherwise
  nothing (its columns belong to the table ``""``). INSERT without a column list maps output
  columns by position onto the target's columns when the schema knows them.
- UPDATE, DELETE and MERGE do not list their target among the reads; a SET expression that
  reads the target's own columns lists them as sources (``SET total = total + s.amount``).
  Unqualified names in a MERGE ``INSERT ... VALUES`` are the source's columns.
- Scripts: a table written by one statement and read by a later one is resolved through to
  its own sources and is not listed among the reads; temporary tables (TEMP/TEMPORARY,
  VOLATILE, ``#name``, ``SELECT INTO #name``) are dropped from the combined reads, writes
  and columns. ``USE [DATABASE|SCHEMA|CATALOG] x`` changes the defaults for the statements
  after it. Columns written by several statements are merged per target column.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.generator import Generator
from sqlglot.optimizer.qualify_columns import qualify_columns
from sqlglot.optimizer.qualify_tables import qualify_tables
from sqlglot.optimizer.scope import Scope, build_scope, traverse_scope
from sqlglot.schema import MappingSchema

try:  # the steps of qualify_columns, run one by one (see _qualify_columns)
    from sqlglot.optimizer import qualify_columns as _qc

    for _step in (
        "TypeAnnotator",
        "Resolver",
        "pushdown_cte_alias_columns",
        "_separate_pseudocolumns",
        "_qualify_comprehensions",
        "_pop_table_column_aliases",
        "_expand_using",
        "_expand_alias_refs",
        "_convert_columns_to_dots",
        "_qualify_columns",
        "_expand_stars",
        "qualify_outputs",
    ):
        getattr(_qc, _step)
except (ImportError, AttributeError):  # pragma: no cover - a sqlglot that reshuffled them
    _qc = None

__all__ = ["ColumnLineage", "ColumnRef", "LineageResult", "analyze", "known_dialects"]


@dataclass(frozen=True)
class ColumnRef:
    table: str  # normalised "db.schema.table" (as many parts as known), or a file path / stage
    column: str  # normalised column name, or "*" when the columns are unknown


@dataclass
class ColumnLineage:
    target: ColumnRef
    sources: list[ColumnRef]
    kind: str  # "copy", "transform" or "aggregate"
    expression: str  # SQL of the projection, "" for plain copies


@dataclass
class LineageResult:
    statement_type: str
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    columns: list[ColumnLineage] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "statement_type": self.statement_type,
            "reads": list(self.reads),
            "writes": list(self.writes),
            "columns": [
                {
                    "target": {"table": c.target.table, "column": c.target.column},
                    "sources": [{"table": s.table, "column": s.column} for s in c.sources],
                    "kind": c.kind,
                    "expression": c.expression,
                }
                for c in self.columns
            ],
            "error": self.error,
        }


# --------------------------------------------------------------------------- dialects

ANSI = "ansi"


def known_dialects() -> list[str]:
    """Every dialect sqlglot knows, by its sqlglot name, plus ``ansi`` (sqlglot's default)."""
    return [*_dialect_classes(), ANSI]


def _dialect_classes() -> list[str]:
    import sqlglot.dialects as dialects_pkg

    # Importing each module registers its class in Dialect.classes.
    for name in dialects_pkg.DIALECTS:
        getattr(dialects_pkg, name)
    return sorted(name for name in Dialect.classes if name)


_DIALECT_CACHE: dict[str, Dialect] = {}


def _get_dialect(name: str | None) -> Dialect | None:
    key = (name or ANSI).strip().lower()
    if key in _DIALECT_CACHE:
        return _DIALECT_CACHE[key]
    if key == ANSI:
        dialect = Dialect.get_or_raise(None)
    elif key in _dialect_classes():
        dialect = Dialect.get_or_raise(key)
    else:
        return None
    _DIALECT_CACHE[key] = dialect
    return dialect


_GENERATORS: dict[tuple[int, int], Generator] = {}


def _generator(dialect: Dialect) -> Generator:
    """A quiet SQL generator per dialect and thread, reused: building one per call costs ~40%."""
    key = (id(dialect), threading.get_ident())
    generator = _GENERATORS.get(key)
    if generator is None:
        generator = _GENERATORS[key] = dialect.generator(unsupported_level=ErrorLevel.IGNORE)
    return generator


# --------------------------------------------------------------------------- names

_COPY, _TRANSFORM, _AGGREGATE = 0, 1, 2
_KIND_NAMES = ("copy", "transform", "aggregate")
_MAX_EXPRESSION = 300
_MAX_PAREN_DEPTH = 200
_UNKNOWN_TYPE = "UNKNOWN"
_FILE_LIKE = re.compile(r"[/\\]|\.(csv|tsv|txt|json|jsonl|ndjson|parquet|avro|orc|gz|zst)$", re.I)


def _is_mixed(name: str) -> bool:
    return name != name.lower() and name != name.upper()


def _out(name: str) -> str:
    """The reported form of an already dialect-folded name (rule 2 of the module docstring)."""
    return name if _is_mixed(name) else name.lower()


def _split_name(name: str) -> list[str]:
    parts = [p.strip().strip('"`[]') for p in name.split(".")]
    return [_out(p) for p in parts if p]


class _Ctx:
    """Per-call state: the dialect, the caller's schema and what earlier statements produced."""

    def __init__(
        self,
        dialect: Dialect,
        catalog: _Catalog,
        default_db: str | None,
        default_schema: str | None,
    ) -> None:
        self.dialect = dialect
        self.upper = dialect.normalization_strategy in (
            NormalizationStrategy.UPPERCASE,
            NormalizationStrategy.CASE_INSENSITIVE_UPPERCASE,
        )
        self.catalog = catalog
        self.generator = _generator(dialect)
        self.default_db = _out(default_db) if default_db else None
        self.default_schema = _out(default_schema) if default_schema else None
        # canonical table name -> ordered {column: type}, for tables created in this script
        self.script_tables: dict[str, dict[str, str]] = {}

    def ast_case(self, name: str) -> str:
        """A reported name as it appears in the normalised AST (see ``_normalise_ast``)."""
        if _is_mixed(name):
            return name
        return name.upper() if self.upper else name.lower()

    def qualify_parts(self, parts: list[str]) -> list[str]:
        if len(parts) == 1 and self.default_schema:
            parts = [self.default_schema, *parts]
        if len(parts) == 2 and self.default_db:
            parts = [self.default_db, *parts]
        return parts

    def resolve_table(self, parts: list[str]) -> tuple[str, dict[str, str] | None]:
        """Canonical name of a table reference and its known columns (reported names)."""
        parts = self.qualify_parts(parts)
        name = ".".join(parts)
        if name in self.script_tables:
            return name, self.script_tables[name]
        found = self.catalog.find(tuple(parts))
        if found is not None:
            return found
        return name, None


class _Catalog:
    """The caller's schema, keyed by reported-form name parts, with unique-suffix lookup."""

    def __init__(
        self, schema: dict[str, dict[str, str]] | None, defaults: tuple[str | None, str | None]
    ) -> None:
        self.source = schema
        self.defaults = defaults
        self.size = len(schema) if schema else 0
        self.tables: dict[tuple[str, ...], Any] = {}
        self.by_suffix: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        self._columns: dict[tuple[str, ...], dict[str, str]] = {}
        default_db, default_schema = defaults
        for key, columns in (schema or {}).items():
            if not isinstance(key, str) or not isinstance(columns, dict):
                continue
            parts = _split_name(key)
            if not parts:
                continue
            if len(parts) == 1 and default_schema:
                parts = [default_schema, *parts]
            if len(parts) == 2 and default_db:
                parts = [default_db, *parts]
            full = tuple(parts)
            self.tables[full] = columns
            for i in range(1, len(full)):
                self.by_suffix.setdefault(full[i:], []).append(full)

    def columns(self, key: tuple[str, ...]) -> dict[str, str]:
        cols = self._columns.get(key)
        if cols is None:
            cols = {}
            for name, type_ in self.tables[key].items():
                if isinstance(name, str) and name:
                    cols.setdefault(
                        _out(name.strip('"`[]')), type_ if isinstance(type_, str) else ""
                    )
            self._columns[key] = cols
        return cols

    def find(self, parts: tuple[str, ...]) -> tuple[str, dict[str, str]] | None:
        if not self.tables:
            return None
        if parts in self.tables:
            return ".".join(parts), self.columns(parts)
        longer = self.by_suffix.get(parts)
        if longer and len(longer) == 1:
            return ".".join(longer[0]), self.columns(longer[0])
        # The reference is more qualified than the schema key: match the key as its suffix.
        for i in range(1, len(parts)):
            if parts[i:] in self.tables:
                return ".".join(parts), self.columns(parts[i:])
        return None


_CATALOG_CACHE: list[_Catalog] = []


def _catalog_for(schema: dict | None, defaults: tuple[str | None, str | None]) -> _Catalog:
    """The normalised index of ``schema``, reused while the caller passes the same dict.

    A caller that changes a schema dict between calls without changing its size must pass a
    new dict instead.
    """
    if not isinstance(schema, dict):
        schema = None
    size = len(schema) if schema else 0
    for cached in _CATALOG_CACHE:
        if cached.source is schema and cached.defaults == defaults and cached.size == size:
            return cached
    catalog = _Catalog(schema, defaults)
    _CATALOG_CACHE.insert(0, catalog)
    del _CATALOG_CACHE[4:]
    return catalog


# --------------------------------------------------------------------------- entry point


def analyze(
    sql: str,
    *,
    dialect: str | None = None,
    schema: dict[str, dict[str, str]] | None = None,
    default_db: str | None = None,
    default_schema: str | None = None,
    target_table: str | None = None,
) -> LineageResult:
    """Analyse one statement or a script; never raises (errors come back in ``error``)."""
    try:
        return _analyze(
            sql,
            dialect=dialect,
            schema=schema,
            default_db=default_db,
            default_schema=default_schema,
            target_table=target_table,
        )
    except RecursionError:
        return _error("SQL is nested too deeply to analyse")
    except SqlglotError as exc:
        return _error(_first_line(exc))
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"; report it instead
        return _error(f"{type(exc).__name__}: {_first_line(exc)}")


def _error(message: str) -> LineageResult:
    return LineageResult(statement_type="other", error=message or "cannot analyse SQL")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _analyze(
    sql: str,
    *,
    dialect: str | None,
    schema: dict[str, dict[str, str]] | None,
    default_db: str | None,
    default_schema: str | None,
    target_table: str | None,
) -> LineageResult:
    if not isinstance(sql, str):
        return _error(f"sql must be a string, not {type(sql).__name__}")
    resolved = _get_dialect(dialect)
    if resolved is None:
        return _error(f"unknown dialect {dialect!r}; known: {', '.join(known_dialects())}")
    if not sql.strip():
        return _error("empty SQL")
    if _paren_depth(sql) > _MAX_PAREN_DEPTH:
        return _error(f"SQL is nested more than {_MAX_PAREN_DEPTH} levels deep")

    defaults = (
        _out(default_db) if default_db else None,
        _out(default_schema) if default_schema else None,
    )
    ctx = _Ctx(resolved, _catalog_for(schema, defaults), default_db, default_schema)
    statements = [s for s in sqlglot.parse(sql, dialect=resolved) if s is not None]
    if not statements:
        return _error("no SQL statement found")

    target = None
    if target_table:
        target = ".".join(ctx.qualify_parts(_split_name(target_table))) or None

    results = []
    for statement in statements:
        results.append(_analyze_statement(statement, ctx, target))
    if len(results) == 1:
        return results[0].to_result()
    return _combine(results)


def _paren_depth(sql: str) -> int:
    """Deepest bracket nesting, ignoring string literals; a cheap guard before parsing."""
    if sql.count("(") + sql.count("[") + sql.count("{") <= _MAX_PAREN_DEPTH:
        return 0  # cannot be nested deeper than it has brackets: skip the per-character scan
    depth = deepest = 0
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


# --------------------------------------------------------------------------- statements


@dataclass
class _Trace:
    sources: set[ColumnRef]
    kind: int = _COPY
    expression: exp.Expr | None = None

    def add(self, other: _Trace) -> None:
        self.sources |= other.sources
        if other.kind > self.kind:
            self.kind = other.kind
        if self.expression is None and other.expression is not None:
            self.expression = other.expression


@dataclass
class _Column:
    target: ColumnRef
    sources: set[ColumnRef]
    kind: int
    expression: str


@dataclass
class _Statement:
    statement_type: str
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    columns: list[_Column] = field(default_factory=list)
    temporary: set[str] = field(default_factory=set)
    replaces: bool = False  # CREATE (OR REPLACE): the target's earlier columns are dropped

    def to_result(self) -> LineageResult:
        return LineageResult(
            statement_type=self.statement_type,
            reads=sorted(self.reads),
            writes=sorted(self.writes),
            columns=[_public(c) for c in self.columns],
        )


def _public(column: _Column) -> ColumnLineage:
    return ColumnLineage(
        target=column.target,
        sources=sorted(column.sources, key=lambda r: (r.table, r.column)),
        kind=_KIND_NAMES[column.kind],
        expression="" if column.kind == _COPY else column.expression,
    )


def _analyze_statement(statement: exp.Expr, ctx: _Ctx, target_table: str | None) -> _Statement:
    if isinstance(statement, exp.Command) and statement.name.upper() == "REPLACE":
        # MySQL/SQLite REPLACE INTO: sqlglot keeps it as an opaque command; for lineage it
        # is an INSERT.
        statement = _reparse_as_insert(statement, ctx) or statement
    index = _normalise_ast(statement, ctx)
    _bind_tables(index, ctx)
    if isinstance(statement, exp.Select) and statement.args.get("into"):
        return _select_into(statement, index, ctx)
    if isinstance(statement, exp.Query):
        return _bare_select(statement, index, ctx, target_table)
    if isinstance(statement, exp.Create):
        return _create(statement, index, ctx)
    if isinstance(statement, exp.Insert):
        return _insert(statement, index, ctx)
    if isinstance(statement, exp.MultitableInserts):
        return _multitable_insert(statement, index, ctx)
    if isinstance(statement, exp.Merge):
        return _merge(statement, index, ctx)
    if isinstance(statement, exp.Update):
        return _update(statement, index, ctx)
    if isinstance(statement, exp.Delete):
        return _delete(statement, index, ctx)
    if isinstance(statement, exp.Copy):
        return _copy(statement, index, ctx)
    if isinstance(statement, exp.Use):
        _use(statement, ctx)
    return _Statement("other")


def _reparse_as_insert(command: exp.Command, ctx: _Ctx) -> exp.Insert | None:
    rest = command.expression
    text = rest.name if isinstance(rest, exp.Literal) else ""
    if not text.lower().lstrip().startswith("into"):
        return None
    try:
        parsed = sqlglot.parse_one(f"INSERT {text}", dialect=ctx.dialect)
    except SqlglotError:
        return None
    return parsed if isinstance(parsed, exp.Insert) else None


@dataclass
class _Index:
    """What one pass over a statement found: its tables and the names of its CTEs."""

    tables: list[exp.Table]
    cte_names: set[str]

    def reads(self, skip: set[int] | None = None, skip_name: str | None = None) -> set[str]:
        return {
            name
            for table in self.tables
            if (name := table.meta.get("lx_name")) is not None
            and not (skip and id(table) in skip)
            and name != skip_name
        }

    def tables_except(self, skip: exp.Expr | None) -> list[exp.Table]:
        return [t for t in self.tables if t is not skip]


def _normalise_ast(statement: exp.Expr, ctx: _Ctx) -> _Index:
    """Fold identifiers per dialect, then treat single-case quoted names like unquoted ones.

    One pass over the tree that also collects the tables and CTEs for later steps.
    """
    normalize = ctx.dialect.normalize_identifier
    upper = ctx.upper
    tables: list[exp.Table] = []
    ctes: list[exp.CTE] = []
    stack: list[exp.Expr] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, exp.Identifier):
            normalize(node)
            name = node.this
            if isinstance(name, str) and not _is_mixed(name):
                folded = name.upper() if upper else name.lower()
                if folded != name:
                    node.set("this", folded)
            continue
        kind = type(node)
        if kind in _CHAINS and type(node.this) is kind and type(node.parent) is not kind:
            node = _balance(node)
        if isinstance(node, exp.Table):
            tables.append(node)
        elif isinstance(node, exp.CTE):
            ctes.append(node)
        for value in node.args.values():
            if isinstance(value, exp.Expr):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, exp.Expr))
    # Read after the pass, when the CTE aliases are normalised too.
    return _Index(tables, {cte.alias_or_name for cte in ctes})


# Long left-deep chains (`a AND b AND ...`, `x + y + ...`) make some sqlglot optimizer steps
# quadratic in the chain's length; they are rebuilt as balanced trees, which mean the same.
_CHAINS = {exp.And, exp.Or, exp.Add, exp.Mul, exp.DPipe}
_CHAIN_LIMIT = 32


def _balance(head: exp.Expr) -> exp.Expr:
    kind = type(head)
    operands: list[exp.Expr] = []
    current = head
    while type(current) is kind:
        operands.append(current.expression)
        current = current.this
    if len(operands) < _CHAIN_LIMIT:
        return head
    operands.append(current)
    operands.reverse()
    while len(operands) > 1:
        paired = [
            kind(this=a, expression=b) for a, b in zip(operands[::2], operands[1::2], strict=False)
        ]
        if len(operands) % 2:
            paired.append(operands[-1])
        operands = paired
    balanced = operands[0]
    head.replace(balanced)
    return balanced


def _bare_select(
    query: exp.Query, index: _Index, ctx: _Ctx, target_table: str | None
) -> _Statement:
    target = target_table or ""
    result = _Statement("select", reads=index.reads(), writes={target} if target else set())
    outputs = _query_outputs(query, ctx, index.tables)
    result.columns = _columns_for(target, [name for name, _ in outputs], outputs, ctx)
    return result


def _select_into(query: exp.Select, index: _Index, ctx: _Ctx) -> _Statement:
    """T-SQL / Postgres ``SELECT ... INTO new_table FROM ...``."""
    into = query.args["into"]
    query.set("into", None)
    table = into.this if isinstance(into.this, exp.Table) else into.find(exp.Table)
    if table is None:
        return _bare_select(query, index, ctx, None)
    target = _target_name(table)
    result = _Statement("create_table_as", writes={target}, replaces=True)
    if into.args.get("temporary") or _is_temp_name(table):
        result.temporary.add(target)
    result.reads = index.reads(skip={id(table)})
    outputs = _query_outputs(query, ctx, index.tables_except(table))
    result.columns = _columns_for(target, [n for n, _ in outputs], outputs, ctx)
    _register(target, result.columns, ctx, replace=True)
    return result


def _create(statement: exp.Create, index: _Index, ctx: _Ctx) -> _Statement:
    kind = (statement.args.get("kind") or "").upper()
    this = statement.this
    table = this.this if isinstance(this, exp.Schema) else this
    if not isinstance(table, exp.Table) or not ("TABLE" in kind or "VIEW" in kind):
        return _Statement("other")
    target = _target_name(table)
    query = _unwrap(statement.expression)
    if not isinstance(query, exp.Query):
        clone = statement.args.get("clone")
        if clone is not None and isinstance(clone.this, exp.Table):
            # CREATE TABLE t CLONE s (Snowflake, Databricks): all of s's rows, no projection.
            return _Statement("other", reads=index.reads(skip={id(table)}), writes={target})
        if isinstance(this, exp.Schema):
            # Plain DDL moves no data, but later statements of a script learn its columns.
            columns = [c.name for c in this.expressions if isinstance(c, exp.ColumnDef)]
            if columns:
                ctx.script_tables[target] = {_out(c): "" for c in columns}
        return _Statement("other")

    statement_type = "create_view" if "VIEW" in kind else "create_table_as"
    result = _Statement(statement_type, writes={target}, replaces=True)
    if _is_temporary(statement) or _is_temp_name(table):
        result.temporary.add(target)
    skip = {id(table)}
    properties = statement.args.get("properties")
    for prop in properties.expressions if properties is not None else []:
        if isinstance(prop, exp.ToTableProperty) and isinstance(prop.this, exp.Table):
            # ClickHouse CREATE MATERIALIZED VIEW mv TO dest AS SELECT: rows land in dest.
            skip.add(id(prop.this))
            result.writes.add(_target_name(prop.this))
    result.reads = index.reads(skip=skip)
    query_tables = [t for t in index.tables if id(t) not in skip]
    outputs = _query_outputs(query, ctx, query_tables)
    names = [n for n, _ in outputs]
    if isinstance(this, exp.Schema) and this.expressions:
        declared = [_out(c.name) for c in this.expressions]
        if len(declared) == len(names) and "*" not in names:
            names = declared
    result.columns = _columns_for(target, names, outputs, ctx)
    _register(target, result.columns, ctx, replace=True)
    return result


def _insert(statement: exp.Insert, index: _Index, ctx: _Ctx) -> _Statement:
    this = statement.this
    table = this.this if isinstance(this, exp.Schema) else this
    if isinstance(table, exp.Directory):
        # Hive INSERT OVERWRITE DIRECTORY '/path' SELECT ...
        location = _location(table.this)
        writes = {location} if location else set()
        return _Statement("insert", reads=index.reads(), writes=writes)
    if not isinstance(table, exp.Table):
        return _Statement("insert", reads=index.reads())
    target = _target_name(table)
    result = _Statement("insert", writes={target}, reads=index.reads(skip={id(table)}))
    if _is_temp_name(table):
        result.temporary.add(target)
    query = _unwrap(statement.expression)
    if not isinstance(query, exp.Query):
        return result  # INSERT ... VALUES / DEFAULT VALUES / EXEC: no column sources
    with_ = statement.args.get("with_")
    if with_ is not None and not query.args.get("with_"):
        # T-SQL: WITH c AS (...) INSERT INTO t SELECT ... FROM c
        statement.set("with_", None)
        query.set("with_", with_)
    outputs = _query_outputs(query, ctx, index.tables_except(table))
    names = [n for n, _ in outputs]
    if "*" not in names and not statement.args.get("by_name"):
        if isinstance(this, exp.Schema) and this.expressions:
            declared = [_out(c.name) for c in this.expressions]
        else:
            declared = list(ctx.resolve_table(target.split("."))[1] or [])
        if declared and len(declared) >= len(names):
            names = declared[: len(names)]
    result.columns = _columns_for(target, names, outputs, ctx)
    _register(target, result.columns, ctx, replace=False)
    return result


def _multitable_insert(statement: exp.MultitableInserts, index: _Index, ctx: _Ctx) -> _Statement:
    """Snowflake ``INSERT ALL|FIRST INTO t1 (..) VALUES (..) INTO t2 ... SELECT ...``."""
    source = _unwrap(statement.args.get("source"))
    result = _Statement("insert", reads=index.reads())
    inserts = [c.this for c in statement.expressions if isinstance(c.this, exp.Insert)]
    targets: list[tuple[str, str]] = []
    projections: list[exp.Expr] = []
    source_names = source.named_selects if isinstance(source, exp.Query) else []
    for insert in inserts:
        this = insert.this
        table = this.this if isinstance(this, exp.Schema) else this
        if not isinstance(table, exp.Table):
            continue
        target = _target_name(table)
        result.writes.add(target)
        result.reads.discard(target)
        declared = [_out(c.name) for c in this.expressions] if isinstance(this, exp.Schema) else []
        values = insert.expression
        row = (
            values.expressions[0].expressions
            if isinstance(values, exp.Values) and values.expressions
            else None
        )
        if row is None:  # INTO t without VALUES: the source's columns, in order
            row = [exp.column(name) for name in source_names]
        if not declared:
            declared = list(ctx.resolve_table(target.split("."))[1] or []) or [
                _out(v.alias_or_name) for v in row
            ]
        for name, value in zip(declared, row, strict=False):
            targets.append((target, name))
            projections.append(value)
    if not isinstance(source, exp.Query) or not projections:
        return result
    query = _synthetic_select(
        projections,
        exp.Subquery(this=source.copy(), alias=exp.TableAlias(this=exp.to_identifier("_lx_src"))),
        [],
    )
    outputs = _query_outputs(query, ctx, list(query.find_all(exp.Table)))
    for (target, name), (_, trace) in zip(targets, outputs, strict=False):
        result.columns.append(
            _Column(
                ColumnRef(target, name),
                set(trace.sources),
                trace.kind,
                _render(trace.expression, ctx),
            )
        )
    for target in result.writes:
        _register(
            target, [c for c in result.columns if c.target.table == target], ctx, replace=False
        )
    return result


def _merge(statement: exp.Merge, index: _Index, ctx: _Ctx) -> _Statement:
    table = statement.this
    if not isinstance(table, exp.Table):
        return _Statement("merge", reads=index.reads())
    target = _target_name(table)
    result = _Statement("merge", writes={target}, reads=index.reads(skip_name=target))
    using = statement.args.get("using")
    whens = statement.args.get("whens")
    if using is None or whens is None:
        return result
    target_columns = list(ctx.resolve_table(target.split("."))[1] or [])
    projections: list[exp.Expr] = []
    targets: list[str] = []
    for when in whens.expressions:
        then = when.args.get("then")
        if isinstance(then, exp.Update):
            if _has_star(then):
                _star_action(using, projections, targets)
            for assignment in then.expressions:
                _assignment(assignment, projections, targets)
        elif isinstance(then, exp.Insert):
            if _has_star(then):
                _star_action(using, projections, targets)
                continue
            columns, values = _insert_action(then)
            # INSERT VALUES (...) without a column list fills the target's columns in order.
            names = [_out(c.name) for c in columns] if columns else target_columns[: len(values)]
            for name, value in zip(names, values, strict=False):
                # The row does not exist yet: unqualified names in VALUES are source columns.
                value = value.copy()
                for column in value.find_all(exp.Column):
                    if not column.table:
                        column.set("table", exp.to_identifier(using.alias_or_name))
                targets.append(name)
                projections.append(value)
    if not projections:
        return result
    query = _synthetic_select(
        projections,
        table.copy(),
        [exp.Join(this=using.copy(), on=_copy_of(statement.args.get("on")))],
    )
    outputs = _query_outputs(query, ctx, list(query.find_all(exp.Table)))
    result.columns = _assigned_columns(target, targets, outputs, ctx)
    _register(target, result.columns, ctx, replace=False)
    return result


def _insert_action(then: exp.Insert) -> tuple[list[exp.Expr], list[exp.Expr]]:
    """Column list and values of a MERGE ``WHEN NOT MATCHED THEN INSERT``."""
    columns = then.this.expressions if isinstance(then.this, exp.Tuple) else []
    values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
    if not values and len(columns) == 1:
        # BigQuery/Redshift parse `INSERT VALUES (a, b)` as a call to a function named VALUES.
        only = columns[0]
        if isinstance(only, exp.Anonymous) and only.name.lower() == "values":
            return [], list(only.expressions)
    return columns, values


def _assignment(assignment: exp.Expr, projections: list[exp.Expr], targets: list[str]) -> None:
    if isinstance(assignment, exp.EQ) and isinstance(assignment.this, exp.Column):
        targets.append(_out(assignment.this.name))
        projections.append(assignment.expression)


def _has_star(node: exp.Expr) -> bool:
    return any(isinstance(v, exp.Star) for v in (node.this, node.expression, *node.expressions))


def _star_action(using: exp.Expr, projections: list[exp.Expr], targets: list[str]) -> None:
    # Databricks UPDATE SET * / INSERT *: every source column into the same-named target column.
    projections.append(exp.Column(this=exp.Star(), table=exp.to_identifier(using.alias_or_name)))
    targets.append("*")


def _copy_of(node: exp.Expr | None) -> exp.Expr | None:
    return node.copy() if node is not None else None


def _synthetic_select(
    projections: list[exp.Expr], base: exp.Expr, joins: list[exp.Expr]
) -> exp.Select:
    query = exp.Select(
        expressions=[
            p.copy() if _is_star(p) else exp.alias_(p.copy(), f"_lx{i}", quoted=True)
            for i, p in enumerate(projections)
        ]
    )
    query.set("from_", exp.From(this=base))
    if joins:
        query.set("joins", joins)
    return query


def _update(statement: exp.Update, index: _Index, ctx: _Ctx) -> _Statement:
    table = statement.this
    if not isinstance(table, exp.Table):
        return _Statement("update", reads=index.reads())
    from_ = statement.args.get("from_")
    # MySQL: UPDATE t JOIN s ON ... SET ...; T-SQL puts the joins on the FROM's first table.
    joins = [j.copy() for j in table.args.get("joins") or []]
    sources: list[exp.Expr] = []
    if from_ is not None:
        first = from_.this
        joins += [j.copy() for j in first.args.get("joins") or []]
        sources.append(first)
    real = table
    if not table.args.get("db"):
        # T-SQL: UPDATE alias SET ... FROM table AS alias JOIN ...
        for candidate in [*sources, *(j.this for j in joins)]:
            if isinstance(candidate, exp.Table) and candidate.alias_or_name == table.name:
                real = candidate
                break
    target = _target_name(real)
    reads = index.reads(skip={id(table)}, skip_name=target)
    result = _Statement("update", writes={target}, reads=reads)
    projections: list[exp.Expr] = []
    targets: list[str] = []
    for assignment in statement.expressions:
        _assignment(assignment, projections, targets)
    if not projections:
        return result
    base = table.copy()
    base.set("joins", None)
    query_joins: list[exp.Expr] = []
    for source in sources:
        source = source.copy()
        source.set("joins", None)
        if real is source or (isinstance(source, exp.Table) and source.alias_or_name == table.name):
            base = source
        else:
            query_joins.append(exp.Join(this=source))
    query_joins += [
        j
        for j in joins
        if not (isinstance(j.this, exp.Table) and j.this.alias_or_name == base.alias_or_name)
    ]
    query = _synthetic_select(projections, base, query_joins)
    outputs = _query_outputs(query, ctx, list(query.find_all(exp.Table)))
    result.columns = _assigned_columns(target, targets, outputs, ctx)
    _register(target, result.columns, ctx, replace=False)
    return result


def _delete(statement: exp.Delete, index: _Index, ctx: _Ctx) -> _Statement:
    named = statement.args.get("tables") or []
    targets = named or [statement.this]
    if not all(isinstance(t, exp.Table) for t in targets):
        return _Statement("delete", reads=index.reads())
    writes = set()
    for table in targets:
        real = table
        if named and not table.args.get("db"):
            # T-SQL / MySQL: DELETE alias FROM table AS alias JOIN ...
            for candidate in index.tables:
                if all(candidate is not n for n in named) and candidate.alias_or_name == table.name:
                    real = candidate
                    break
        writes.add(_target_name(real))
    reads = index.reads(skip={id(t) for t in named}) - writes
    return _Statement("delete", reads=reads, writes=writes)


def _copy(statement: exp.Copy, index: _Index, ctx: _Ctx) -> _Statement:
    this = statement.this
    table = this.this if isinstance(this, exp.Schema) else this
    files = statement.args.get("files") or []
    location = _location(table)
    if location is not None:
        # Snowflake unload: COPY INTO @stage FROM table | (query)
        return _Statement("copy", reads=index.reads(skip={id(table)}), writes={location})
    if not isinstance(table, exp.Table):
        return _Statement("copy")
    target = _target_name(table)
    if not statement.args.get("kind", True):
        # Postgres COPY table TO 'file'
        paths = {path for path in (_location(f, copy_file=True) for f in files) if path}
        return _Statement("copy", reads={target}, writes=paths)
    result = _Statement("copy", writes={target})
    declared = [_out(c.name) for c in this.expressions] if isinstance(this, exp.Schema) else []
    if not declared:
        declared = list(ctx.resolve_table(target.split("."))[1] or [])
    for source in files:
        query = _unwrap(source)
        if isinstance(query, exp.Select):
            # Snowflake COPY INTO t FROM (SELECT $1, f.$2 ... FROM @stage f)
            stage = query.find(exp.Table)
            path = _location(stage)
            if path is None:
                continue
            result.reads.add(path)
            for name, projection in zip(declared, query.expressions, strict=False):
                node = projection.unalias()
                refs = {
                    ColumnRef(path, f"${p.name}" if isinstance(p, exp.Parameter) else _out(p.name))
                    for p in node.find_all(exp.Parameter, exp.Column)
                    if _is_positional(p) or (isinstance(p, exp.Column) and p.name)
                }
                kind = _COPY if isinstance(node, (exp.Parameter, exp.Column)) else _TRANSFORM
                result.columns.append(
                    _Column(ColumnRef(target, name), refs, kind, _render(node, ctx) if kind else "")
                )
            continue
        path = _location(source, copy_file=True)
        if path is None:
            continue
        result.reads.add(path)
        for name in declared:
            result.columns.append(
                _Column(ColumnRef(target, name), {ColumnRef(path, name)}, _COPY, "")
            )
    _register(target, result.columns, ctx, replace=False)
    return result


def _location(node: exp.Expr | None, copy_file: bool = False) -> str | None:
    """The file path or stage named by ``node``; None for a real table.

    ``copy_file``: ``node`` is a COPY source or destination, where STDIN/STDOUT are files.
    """
    if isinstance(node, exp.Table):
        node = node.this
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.Var) and node.name.startswith("@"):
        return node.name
    is_stream = isinstance(node, (exp.Var, exp.Identifier)) and node.name.upper() in (
        "STDIN",
        "STDOUT",
    )
    return node.name.lower() if copy_file and is_stream else None


_USE_DATABASE_HOLDS_SCHEMAS = {"snowflake", "tsql", "fabric"}


def _use(statement: exp.Use, ctx: _Ctx) -> None:
    kind = statement.args.get("kind")
    kind_name = kind.name.upper() if kind is not None else ""
    table = statement.this
    if not isinstance(table, exp.Table):
        return
    parts = [_out(p.name) for p in table.parts]
    if kind_name == "SCHEMA":
        ctx.default_schema = parts[-1]
        if len(parts) > 1:
            ctx.default_db = parts[-2]
    elif kind_name == "CATALOG":
        ctx.default_db = parts[-1]
    elif kind_name in ("", "DATABASE"):
        if type(ctx.dialect).__name__.lower() in _USE_DATABASE_HOLDS_SCHEMAS:
            ctx.default_db = parts[-1]
        else:
            # MySQL, Hive, Spark, ...: a database is what the other dialects call a schema.
            ctx.default_schema = parts[-1]


def _is_temporary(statement: exp.Create) -> bool:
    properties = statement.args.get("properties")
    return properties is not None and any(
        isinstance(p, (exp.TemporaryProperty, exp.VolatileProperty)) for p in properties.expressions
    )


def _is_temp_name(table: exp.Expr | None) -> bool:
    return (
        isinstance(table, exp.Table)
        and isinstance(table.this, exp.Identifier)
        and bool(table.this.args.get("temporary"))
    )


def _unwrap(node: exp.Expr | None) -> exp.Expr | None:
    while isinstance(node, exp.Subquery) and not node.alias:
        node = node.this
    return node


# --------------------------------------------------------------------------- tables


def _bind_tables(index: _Index, ctx: _Ctx) -> None:
    """Give every real table its canonical name (and known columns) in ``meta``."""
    for table in index.tables:
        if _is_cte_ref(table, index.cte_names):
            continue
        named = _table_name(table, ctx)
        if named is None:
            continue
        table.meta["lx_name"] = named[0]
        if named[1]:
            table.meta["lx_columns"] = named[1]
        if _location(table) is not None:
            table.meta["lx_location"] = True


def _is_cte_ref(table: exp.Table, cte_names: set[str]) -> bool:
    if table.args.get("db") or not isinstance(table.this, exp.Identifier):
        return False
    name = table.name
    if name not in cte_names:
        return False
    # Inside a non-recursive CTE, its own name still means the real table.
    parent = table.parent
    while parent is not None:
        if isinstance(parent, exp.CTE) and parent.alias_or_name == name:
            with_ = parent.parent
            return bool(with_ is not None and with_.args.get("recursive"))
        parent = parent.parent
    return True


def _table_name(table: exp.Table, ctx: _Ctx) -> tuple[str, dict[str, str] | None] | None:
    """Canonical name and known columns of a table node; None for table functions."""
    this = table.this
    location = _location(this)
    if location is not None:
        return location, None
    if isinstance(this, exp.Func):
        first = this.this
        if isinstance(first, exp.Literal) and first.is_string and this.key.startswith("read"):
            return first.this, None  # DuckDB read_csv('file') and friends
        return None
    if not isinstance(this, exp.Identifier):
        return None
    if _is_temp_name(table):
        return "#" + _out(this.name), None
    parts = []
    for part in table.parts:
        if not isinstance(part, exp.Identifier):
            return None
        parts.append(_out(part.name))
    if len(parts) == 1 and this.quoted and _FILE_LIKE.search(this.name):
        return this.name, None  # DuckDB FROM 'data/file.csv'
    return ctx.resolve_table(parts)


def _target_name(table: exp.Table) -> str:
    name = table.meta.get("lx_name")
    return name if name is not None else table.sql()


def _register(target: str, columns: list[_Column], ctx: _Ctx, replace: bool) -> None:
    """Remember a written table's columns so later statements of the script can use them."""
    names = [c.target.column for c in columns if c.target.column != "*"]
    if not target or not names:
        return
    existing: dict[str, str] = {}
    if not replace:
        existing = dict(
            ctx.script_tables.get(target) or ctx.resolve_table(target.split("."))[1] or {}
        )
    for name in names:
        existing.setdefault(name, "")
    ctx.script_tables[target] = existing


# --------------------------------------------------------------------------- queries


def _query_outputs(
    query: exp.Query, ctx: _Ctx, tables: list[exp.Table]
) -> list[tuple[str, _Trace]]:
    """Qualify ``query`` and trace each output column; [] if sqlglot cannot qualify it."""
    schema: dict[str, dict[str, str]] = {}
    unknown = False
    for table in tables:
        if "lx_name" not in table.meta:
            continue
        columns = table.meta.get("lx_columns")
        if columns:
            _bind_schema(table, columns, schema, ctx)
        else:
            unknown = True
    backup = query.copy() if unknown else None
    try:
        return _qualified_outputs(query, schema, ctx)
    except SqlglotError:
        if backup is None:
            return []
    # Without schemas sqlglot refuses to guess the columns of subqueries that may be
    # correlated; retry with schemas inferred from how the query itself uses each table.
    try:
        _infer_schemas(backup, schema, ctx)
        return _qualified_outputs(backup, schema, ctx)
    except SqlglotError:
        return []


def _bind_schema(
    table: exp.Table, columns: Iterable[str], schema: dict[str, dict[str, str]], ctx: _Ctx
) -> None:
    # Each table with known columns gets a one-part synthetic name, so the per-statement schema
    # has a single nesting level whatever the depth of the caller's keys. The original name
    # stays as the alias, so column references and generated SQL read as before.
    synthetic = f"_lx_t{len(schema)}"
    schema[synthetic] = {ctx.ast_case(c): _UNKNOWN_TYPE for c in columns}
    if not table.args.get("alias"):
        ident = table.this
        table.set(
            "alias", exp.TableAlias(this=exp.Identifier(this=ident.this, quoted=ident.quoted))
        )
    table.set("this", exp.Identifier(this=synthetic, quoted=True))
    table.set("db", None)
    table.set("catalog", None)


def _infer_schemas(query: exp.Query, schema: dict[str, dict[str, str]], ctx: _Ctx) -> None:
    qualify_tables(query, dialect=ctx.dialect)
    root = build_scope(query)
    if root is None:
        return
    inferred: dict[int, tuple[exp.Table, dict[str, None]]] = {}
    for scope in root.traverse():
        selected = _selected(scope)
        only = selected[0] if len(selected) == 1 else None
        for column in scope.columns:
            if isinstance(column.this, exp.Star):
                continue
            source = _lookup(scope, column.table) if column.table else only
            if (
                isinstance(source, exp.Table)
                and "lx_name" in source.meta
                and "lx_columns" not in source.meta
            ):
                inferred.setdefault(id(source), (source, {}))[1][_out(column.name)] = None
    for source, columns in inferred.values():
        if columns:
            source.meta["lx_columns"] = columns
            _bind_schema(source, columns, schema, ctx)


def _qualified_outputs(
    query: exp.Query, schema: dict[str, dict[str, str]], ctx: _Ctx
) -> list[tuple[str, _Trace]]:
    qualify_tables(query, dialect=ctx.dialect)
    root = _qualify_columns(
        query, MappingSchema(schema or None, dialect=ctx.dialect, normalize=False), ctx
    )
    if root is None:
        return []
    try:
        return _trace_outputs(root, _Walker())
    except RecursionError:
        walker = _Walker()
        walker.warm(root)
        return _trace_outputs(root, walker)


def _trace_outputs(root: Scope, walker: _Walker) -> list[tuple[str, _Trace]]:
    outputs: list[tuple[str, _Trace]] = []
    for position, projection in enumerate(root.expression.selects):
        if _is_star(projection):
            outputs.append(("*", walker.star(root, projection)))
        else:
            name = projection.alias_or_name or f"_col_{position}"
            outputs.append((_out(name), walker.resolve(root, position)))
    return outputs


def _qualify_columns(query: exp.Query, schema: MappingSchema, ctx: _Ctx) -> Scope | None:
    """sqlglot's ``qualify_columns`` minus the steps lineage does not need, keeping its scopes.

    Skipping GROUP BY / ORDER BY expansion and the second scope traversal of
    ``qualify_columns`` + ``build_scope`` saves about a sixth of the time per model. The steps
    are sqlglot's own (private) helpers; if a sqlglot upgrade renames them, the public
    functions are used instead.
    """
    if _qc is None:
        qualify_columns(
            query,
            schema=schema,
            expand_alias_refs=True,
            expand_stars=True,
            allow_partial_qualification=True,
            dialect=ctx.dialect,
        )
        return build_scope(query)
    dialect = ctx.dialect
    scopes = traverse_scope(query)
    annotator = _qc.TypeAnnotator(schema)
    pseudocolumns = dialect.PSEUDOCOLUMNS
    unannotated: list[Scope] = []
    for scope in scopes:
        if dialect.PREFER_CTE_ALIAS_COLUMN:
            _qc.pushdown_cte_alias_columns(scope)
        is_select = isinstance(scope.expression, exp.Select)
        _qc._separate_pseudocolumns(scope, pseudocolumns)
        resolver = _qc.Resolver(scope, schema)
        _qc._qualify_comprehensions(scope, resolver)
        _qc._pop_table_column_aliases(scope.ctes)
        _qc._pop_table_column_aliases(scope.derived_tables)
        using_column_tables, using_columns = _qc._expand_using(scope, resolver)
        if dialect.FORCE_EARLY_ALIAS_REF_EXPANSION:
            _qc._expand_alias_refs(
                scope, resolver, dialect, expand_only_groupby=dialect.EXPAND_ONLY_GROUP_ALIAS_REF
            )
        _qc._convert_columns_to_dots(scope, resolver)
        _qc._qualify_columns(scope, resolver, allow_partial_qualification=True)
        scope.clear_column_cache()
        if is_select:
            _qc._expand_stars(
                scope,
                resolver,
                using_column_tables,
                using_columns,
                pseudocolumns,
                annotator,
                unannotated,
            )
        _qc._expand_alias_refs(scope, resolver, dialect)
        if is_select:
            _qc.qualify_outputs(scope, dialect=dialect)
        if dialect.ANNOTATE_ALL_SCOPES:
            annotator.annotate_scope(scope)
        elif dialect.SUPPORTS_STRUCT_STAR_EXPANSION:
            unannotated.append(scope)
    return scopes[-1] if scopes else None


def _is_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Star) or (
        isinstance(node, exp.Column) and isinstance(node.this, exp.Star)
    )


def _columns_for(
    target: str, names: list[str], outputs: list[tuple[str, _Trace]], ctx: _Ctx
) -> list[_Column]:
    return [
        _Column(
            ColumnRef(target, name), set(trace.sources), trace.kind, _render(trace.expression, ctx)
        )
        for name, (_, trace) in zip(names, outputs, strict=False)
    ]


def _assigned_columns(
    target: str, targets: list[str], outputs: list[tuple[str, _Trace]], ctx: _Ctx
) -> list[_Column]:
    """Columns of an UPDATE/MERGE: one per target column, merging repeated assignments.

    ``targets`` holds one entry per synthetic projection, "*" for a ``SET *`` / ``INSERT *``
    source star, whose expanded columns keep the source's column names.
    """
    merged: dict[str, _Trace] = {}
    assigned = iter(targets)
    for output_name, trace in outputs:
        if output_name.startswith("_lx"):
            name = next(assigned, "*")
            while name == "*":
                name = next(assigned, None)
                if name is None:
                    break
            if name is None:
                continue
        else:
            name = output_name  # from an expanded star
        merged.setdefault(name, _Trace(set())).add(trace)
    return [
        _Column(
            ColumnRef(target, name), set(trace.sources), trace.kind, _render(trace.expression, ctx)
        )
        for name, trace in merged.items()
        if name != "*" or trace.sources
    ]


def _render(node: exp.Expr | None, ctx: _Ctx) -> str:
    if node is None:
        return ""
    if node.find(exp.Table):
        # A scalar subquery: show the tables under their own names, not the synthetic ones.
        node = node.copy()
        for table in node.find_all(exp.Table):
            name = table.meta.get("lx_name")
            if name and table.name.startswith("_lx_t"):
                parts = name.split(".")
                table.set("this", exp.to_identifier(parts[-1]))
                table.set("db", exp.to_identifier(parts[-2]) if len(parts) > 1 else None)
                table.set("catalog", exp.to_identifier(parts[-3]) if len(parts) > 2 else None)
    text = ctx.generator.generate(node, copy=False)
    if len(text) > _MAX_EXPRESSION:
        text = text[: _MAX_EXPRESSION - 1] + "…"
    return text


# Aggregate functions sqlglot parses as anonymous calls in some dialects.
_AGGREGATE_NAMES = {
    "total",
    "median",
    "mode",
    "every",
    "bool_and",
    "bool_or",
    "bit_and",
    "bit_or",
    "bit_xor",
    "uniq",
    "uniqexact",
    "uniqcombined",
    "uniqhll12",
    "grouparray",
    "groupuniqarray",
    "argmax",
    "argmin",
    "anylast",
    "sumif",
    "avgif",
    "minif",
    "maxif",
    "collect_list",
    "collect_set",
    "percentile",
    "percentile_approx",
    "approx_percentile",
    "approx_top_k",
    "hll_count",
    "kurtosis",
    "skewness",
    "object_agg",
    "array_union_agg",
    "listagg",
    "string_agg",
}
_EMPTY = _Trace(frozenset())  # type: ignore[arg-type]
_QUERIES = (exp.Select, exp.SetOperation)


def _scan(node: exp.Expr) -> tuple[list[exp.Column], list[exp.Expr], bool]:
    """One pass over a projection: its columns, its subqueries, whether it aggregates.

    Aggregates under a window (``SUM(x) OVER (...)``) do not count; lambda parameters are
    not columns.
    """
    columns: list[exp.Column] = []
    queries: list[exp.Expr] = []
    aggregates = False
    stack: list[tuple[exp.Expr, bool, frozenset[str]]] = [(node, False, frozenset())]
    while stack:
        current, in_window, params = stack.pop()
        if isinstance(current, exp.Column):
            if not isinstance(current, exp.Pseudocolumn) and not (
                params and not current.table and current.name in params
            ):
                columns.append(current)
            continue
        if current is not node and isinstance(current, _QUERIES):
            queries.append(current)
            continue
        if isinstance(current, exp.Identifier):
            continue
        if isinstance(current, exp.Parameter) and isinstance(current.this, exp.Literal):
            # Snowflake `$1`: a column of a staged file, by position.
            columns.append(exp.Column(this=current.copy()))
            continue
        if not in_window and (
            isinstance(current, exp.AggFunc)
            or (isinstance(current, exp.Anonymous) and current.name.lower() in _AGGREGATE_NAMES)
        ):
            aggregates = True
        elif isinstance(current, exp.Window):
            in_window = True
        elif isinstance(current, exp.Lambda):
            params = params | {e.name for e in current.expressions}
        for value in current.args.values():
            if isinstance(value, exp.Expr):
                stack.append((value, in_window, params))
            elif isinstance(value, list):
                stack.extend((v, in_window, params) for v in value if isinstance(v, exp.Expr))
    return columns, queries, aggregates


class _Walker:
    """Maps output columns of a qualified scope tree to their source columns, memoised."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int | str], _Trace] = {}
        self.active: set[tuple[int, int | str]] = set()
        self.positions: dict[int, dict[str, int]] = {}

    def warm(self, root: Scope) -> None:
        """Resolve every scope's columns, inner scopes first, so no lookup recurses deeply.

        Used when a lazy walk hits the recursion limit (hundreds of chained CTEs or UNIONs).
        """
        for scope in root.traverse():
            if isinstance(scope.expression, _QUERIES):
                for position in range(len(scope.expression.selects)):
                    self.resolve(scope, position)

    def resolve(self, scope: Scope, key: int | str) -> _Trace:
        if isinstance(key, str):
            key = self._position(scope, key)
        memo_key = (id(scope), key)
        cached = self.memo.get(memo_key)
        if cached is not None:
            return cached
        if memo_key in self.active:
            return _EMPTY  # a recursive CTE's recursive branch adds nothing new
        self.active.add(memo_key)
        try:
            trace = self._compute(scope, key)
        finally:
            self.active.discard(memo_key)
        self.memo[memo_key] = trace
        return trace

    def _position(self, scope: Scope, name: str) -> int | str:
        """The position of output column ``name``, so by-name and positional lookups share memo."""
        positions = self.positions.get(id(scope))
        if positions is None:
            positions = {}
            expression = scope.expression
            if isinstance(expression, exp.Select):
                for position, projection in enumerate(expression.selects):
                    if not _is_star(projection):
                        positions.setdefault(projection.alias_or_name, position)
            elif isinstance(expression, exp.SetOperation):
                for position, selected in enumerate(expression.named_selects):
                    positions.setdefault(selected, position)
            self.positions[id(scope)] = positions
        return positions.get(name, name)

    def _compute(self, scope: Scope, key: int | str) -> _Trace:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            trace = _Trace(set())
            if isinstance(key, int):
                for branch in scope.set_operation_scopes:
                    trace.add(self.resolve(branch, key))
            return trace
        if isinstance(expression, exp.Subquery) and scope.subquery_scopes:
            return self.resolve(scope.subquery_scopes[0], key)
        if not isinstance(expression, exp.Select):
            if isinstance(expression, exp.Values):
                return _Trace(set(), _TRANSFORM)
            return self.udtf(scope)
        selects = expression.selects
        if isinstance(key, int) and key < len(selects) and not _is_star(selects[key]):
            return self._projection(scope, selects[key])
        if isinstance(key, str) and any(_is_star(s) for s in selects):
            return self._named_from_sources(scope, key)
        return _Trace(set())

    def _projection(self, scope: Scope, projection: exp.Expr) -> _Trace:
        node = projection.this if isinstance(projection, exp.Alias) else projection
        while isinstance(node, exp.Paren):
            node = node.this
        columns, queries, aggregates = _scan(node)
        if (
            isinstance(node, exp.Column) and not isinstance(node, exp.Pseudocolumn)
        ) or _is_positional(node):
            trace = _Trace(set())
        elif aggregates:
            trace = _Trace(set(), _AGGREGATE, node)
        else:
            trace = _Trace(set(), _TRANSFORM, node)
        for column in columns:
            if isinstance(column.this, exp.Star):
                trace.add(self.star(scope, column))
            else:
                trace.add(self._column(scope, column))
        if queries:
            subscopes = {id(s.expression): s for s in scope.subquery_scopes}
            for query in queries:
                sub = subscopes.get(id(query))
                if sub is not None:
                    for position in range(len(query.selects)):
                        trace.add(self.resolve(sub, position))
        return trace

    def _column(self, scope: Scope, column: exp.Column) -> _Trace:
        table = column.table
        name = _column_name(column)
        if _is_positional(column.this):
            return self._positional(scope, table, name)
        if not table:
            return self._named_from_sources(scope, name)
        source = _lookup(scope, table)
        if source is not None:
            return self._from_source(scope, source, name)
        for pivot in scope.pivots:
            if pivot.alias_or_name == table:
                return self._pivoted(scope, pivot, name)
        # BigQuery-style struct access `rec.field` that qualification left alone.
        return self._named_from_sources(scope, table)

    def _positional(self, scope: Scope, table: str, name: str) -> _Trace:
        """``$1`` / ``t.$1``: a column of a staged file; bind parameters elsewhere have none."""
        sources = [_lookup(scope, table)] if table else _selected(scope)
        trace = _Trace(set())
        for source in sources:
            if isinstance(source, exp.Table) and source.meta.get("lx_location"):
                trace.sources.add(ColumnRef(source.meta["lx_name"], name))
        return trace

    def _from_source(self, scope: Scope, source: exp.Table | Scope, name: str) -> _Trace:
        if isinstance(source, exp.Table):
            table_name = source.meta.get("lx_name")
            if table_name is None:
                return _Trace(set())
            if source.args.get("pivots"):
                return self._pivoted(scope, source.args["pivots"][-1], name)
            return _Trace({ColumnRef(table_name, _out(name))})
        query_scope = _query_scope(source)
        if query_scope is not None:
            return self.resolve(query_scope, name)
        if isinstance(source.expression, exp.Values):
            return _Trace(set(), _TRANSFORM)
        return self.udtf(source)

    def udtf(self, scope: Scope) -> _Trace:
        """Outputs of UNNEST / LATERAL FLATTEN / EXPLODE: the columns fed into the function."""
        memo_key = (id(scope), "__udtf__")
        cached = self.memo.get(memo_key)
        if cached is not None:
            return cached
        self.memo[memo_key] = _Trace(set(), _TRANSFORM)  # guards against self-reference
        outer = scope.parent or scope
        trace = _Trace(set(), _TRANSFORM)
        for column in scope.expression.find_all(exp.Column):
            if column.table and _lookup(outer, column.table) is None:
                source = _lookup(scope, column.table)
                if source is not None:
                    trace.add(self._from_source(scope, source, column.name))
            else:
                trace.add(self._column(outer, column))
        self.memo[memo_key] = trace
        return trace

    def _pivoted(self, scope: Scope, pivot: exp.Pivot, name: str) -> _Trace:
        """A column read from a (UN)PIVOT: a pivoted value, or a pass-through of its input."""
        parent = pivot.parent
        aggregated = {c.name for e in pivot.expressions for c in e.find_all(exp.Column)}
        pivoted_on = {c.name for f in pivot.fields for c in f.this.find_all(exp.Column)}
        if pivot.unpivot:
            # UNPIVOT(value FOR name IN (a, b)): value and name come from the listed columns.
            if name not in aggregated | pivoted_on and not _is_unpivot_output(pivot, name):
                return self._pivot_input(scope, parent, name)
            trace = _Trace(set(), _TRANSFORM)
            for field_ in pivot.fields:
                for listed in field_.expressions:
                    for column in listed.find_all(exp.Column):
                        trace.add(self._pivot_input(scope, parent, column.name))
            return trace
        known = _input_columns(scope, parent)
        if name not in aggregated | pivoted_on and (
            (known is not None and name in known)
            or (known is None and not _looks_pivoted(pivot, name))
        ):
            return self._pivot_input(scope, parent, name)
        trace = _Trace(set(), _AGGREGATE)
        for column in sorted(aggregated | pivoted_on):
            trace.add(self._pivot_input(scope, parent, column))
        trace.kind = _AGGREGATE
        return trace

    def _pivot_input(self, scope: Scope, parent: exp.Expr | None, name: str) -> _Trace:
        if isinstance(parent, exp.Table):
            table_name = parent.meta.get("lx_name")
            return _Trace({ColumnRef(table_name, _out(name))}) if table_name else _Trace(set())
        if isinstance(parent, exp.Subquery):
            source = scope.sources.get(parent.alias_or_name)
            if isinstance(source, Scope):
                return self.resolve(source, name)
        return _Trace(set())

    def _named_from_sources(self, scope: Scope, name: str) -> _Trace:
        """An unqualified column, or a name under an unexpanded star: ask each source."""
        if scope.expression.args.get("joins"):
            array_joined = self._array_join(scope, name)
            if array_joined is not None:
                return array_joined
        selected = _selected(scope)
        if len(selected) == 1:
            return self._from_source(scope, selected[0], name)
        trace = _Trace(set())
        for source in selected:
            if isinstance(source, exp.Table):
                known = source.meta.get("lx_columns")
                if known is None or _out(name) in known:
                    trace.add(self._from_source(scope, source, name))
            elif (query_scope := _query_scope(source)) is not None:
                query = query_scope.expression
                if name in query.named_selects or any(_is_star(s) for s in query.selects):
                    trace.add(self.resolve(query_scope, name))
            elif name in _udtf_columns(source):
                trace.add(self.udtf(source))
        return trace

    def _array_join(self, scope: Scope, name: str) -> _Trace | None:
        """ClickHouse ``ARRAY JOIN items AS item``: ``item`` comes from ``items``."""
        for join in scope.expression.args.get("joins") or []:
            aliased = join.this
            if (
                join.args.get("kind") == "ARRAY"
                and isinstance(aliased, exp.Alias)
                and aliased.alias == name
            ):
                trace = _Trace(set(), _TRANSFORM)
                for column in aliased.this.find_all(exp.Column):
                    trace.add(self._column(scope, column))
                return trace
        return None

    def star(self, scope: Scope, projection: exp.Expr) -> _Trace:
        """Sources of an unexpanded ``*`` / ``t.*``: every column of every source it covers."""
        alias = projection.table if isinstance(projection, exp.Column) else ""
        if alias:
            source = _lookup(scope, alias)
            sources = [source] if source is not None else []
        else:
            sources = _selected(scope)
        trace = _Trace(set())
        for source in sources:
            if isinstance(source, exp.Table):
                table_name = source.meta.get("lx_name")
                if table_name is not None:
                    known = source.meta.get("lx_columns")
                    if known:
                        trace.sources |= {ColumnRef(table_name, c) for c in known}
                    else:
                        trace.sources.add(ColumnRef(table_name, "*"))
            elif (query_scope := _query_scope(source)) is not None:
                query = query_scope.expression
                for position, inner in enumerate(query.selects):
                    if _is_star(inner) and isinstance(query, exp.Select):
                        trace.add(self.star(query_scope, inner))
                    else:
                        trace.add(self.resolve(query_scope, position))
            else:
                trace.add(self.udtf(source))
        return trace


def _is_positional(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Parameter) and isinstance(node.this, exp.Literal)


def _column_name(column: exp.Column) -> str:
    if _is_positional(column.this):
        return f"${column.this.name}"
    return column.name


def _input_columns(scope: Scope, parent: exp.Expr | None) -> set[str] | None:
    """Column names going into a PIVOT, in AST case, when known."""
    if isinstance(parent, exp.Table):
        known = parent.meta.get("lx_columns")
        if known is None:
            return None
        names = set(known)
        return names | {n.upper() for n in names} | {n.lower() for n in names}
    if isinstance(parent, exp.Subquery):
        source = scope.sources.get(parent.alias_or_name)
        if isinstance(source, Scope) and isinstance(source.expression, _QUERIES):
            names = source.expression.named_selects
            return None if "*" in names else set(names)
    return None


def _is_unpivot_output(pivot: exp.Pivot, name: str) -> bool:
    """Whether ``name`` is the value or the name column an UNPIVOT produces."""
    produced = [*pivot.expressions, *(field_.this for field_ in pivot.fields)]
    return any(name == i.name for node in produced for i in node.find_all(exp.Identifier))


def _looks_pivoted(pivot: exp.Pivot, name: str) -> bool:
    """Whether ``name`` is one of the columns a PIVOT produces (names vary per dialect)."""
    lowered = name.lower()
    for field_ in pivot.fields:
        for value in field_.expressions:
            label = value.alias if isinstance(value, exp.PivotAlias) else value.name
            if label and label.lower().strip("'\"") in lowered:
                return True
    return False


def _query_scope(scope: Scope) -> Scope | None:
    """The scope of the query behind a source: itself, or the subquery of a LATERAL / APPLY."""
    expression = scope.expression
    if isinstance(expression, (exp.Select, exp.SetOperation, exp.Subquery)):
        return scope
    if isinstance(expression, exp.Lateral) and isinstance(expression.this, exp.Subquery):
        inner = expression.this.unnest()
        for candidate in [*scope.subquery_scopes, *scope.sources.values()]:
            if isinstance(candidate, Scope) and candidate.expression is inner:
                return candidate
    return None


def _udtf_columns(scope: Scope) -> set[str]:
    alias = scope.expression.args.get("alias")
    if isinstance(alias, exp.TableAlias):
        return {c.name for c in alias.columns} | {alias.name}
    return set()


def _lookup(scope: Scope, name: str) -> exp.Table | Scope | None:
    current: Scope | None = scope
    while current is not None:
        source = current.sources.get(name)
        if source is not None:
            return source
        current = current.parent
    return None


def _selected(scope: Scope) -> list[exp.Table | Scope]:
    try:
        return [source for _, source in scope.selected_sources.values()]
    except SqlglotError:  # duplicate aliases
        return list(scope.sources.values())


# --------------------------------------------------------------------------- scripts


def _combine(results: list[_Statement]) -> LineageResult:
    """Fold a script's statements into one result, resolving intermediate tables through."""
    produced: dict[str, dict[str, _Column]] = {}
    written_before: set[str] = set()
    temporary: set[str] = set()
    reads: set[str] = set()
    writes: set[str] = set()
    final: dict[ColumnRef, _Column] = {}
    for result in results:
        temporary |= result.temporary
        reads |= result.reads - written_before
        resolved = [_resolve_through(column, produced) for column in result.columns]
        for target in result.writes:
            if result.replaces:
                produced.pop(target, None)
                for ref in [r for r in final if r.table == target]:
                    del final[ref]
        for column in resolved:
            if column.target.table:
                produced.setdefault(column.target.table, {})
                previous = produced[column.target.table].get(column.target.column)
                if previous is not None and not result.replaces:
                    column = _merge_columns(previous, column)
                produced[column.target.table][column.target.column] = column
            existing = final.get(column.target)
            final[column.target] = (
                column if existing is None or result.replaces else _merge_columns(existing, column)
            )
        written_before |= result.writes
        writes |= result.writes
    columns = [c for ref, c in final.items() if ref.table not in temporary]
    return LineageResult(
        statement_type="script",
        reads=sorted(reads - temporary),
        writes=sorted(writes - temporary),
        columns=[_public(c) for c in columns],
    )


def _resolve_through(column: _Column, produced: dict[str, dict[str, _Column]]) -> _Column:
    if not any(ref.table in produced for ref in column.sources):
        return column
    sources: set[ColumnRef] = set()
    kind = column.kind
    expression = column.expression if column.kind != _COPY else ""
    for ref in column.sources:
        upstream_table = produced.get(ref.table)
        upstream = upstream_table.get(ref.column) if upstream_table else None
        if upstream is None and upstream_table is not None and ref.column == "*":
            for up in upstream_table.values():
                sources |= up.sources
                kind = max(kind, up.kind)
            continue
        if upstream is None:
            sources.add(ref)
            continue
        sources |= upstream.sources
        kind = max(kind, upstream.kind)
        if not expression and upstream.kind != _COPY:
            expression = upstream.expression
    return _Column(column.target, sources, kind, expression)


def _merge_columns(first: _Column, second: _Column) -> _Column:
    expression = first.expression if first.kind != _COPY and first.expression else second.expression
    return _Column(
        first.target, first.sources | second.sources, max(first.kind, second.kind), expression
    )

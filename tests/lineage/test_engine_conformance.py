"""Conformance suite for lineage.engine, one case per documented dialect feature.

Each case is data: SQL, dialect, optional schema/defaults, and the expected reads, writes and
per-column sources (and kind for some). Column keys are ``"<target table>.<column>"``, or just
``"<column>"`` for a bare SELECT without a target table; sources are ``"<table>.<column>"``.
``columns=None`` means the columns are not checked; ``{}`` means none are expected.

``python -m tests.lineage.conformance_report`` prints the pass rate per dialect; an xfail case
counts as a failure there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from lineage.engine import LineageResult, analyze

# A small shop, as a dbt catalog would describe it: "db.schema.table" -> {column: type}.
SHOP: dict[str, dict[str, str]] = {
    "raw.shop.orders": {
        "id": "int",
        "customer_id": "int",
        "amount": "numeric",
        "status": "varchar",
        "created_at": "timestamp",
        "items": "variant",
    },
    "raw.shop.customers": {
        "id": "int",
        "name": "varchar",
        "email": "varchar",
        "country": "varchar",
    },
    "raw.shop.payments": {"id": "int", "order_id": "int", "amount": "numeric", "method": "varchar"},
}
# The same catalog as Snowflake reports it (upper case), to check case folding of schema keys.
SHOP_UPPER: dict[str, dict[str, str]] = {
    key.upper(): {column.upper(): type_ for column, type_ in columns.items()}
    for key, columns in SHOP.items()
}
ORD = "raw.shop.orders"
CUS = "raw.shop.customers"
PAY = "raw.shop.payments"


@dataclass(frozen=True)
class Case:
    id: str
    dialect: str
    sql: str
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    statement_type: str | None = None
    schema: dict[str, dict[str, str]] | None = None
    default_db: str | None = None
    default_schema: str | None = None
    target_table: str | None = None
    error: str | None = None  # a substring of the expected error
    xfail: str | None = None  # why sqlglot cannot do this one (the case still counts as failed)


def shop(**kwargs: object) -> dict[str, object]:
    """Schema and defaults for queries that name the shop's tables without db/schema."""
    return {"schema": SHOP, "default_db": "raw", "default_schema": "shop", **kwargs}


CASES: list[Case] = [
    # ------------------------------------------------------------------ snowflake
    Case(
        "snowflake-select-upper-folding",
        "snowflake",
        "SELECT ID, O.AMOUNT AS Amount FROM RAW.SHOP.ORDERS O",
        reads=[ORD],
        writes=["analytics.marts.fct_orders"],
        target_table="ANALYTICS.MARTS.FCT_ORDERS",
        columns={
            "analytics.marts.fct_orders.id": [f"{ORD}.id"],
            "analytics.marts.fct_orders.amount": [f"{ORD}.amount"],
        },
        kinds={"analytics.marts.fct_orders.amount": "copy"},
        statement_type="select",
    ),
    Case(
        "snowflake-uppercase-catalog",
        "snowflake",
        "select id, amount from orders",
        schema=SHOP_UPPER,
        default_db="RAW",
        default_schema="SHOP",
        reads=[ORD],
        columns={"id": [f"{ORD}.id"], "amount": [f"{ORD}.amount"]},
    ),
    Case(
        "snowflake-quoted-mixed-case",
        "snowflake",
        'SELECT "OrderId", "AMOUNT", "status" FROM RAW.SHOP."Orders"',
        reads=["raw.shop.Orders"],
        columns={
            "OrderId": ["raw.shop.Orders.OrderId"],
            "amount": ["raw.shop.Orders.amount"],
            "status": ["raw.shop.Orders.status"],
        },
    ),
    Case(
        "snowflake-star-with-schema",
        "snowflake",
        "select * from raw.shop.customers",
        schema=SHOP,
        reads=[CUS],
        writes=["analytics.stg.customers"],
        target_table="analytics.stg.customers",
        columns={
            f"analytics.stg.customers.{c}": [f"{CUS}.{c}"]
            for c in ("id", "name", "email", "country")
        },
    ),
    Case(
        "snowflake-star-without-schema",
        "snowflake",
        "select * from raw.shop.customers",
        reads=[CUS],
        columns={"*": [f"{CUS}.*"]},
    ),
    Case(
        "snowflake-cte-staging-chain",
        "snowflake",
        """
        with source as (select * from raw.shop.orders),
        renamed as (
            select id as order_id, customer_id, amount / 100 as amount_usd, lower(status) as status
            from source
        )
        select * from renamed
        """,
        schema=SHOP,
        reads=[ORD],
        columns={
            "order_id": [f"{ORD}.id"],
            "customer_id": [f"{ORD}.customer_id"],
            "amount_usd": [f"{ORD}.amount"],
            "status": [f"{ORD}.status"],
        },
        kinds={"order_id": "copy", "amount_usd": "transform", "status": "transform"},
    ),
    Case(
        "snowflake-window-qualify",
        "snowflake",
        """select customer_id, amount,
                  row_number() over (partition by customer_id order by created_at desc) as rn
           from orders qualify rn = 1""",
        **shop(),
        reads=[ORD],
        columns={
            "customer_id": [f"{ORD}.customer_id"],
            "amount": [f"{ORD}.amount"],
            "rn": [f"{ORD}.customer_id", f"{ORD}.created_at"],
        },
        kinds={"rn": "transform"},
    ),
    Case(
        "snowflake-lateral-alias-reference",
        "snowflake",
        "select amount * 2 as doubled, doubled + 1 as plus_one from orders",
        **shop(),
        reads=[ORD],
        columns={"doubled": [f"{ORD}.amount"], "plus_one": [f"{ORD}.amount"]},
    ),
    Case(
        "snowflake-lateral-flatten",
        "snowflake",
        "select o.id, f.value:sku::string as sku from "
        "orders o, lateral flatten(input => o.items) f",
        **shop(),
        reads=[ORD],
        columns={"id": [f"{ORD}.id"], "sku": [f"{ORD}.items"]},
        kinds={"sku": "transform"},
    ),
    Case(
        "snowflake-aggregate-group-by",
        "snowflake",
        """select customer_id, count(*) as n_orders, sum(amount) as total,
                  iff(sum(amount) > 100, 'vip', 'regular') as tier
           from orders group by customer_id""",
        **shop(),
        reads=[ORD],
        columns={
            "customer_id": [f"{ORD}.customer_id"],
            "n_orders": [],
            "total": [f"{ORD}.amount"],
            "tier": [f"{ORD}.amount"],
        },
        kinds={
            "customer_id": "copy",
            "n_orders": "aggregate",
            "total": "aggregate",
            "tier": "aggregate",
        },
    ),
    Case(
        "snowflake-union-all",
        "snowflake",
        "select id, amount from raw.shop.orders union all select order_id, amount from "
        "raw.shop.payments",
        reads=[ORD, PAY],
        columns={
            "id": [f"{ORD}.id", f"{PAY}.order_id"],
            "amount": [f"{ORD}.amount", f"{PAY}.amount"],
        },
    ),
    Case(
        "snowflake-ctas-transient",
        "snowflake",
        "create or replace transient table analytics.marts.big_orders as select id, amount from "
        "raw.shop.orders where amount > 100",
        reads=[ORD],
        writes=["analytics.marts.big_orders"],
        statement_type="create_table_as",
        columns={
            "analytics.marts.big_orders.id": [f"{ORD}.id"],
            "analytics.marts.big_orders.amount": [f"{ORD}.amount"],
        },
    ),
    Case(
        "snowflake-create-view-column-list",
        "snowflake",
        "create view analytics.marts.v_orders (order_id, total) as select id, amount from "
        "raw.shop.orders",
        reads=[ORD],
        writes=["analytics.marts.v_orders"],
        statement_type="create_view",
        columns={
            "analytics.marts.v_orders.order_id": [f"{ORD}.id"],
            "analytics.marts.v_orders.total": [f"{ORD}.amount"],
        },
    ),
    Case(
        "snowflake-insert-overwrite",
        "snowflake",
        "insert overwrite into analytics.marts.daily (day, total) select created_at::date, "
        "sum(amount) from raw.shop.orders group by 1",
        reads=[ORD],
        writes=["analytics.marts.daily"],
        statement_type="insert",
        columns={
            "analytics.marts.daily.day": [f"{ORD}.created_at"],
            "analytics.marts.daily.total": [f"{ORD}.amount"],
        },
        kinds={
            "analytics.marts.daily.day": "transform",
            "analytics.marts.daily.total": "aggregate",
        },
    ),
    Case(
        "snowflake-merge-basic",
        "snowflake",
        """merge into analytics.marts.customers t using raw.shop.customers s on t.id = s.id
           when matched then update set t.name = s.name, t.email = lower(s.email)
           when not matched then insert (id, name, email) values (s.id, s.name, s.email)""",
        reads=[CUS],
        writes=["analytics.marts.customers"],
        statement_type="merge",
        columns={
            "analytics.marts.customers.id": [f"{CUS}.id"],
            "analytics.marts.customers.name": [f"{CUS}.name"],
            "analytics.marts.customers.email": [f"{CUS}.email"],
        },
        kinds={
            "analytics.marts.customers.email": "transform",
            "analytics.marts.customers.name": "copy",
        },
    ),
    Case(
        "snowflake-merge-subquery-source-delete",
        "snowflake",
        """merge into analytics.marts.totals t
           using (select customer_id, sum(amount) as total from raw.shop.orders group by 1) s
           on t.customer_id = s.customer_id
           when matched and s.total = 0 then delete
           when matched then update set total = s.total
           when not matched then insert (customer_id, total) values (s.customer_id, s.total)""",
        reads=[ORD],
        writes=["analytics.marts.totals"],
        columns={
            "analytics.marts.totals.total": [f"{ORD}.amount"],
            "analytics.marts.totals.customer_id": [f"{ORD}.customer_id"],
        },
        kinds={"analytics.marts.totals.total": "aggregate"},
    ),
    Case(
        "snowflake-update-from",
        "snowflake",
        """update analytics.marts.orders o set amount = p.amount, status = 'paid'
           from raw.shop.payments p where o.id = p.order_id""",
        reads=[PAY],
        writes=["analytics.marts.orders"],
        statement_type="update",
        columns={
            "analytics.marts.orders.amount": [f"{PAY}.amount"],
            "analytics.marts.orders.status": [],
        },
    ),
    Case(
        "snowflake-delete-using",
        "snowflake",
        "delete from raw.shop.orders using raw.shop.customers c where orders.customer_id = c.id "
        "and c.country = 'XX'",
        reads=[CUS],
        writes=[ORD],
        columns={},
        statement_type="delete",
    ),
    Case(
        "snowflake-copy-into-stage",
        "snowflake",
        "copy into raw.shop.payments from @raw.shop.landing/payments/ file_format = (type = csv "
        "skip_header = 1)",
        schema=SHOP,
        reads=["@raw.shop.landing/payments/"],
        writes=[PAY],
        statement_type="copy",
        columns={
            f"{PAY}.{c}": [f"@raw.shop.landing/payments/.{c}"]
            for c in ("id", "order_id", "amount", "method")
        },
    ),
    Case(
        "snowflake-copy-into-transform",
        "snowflake",
        "copy into raw.shop.events (id, kind, payload) from (select $1, upper($2), parse_json($3) "
        "from @landing/events.csv.gz)",
        reads=["@landing/events.csv.gz"],
        writes=["raw.shop.events"],
        columns={
            "raw.shop.events.id": ["@landing/events.csv.gz.$1"],
            "raw.shop.events.kind": ["@landing/events.csv.gz.$2"],
            "raw.shop.events.payload": ["@landing/events.csv.gz.$3"],
        },
        kinds={"raw.shop.events.id": "copy", "raw.shop.events.kind": "transform"},
    ),
    Case(
        "snowflake-copy-into-s3",
        "snowflake",
        "copy into raw.shop.orders (id, amount) from 's3://bucket/orders/' credentials = "
        "(aws_key_id = 'k' aws_secret_key = 's')",
        reads=["s3://bucket/orders/"],
        writes=[ORD],
        columns={
            f"{ORD}.id": ["s3://bucket/orders/.id"],
            f"{ORD}.amount": ["s3://bucket/orders/.amount"],
        },
    ),
    Case(
        "snowflake-copy-unload",
        "snowflake",
        "copy into @exports/orders/ from (select id, amount from raw.shop.orders) file_format = "
        "(type = parquet)",
        reads=[ORD],
        writes=["@exports/orders/"],
        columns={},
    ),
    Case(
        "snowflake-script-temp-table",
        "snowflake",
        """create temporary table tmp_paid as
               select o.id, o.customer_id, p.amount
               from raw.shop.orders o join raw.shop.payments p on p.order_id = o.id;
           insert into analytics.marts.paid_orders (order_id, customer_id, paid)
               select id, customer_id, amount * 100 from tmp_paid;""",
        schema=SHOP,
        reads=[ORD, PAY],
        writes=["analytics.marts.paid_orders"],
        statement_type="script",
        columns={
            "analytics.marts.paid_orders.order_id": [f"{ORD}.id"],
            "analytics.marts.paid_orders.customer_id": [f"{ORD}.customer_id"],
            "analytics.marts.paid_orders.paid": [f"{PAY}.amount"],
        },
        kinds={
            "analytics.marts.paid_orders.paid": "transform",
            "analytics.marts.paid_orders.order_id": "copy",
        },
    ),
    Case(
        "snowflake-use-schema-script",
        "snowflake",
        "use schema raw.shop; select id, name from customers",
        reads=[CUS],
        columns={"id": [f"{CUS}.id"], "name": [f"{CUS}.name"]},
    ),
    Case(
        "snowflake-default-db-schema",
        "snowflake",
        "select c.name, o.amount from orders o join customers c on c.id = o.customer_id",
        default_db="raw",
        default_schema="shop",
        reads=[ORD, CUS],
        columns={"name": [f"{CUS}.name"], "amount": [f"{ORD}.amount"]},
    ),
    Case(
        "snowflake-coalesce-case-cast",
        "snowflake",
        """select coalesce(c.name, c.email, 'unknown') as label,
                  case when c.country in ('US', 'CA') then 'NA' else 'ROW' end as region,
                  c.id::varchar as id_text
           from raw.shop.customers c""",
        reads=[CUS],
        columns={
            "label": [f"{CUS}.name", f"{CUS}.email"],
            "region": [f"{CUS}.country"],
            "id_text": [f"{CUS}.id"],
        },
        kinds={"label": "transform", "region": "transform", "id_text": "transform"},
    ),
    Case(
        "snowflake-insert-all-multitable",
        "snowflake",
        """insert all
             into analytics.marts.order_ids (order_id) values (id)
             into analytics.marts.order_amounts (order_id, amount) values (id, amount)
           select id, amount from raw.shop.orders""",
        reads=[ORD],
        writes=["analytics.marts.order_amounts", "analytics.marts.order_ids"],
        columns={
            "analytics.marts.order_ids.order_id": [f"{ORD}.id"],
            "analytics.marts.order_amounts.order_id": [f"{ORD}.id"],
            "analytics.marts.order_amounts.amount": [f"{ORD}.amount"],
        },
    ),
    Case(
        "snowflake-select-from-stage",
        "snowflake",
        "select $1 as id, $2::number as amount from @raw.shop.landing/orders.csv",
        reads=["@raw.shop.landing/orders.csv"],
        columns={
            "id": ["@raw.shop.landing/orders.csv.$1"],
            "amount": ["@raw.shop.landing/orders.csv.$2"],
        },
        kinds={"id": "copy", "amount": "transform"},
    ),
    Case(
        "snowflake-pivot",
        "snowflake",
        """select * from (select customer_id, status, amount from raw.shop.orders)
           pivot (sum(amount) for status in ('paid', 'open')) as p""",
        reads=[ORD],
        columns={
            "customer_id": [f"{ORD}.customer_id"],
            "'paid'": [f"{ORD}.amount", f"{ORD}.status"],
            "'open'": [f"{ORD}.amount", f"{ORD}.status"],
        },
        kinds={"customer_id": "copy", "'paid'": "aggregate"},
    ),
    Case(
        "snowflake-unpivot",
        "snowflake",
        "select id, metric, value from raw.shop.wide unpivot (value for metric in (clicks, views))",
        reads=["raw.shop.wide"],
        columns={
            "id": ["raw.shop.wide.id"],
            "metric": ["raw.shop.wide.clicks", "raw.shop.wide.views"],
            "value": ["raw.shop.wide.clicks", "raw.shop.wide.views"],
        },
    ),
    Case(
        "snowflake-clone",
        "snowflake",
        "create table analytics.backup.orders clone raw.shop.orders",
        reads=[ORD],
        writes=["analytics.backup.orders"],
        columns={},
        statement_type="other",
    ),
    # ------------------------------------------------------------------ bigquery
    Case(
        "bigquery-backtick-project-dataset-table",
        "bigquery",
        "select id, amount from `my-project.shop.orders`",
        reads=["my-project.shop.orders"],
        columns={"id": ["my-project.shop.orders.id"], "amount": ["my-project.shop.orders.amount"]},
    ),
    Case(
        "bigquery-backtick-parts",
        "bigquery",
        "select o.id from `my-project`.shop.orders as o",
        reads=["my-project.shop.orders"],
        columns={"id": ["my-project.shop.orders.id"]},
    ),
    Case(
        "bigquery-table-names-case-sensitive",
        "bigquery",
        "select ID from shop.Orders",
        reads=["shop.Orders"],
        columns={"id": ["shop.Orders.id"]},
    ),
    Case(
        "bigquery-unnest",
        "bigquery",
        "select o.id, item.sku from shop.orders as o, unnest(o.items) as item",
        reads=["shop.orders"],
        columns={"id": ["shop.orders.id"], "sku": ["shop.orders.items"]},
        kinds={"sku": "transform"},
    ),
    Case(
        "bigquery-struct-field",
        "bigquery",
        "select o.id, o.shipping.city as city from shop.orders as o",
        reads=["shop.orders"],
        columns={"id": ["shop.orders.id"], "city": ["shop.orders.shipping"]},
    ),
    Case(
        "bigquery-select-star-except",
        "bigquery",
        "select * except (email) from raw.shop.customers",
        schema=SHOP,
        reads=[CUS],
        columns={c: [f"{CUS}.{c}"] for c in ("id", "name", "country")},
    ),
    Case(
        "bigquery-select-star-replace",
        "bigquery",
        "select * replace (upper(name) as name) from raw.shop.customers",
        schema=SHOP,
        reads=[CUS],
        columns={c: [f"{CUS}.{c}"] for c in ("id", "name", "email", "country")},
        kinds={"name": "transform", "email": "copy"},
    ),
    Case(
        "bigquery-window-frame",
        "bigquery",
        """select id, sum(amount) over (partition by customer_id order by created_at
                                        rows between unbounded preceding and current row) as running
           from raw.shop.orders""",
        reads=[ORD],
        columns={
            "id": [f"{ORD}.id"],
            "running": [f"{ORD}.amount", f"{ORD}.customer_id", f"{ORD}.created_at"],
        },
        kinds={"running": "transform"},
    ),
    Case(
        "bigquery-safe-divide-aggregate",
        "bigquery",
        "select customer_id, safe_divide(sum(amount), count(distinct id)) as avg_order from "
        "raw.shop.orders group by 1",
        reads=[ORD],
        columns={
            "customer_id": [f"{ORD}.customer_id"],
            "avg_order": [f"{ORD}.amount", f"{ORD}.id"],
        },
        kinds={"avg_order": "aggregate"},
    ),
    Case(
        "bigquery-union-distinct-cte",
        "bigquery",
        """with a as (select id, email from shop.customers),
                b as (select customer_id, 'n/a' from shop.orders)
           select * from a union distinct select * from b""",
        reads=["shop.customers", "shop.orders"],
        columns={
            "id": ["shop.customers.id", "shop.orders.customer_id"],
            "email": ["shop.customers.email"],
        },
    ),
    Case(
        "bigquery-insert-select",
        "bigquery",
        "insert into analytics.daily (day, orders) select date(created_at), count(*) from "
        "shop.orders group by 1",
        reads=["shop.orders"],
        writes=["analytics.daily"],
        columns={"analytics.daily.day": ["shop.orders.created_at"], "analytics.daily.orders": []},
        kinds={"analytics.daily.orders": "aggregate"},
    ),
    Case(
        "bigquery-merge",
        "bigquery",
        """merge analytics.customers t using shop.customers s on t.id = s.id
           when matched then update set name = s.name
           when not matched by target then insert (id, name) values (id, name)""",
        reads=["shop.customers"],
        writes=["analytics.customers"],
        columns={
            "analytics.customers.id": ["shop.customers.id"],
            "analytics.customers.name": ["shop.customers.name"],
        },
    ),
    Case(
        "bigquery-delete-subquery",
        "bigquery",
        "delete from shop.orders where customer_id in (select id from shop.churned_customers)",
        reads=["shop.churned_customers"],
        writes=["shop.orders"],
        columns={},
    ),
    Case(
        "bigquery-temp-table-script",
        "bigquery",
        """create temp table recent as
               select id, amount from shop.orders where created_at > '2024-01-01';
           select id, amount * 2 as doubled from recent""",
        target_table="analytics.marts.recent_doubled",
        reads=["shop.orders"],
        writes=["analytics.marts.recent_doubled"],
        columns={
            "analytics.marts.recent_doubled.id": ["shop.orders.id"],
            "analytics.marts.recent_doubled.doubled": ["shop.orders.amount"],
        },
    ),
    Case(
        "bigquery-create-view",
        "bigquery",
        "create or replace view `proj.analytics.v_customers` as select id, name from "
        "`proj.shop.customers`",
        reads=["proj.shop.customers"],
        writes=["proj.analytics.v_customers"],
        columns={
            "proj.analytics.v_customers.id": ["proj.shop.customers.id"],
            "proj.analytics.v_customers.name": ["proj.shop.customers.name"],
        },
    ),
    # ------------------------------------------------------------------ postgres
    Case(
        "postgres-lower-folding",
        "postgres",
        'SELECT Id, "Amount", "STATUS" FROM Shop.Orders',
        reads=["shop.orders"],
        columns={
            "id": ["shop.orders.id"],
            "Amount": ["shop.orders.Amount"],
            "status": ["shop.orders.status"],
        },
    ),
    Case(
        "postgres-quoted-mixed-table",
        "postgres",
        'select "customerId" from public."OrderLines"',
        reads=["public.OrderLines"],
        columns={"customerId": ["public.OrderLines.customerId"]},
    ),
    Case(
        "postgres-update-from",
        "postgres",
        "update shop.orders set amount = p.amount from "
        "shop.payments p where p.order_id = orders.id",
        reads=["shop.payments"],
        writes=["shop.orders"],
        columns={"shop.orders.amount": ["shop.payments.amount"]},
    ),
    Case(
        "postgres-update-self-reference",
        "postgres",
        "update shop.orders set amount = amount * 1.1 where status = 'late'",
        reads=[],
        writes=["shop.orders"],
        columns={"shop.orders.amount": ["shop.orders.amount"]},
        kinds={"shop.orders.amount": "transform"},
    ),
    Case(
        "postgres-delete-using",
        "postgres",
        "delete from shop.orders o using shop.customers "
        "c where o.customer_id = c.id and c.email is null",
        reads=["shop.customers"],
        writes=["shop.orders"],
        columns={},
    ),
    Case(
        "postgres-copy-from-file",
        "postgres",
        "copy shop.orders (id, amount) from '/data/orders.csv' with (format csv, header true)",
        reads=["/data/orders.csv"],
        writes=["shop.orders"],
        statement_type="copy",
        columns={
            "shop.orders.id": ["/data/orders.csv.id"],
            "shop.orders.amount": ["/data/orders.csv.amount"],
        },
    ),
    Case(
        "postgres-copy-from-stdin",
        "postgres",
        "copy shop.orders from stdin with (format csv)",
        reads=["stdin"],
        writes=["shop.orders"],
        columns={},
    ),
    Case(
        "postgres-copy-to-file",
        "postgres",
        "copy shop.orders to '/exports/orders.csv' with (format csv)",
        reads=["shop.orders"],
        writes=["/exports/orders.csv"],
        columns={},
    ),
    Case(
        "postgres-insert-on-conflict",
        "postgres",
        "insert into shop.totals (customer_id, total) select customer_id, sum(amount) from "
        "shop.orders group by 1 on conflict (customer_id) do nothing",
        reads=["shop.orders"],
        writes=["shop.totals"],
        columns={
            "shop.totals.customer_id": ["shop.orders.customer_id"],
            "shop.totals.total": ["shop.orders.amount"],
        },
    ),
    Case(
        "postgres-lateral-subquery",
        "postgres",
        """select c.id, l.last_amount from shop.customers c
           cross join lateral (select o.amount as last_amount from shop.orders o
                               where o.customer_id = c.id order by o.created_at desc limit 1) l""",
        reads=["shop.customers", "shop.orders"],
        columns={"id": ["shop.customers.id"], "last_amount": ["shop.orders.amount"]},
    ),
    Case(
        "postgres-distinct-on",
        "postgres",
        "select distinct on (customer_id) customer_id, amount from shop.orders order by "
        "customer_id, created_at desc",
        reads=["shop.orders"],
        columns={"customer_id": ["shop.orders.customer_id"], "amount": ["shop.orders.amount"]},
    ),
    Case(
        "postgres-recursive-cte",
        "postgres",
        """with recursive tree as (
               select id, parent_id, name from shop.categories where parent_id is null
               union all
               select c.id, c.parent_id, t.name || ' > ' || c.name
               from shop.categories c join tree t on c.parent_id = t.id
           ) select id, name as path from tree""",
        reads=["shop.categories"],
        columns={"id": ["shop.categories.id"], "path": ["shop.categories.name"]},
        kinds={"path": "transform"},
    ),
    Case(
        "postgres-select-into",
        "postgres",
        "select id, amount into shop.orders_backup from shop.orders",
        reads=["shop.orders"],
        writes=["shop.orders_backup"],
        statement_type="create_table_as",
        columns={
            "shop.orders_backup.id": ["shop.orders.id"],
            "shop.orders_backup.amount": ["shop.orders.amount"],
        },
    ),
    Case(
        "postgres-materialized-view",
        "postgres",
        "create materialized view shop.mv_totals as select customer_id, sum(amount) as total from "
        "shop.orders group by 1",
        reads=["shop.orders"],
        writes=["shop.mv_totals"],
        statement_type="create_view",
        columns={
            "shop.mv_totals.customer_id": ["shop.orders.customer_id"],
            "shop.mv_totals.total": ["shop.orders.amount"],
        },
    ),
    Case(
        "postgres-json-operators",
        "postgres",
        "select id, payload ->> 'sku' as sku, (payload "
        "-> 'price')::numeric as price from shop.events",
        reads=["shop.events"],
        columns={
            "id": ["shop.events.id"],
            "sku": ["shop.events.payload"],
            "price": ["shop.events.payload"],
        },
        kinds={"sku": "transform", "price": "transform"},
    ),
    Case(
        "postgres-string-agg",
        "postgres",
        "select customer_id, string_agg(status, ',' order by created_at) as statuses from "
        "shop.orders group by 1",
        reads=["shop.orders"],
        columns={
            "customer_id": ["shop.orders.customer_id"],
            "statuses": ["shop.orders.status", "shop.orders.created_at"],
        },
        kinds={"statuses": "aggregate"},
    ),
    Case(
        "postgres-temp-table-script",
        "postgres",
        """create temp table recent as
               select id, customer_id from shop.orders where created_at > now() - interval '7 days';
           insert into shop.recent_customers (customer_id) select distinct customer_id from recent;
           drop table recent;""",
        reads=["shop.orders"],
        writes=["shop.recent_customers"],
        columns={"shop.recent_customers.customer_id": ["shop.orders.customer_id"]},
    ),
    # ------------------------------------------------------------------ redshift
    Case(
        "redshift-copy-s3",
        "redshift",
        "copy sales.orders from 's3://bucket/tickit/orders_' iam_role "
        "'arn:aws:iam::0123456789012:role/MyRole' delimiter '|' region 'us-west-2'",
        reads=["s3://bucket/tickit/orders_"],
        writes=["sales.orders"],
        statement_type="copy",
    ),
    Case(
        "redshift-copy-with-schema-columns",
        "redshift",
        "copy orders from 's3://bucket/orders.csv' iam_role default csv",
        schema={"public.orders": {"id": "", "amount": ""}},
        default_schema="public",
        reads=["s3://bucket/orders.csv"],
        writes=["public.orders"],
        columns={
            "public.orders.id": ["s3://bucket/orders.csv.id"],
            "public.orders.amount": ["s3://bucket/orders.csv.amount"],
        },
    ),
    Case(
        "redshift-ctas",
        "redshift",
        "create table sales.big as select id, nvl(amount, 0) as amount from sales.orders",
        reads=["sales.orders"],
        writes=["sales.big"],
        columns={"sales.big.id": ["sales.orders.id"], "sales.big.amount": ["sales.orders.amount"]},
        kinds={"sales.big.amount": "transform"},
    ),
    Case(
        "redshift-temp-table-script",
        "redshift",
        """create temp table stage_orders as select id, amount, status from sales.orders_raw;
           delete from sales.orders using stage_orders where orders.id = stage_orders.id;
           insert into sales.orders select * from stage_orders;""",
        schema={"sales.orders": {"id": "", "amount": "", "status": ""}},
        reads=["sales.orders_raw"],
        writes=["sales.orders"],
        columns={
            f"sales.orders.{c}": [f"sales.orders_raw.{c}"] for c in ("id", "amount", "status")
        },
    ),
    Case(
        "redshift-listagg",
        "redshift",
        "select customer_id, listagg(status, ',') within group (order by created_at) as statuses "
        "from sales.orders group by 1",
        reads=["sales.orders"],
        columns={
            "customer_id": ["sales.orders.customer_id"],
            "statuses": ["sales.orders.status", "sales.orders.created_at"],
        },
        kinds={"statuses": "aggregate"},
    ),
    Case(
        "redshift-merge",
        "redshift",
        """merge into sales.orders using sales.orders_stage s on orders.id = s.id
           when matched then update set amount = s.amount
           when not matched then insert values (s.id, s.amount)""",
        schema={
            "sales.orders": {"id": "", "amount": ""},
            "sales.orders_stage": {"id": "", "amount": ""},
        },
        reads=["sales.orders_stage"],
        writes=["sales.orders"],
        columns={
            "sales.orders.id": ["sales.orders_stage.id"],
            "sales.orders.amount": ["sales.orders_stage.amount"],
        },
    ),
    Case(
        "redshift-decode",
        "redshift",
        "select id, decode(status, 'p', 'paid', 'other') as status_label from sales.orders",
        reads=["sales.orders"],
        columns={"id": ["sales.orders.id"], "status_label": ["sales.orders.status"]},
        kinds={"status_label": "transform"},
    ),
    Case(
        "redshift-update-from",
        "redshift",
        "update sales.orders set status = s.status from "
        "sales.shipments s where s.order_id = orders.id",
        reads=["sales.shipments"],
        writes=["sales.orders"],
        columns={"sales.orders.status": ["sales.shipments.status"]},
    ),
    # ------------------------------------------------------------------ duckdb
    Case(
        "duckdb-read-csv",
        "duckdb",
        "select * from read_csv('data/orders.csv')",
        reads=["data/orders.csv"],
        columns={"*": ["data/orders.csv.*"]},
    ),
    Case(
        "duckdb-from-file-string",
        "duckdb",
        "select id, amount from 'data/orders.parquet'",
        reads=["data/orders.parquet"],
        columns={"id": ["data/orders.parquet.id"], "amount": ["data/orders.parquet.amount"]},
    ),
    Case(
        "duckdb-star-exclude",
        "duckdb",
        "select * exclude (email) from customers",
        **shop(),
        reads=[CUS],
        columns={c: [f"{CUS}.{c}"] for c in ("id", "name", "country")},
    ),
    Case(
        "duckdb-group-by-all",
        "duckdb",
        "select customer_id, sum(amount) as total from orders group by all",
        **shop(),
        reads=[ORD],
        columns={"customer_id": [f"{ORD}.customer_id"], "total": [f"{ORD}.amount"]},
        kinds={"total": "aggregate"},
    ),
    Case(
        "duckdb-insert-by-name",
        "duckdb",
        "insert into main.t by name select amount, id from orders",
        **shop(),
        reads=[ORD],
        writes=["raw.main.t"],
        columns={"raw.main.t.amount": [f"{ORD}.amount"], "raw.main.t.id": [f"{ORD}.id"]},
    ),
    Case(
        "duckdb-copy-from",
        "duckdb",
        "copy raw.shop.orders from 'orders.csv' (header)",
        reads=["orders.csv"],
        writes=[ORD],
        columns={},
    ),
    Case(
        "duckdb-create-table-as",
        "duckdb",
        "create table main.customer_orders as select c.name, count(o.id) as n from customers c "
        "left join orders o on o.customer_id = c.id group by c.name",
        **shop(),
        reads=[CUS, ORD],
        writes=["raw.main.customer_orders"],
        columns={
            "raw.main.customer_orders.name": [f"{CUS}.name"],
            "raw.main.customer_orders.n": [f"{ORD}.id"],
        },
    ),
    Case(
        "duckdb-quoted-case-insensitive",
        "duckdb",
        'select "Name", "EMAIL" from customers',
        **shop(),
        reads=[CUS],
        columns={"name": [f"{CUS}.name"], "email": [f"{CUS}.email"]},
    ),
    Case(
        "duckdb-list-aggregate",
        "duckdb",
        "select customer_id, list(status order by created_at) as statuses from orders group by 1",
        **shop(),
        reads=[ORD],
        columns={
            "customer_id": [f"{ORD}.customer_id"],
            "statuses": [f"{ORD}.status", f"{ORD}.created_at"],
        },
        kinds={"statuses": "aggregate"},
    ),
    # ------------------------------------------------------------------ databricks
    Case(
        "databricks-merge-star",
        "databricks",
        """merge into main.silver.customers as t using main.bronze.customers as s on t.id = s.id
           when matched then update set *
           when not matched then insert *""",
        schema={
            "main.bronze.customers": {"id": "", "name": ""},
            "main.silver.customers": {"id": "", "name": ""},
        },
        reads=["main.bronze.customers"],
        writes=["main.silver.customers"],
        columns={
            "main.silver.customers.id": ["main.bronze.customers.id"],
            "main.silver.customers.name": ["main.bronze.customers.name"],
        },
    ),
    Case(
        "databricks-copy-into",
        "databricks",
        "copy into main.bronze.orders from 's3://bucket/orders/' fileformat = json",
        reads=["s3://bucket/orders/"],
        writes=["main.bronze.orders"],
        statement_type="copy",
    ),
    Case(
        "databricks-create-or-replace-table",
        "databricks",
        "create or replace table main.gold.orders using delta as select `order id` as order_id, "
        "amount from main.silver.orders",
        reads=["main.silver.orders"],
        writes=["main.gold.orders"],
        columns={
            "main.gold.orders.order_id": ["main.silver.orders.order id"],
            "main.gold.orders.amount": ["main.silver.orders.amount"],
        },
    ),
    Case(
        "databricks-case-insensitive-backticks",
        "databricks",
        "select `Customer_ID`, `AMOUNT` from main.silver.orders",
        reads=["main.silver.orders"],
        columns={
            "customer_id": ["main.silver.orders.customer_id"],
            "amount": ["main.silver.orders.amount"],
        },
    ),
    Case(
        "databricks-default-catalog-schema",
        "databricks",
        "select id from orders",
        default_db="main",
        default_schema="silver",
        reads=["main.silver.orders"],
        columns={"id": ["main.silver.orders.id"]},
    ),
    Case(
        "databricks-window-lag",
        "databricks",
        "select id, lag(amount) over (partition by customer_id order by created_at) as prev_amount "
        "from main.silver.orders",
        reads=["main.silver.orders"],
        columns={
            "id": ["main.silver.orders.id"],
            "prev_amount": [
                "main.silver.orders.amount",
                "main.silver.orders.customer_id",
                "main.silver.orders.created_at",
            ],
        },
    ),
    Case(
        "databricks-use-catalog-schema",
        "databricks",
        "use catalog main; use schema silver; select id from orders",
        reads=["main.silver.orders"],
        columns={"id": ["main.silver.orders.id"]},
    ),
    # ------------------------------------------------------------------ spark
    Case(
        "spark-insert-overwrite-partition",
        "spark",
        "insert overwrite table warehouse.orders partition (ds = '2024-01-01') select id, amount "
        "from staging.orders",
        reads=["staging.orders"],
        writes=["warehouse.orders"],
        columns={
            "warehouse.orders.id": ["staging.orders.id"],
            "warehouse.orders.amount": ["staging.orders.amount"],
        },
    ),
    Case(
        "spark-lateral-view-explode",
        "spark",
        "select o.id, item from staging.orders o lateral view explode(o.items) t as item",
        reads=["staging.orders"],
        columns={"id": ["staging.orders.id"], "item": ["staging.orders.items"]},
    ),
    Case(
        "spark-create-temp-view",
        "spark",
        "create or replace temporary view recent as select "
        "id, amount from staging.orders where ds > '2024'",
        reads=["staging.orders"],
        writes=["recent"],
        statement_type="create_view",
        columns={"recent.id": ["staging.orders.id"], "recent.amount": ["staging.orders.amount"]},
    ),
    Case(
        "spark-temp-view-script",
        "spark",
        """create temporary view recent as select id, amount from staging.orders;
           insert into warehouse.recent_orders select id, amount * 2 from recent""",
        reads=["staging.orders"],
        writes=["warehouse.recent_orders"],
        schema={"warehouse.recent_orders": {"order_id": "", "double_amount": ""}},
        columns={
            "warehouse.recent_orders.order_id": ["staging.orders.id"],
            "warehouse.recent_orders.double_amount": ["staging.orders.amount"],
        },
    ),
    Case(
        "spark-cte-join-aggregate",
        "spark",
        """with paid as (
               select order_id, sum(amount) as paid from staging.payments group by order_id
           )
           select o.id, o.amount - coalesce(p.paid, 0) as outstanding
           from staging.orders o left join paid p on p.order_id = o.id""",
        reads=["staging.orders", "staging.payments"],
        columns={
            "id": ["staging.orders.id"],
            "outstanding": ["staging.orders.amount", "staging.payments.amount"],
        },
        kinds={"outstanding": "aggregate"},
    ),
    Case(
        "spark-struct-and-array",
        "spark",
        "select id, address.city as city, size(items) as n_items from staging.orders",
        reads=["staging.orders"],
        columns={
            "id": ["staging.orders.id"],
            "city": ["staging.orders.address"],
            "n_items": ["staging.orders.items"],
        },
    ),
    # ------------------------------------------------------------------ hive
    Case(
        "hive-insert-overwrite-table",
        "hive",
        "insert overwrite table dw.daily select to_date(created_at), count(*) from ods.orders "
        "group by to_date(created_at)",
        schema={"dw.daily": {"day": "", "n": ""}},
        reads=["ods.orders"],
        writes=["dw.daily"],
        columns={"dw.daily.day": ["ods.orders.created_at"], "dw.daily.n": []},
    ),
    Case(
        "hive-lateral-view",
        "hive",
        "select t.id, tag from ods.posts t lateral view explode(split(t.tags, ',')) x as tag",
        reads=["ods.posts"],
        columns={"id": ["ods.posts.id"], "tag": ["ods.posts.tags"]},
    ),
    Case(
        "hive-ctas-stored-as",
        "hive",
        "create table dw.users_copy stored as orc as select id, name from ods.users",
        reads=["ods.users"],
        writes=["dw.users_copy"],
        columns={"dw.users_copy.id": ["ods.users.id"], "dw.users_copy.name": ["ods.users.name"]},
    ),
    Case(
        "hive-insert-into-table",
        "hive",
        "insert into table dw.users (id, name) select uid, uname from ods.raw_users",
        reads=["ods.raw_users"],
        writes=["dw.users"],
        columns={"dw.users.id": ["ods.raw_users.uid"], "dw.users.name": ["ods.raw_users.uname"]},
    ),
    Case(
        "hive-insert-overwrite-directory",
        "hive",
        "insert overwrite directory '/warehouse/exports/users' select id from ods.users",
        reads=["ods.users"],
        writes=["/warehouse/exports/users"],
        columns={},
    ),
    # ------------------------------------------------------------------ mysql
    Case(
        "mysql-backticks",
        "mysql",
        "select `o`.`id`, `o`.`total amount` from `shop`.`orders` as `o`",
        reads=["shop.orders"],
        columns={"id": ["shop.orders.id"], "total amount": ["shop.orders.total amount"]},
    ),
    Case(
        "mysql-case-sensitive-table",
        "mysql",
        "select id from shop.Orders",
        reads=["shop.Orders"],
        columns={"id": ["shop.Orders.id"]},
    ),
    Case(
        "mysql-update-join",
        "mysql",
        "update shop.orders o join shop.payments p on p.order_id = o.id set o.status = 'paid', "
        "o.amount = p.amount",
        reads=["shop.payments"],
        writes=["shop.orders"],
        columns={"shop.orders.status": [], "shop.orders.amount": ["shop.payments.amount"]},
    ),
    Case(
        "mysql-delete-join",
        "mysql",
        "delete o from shop.orders o join shop.customers "
        "c on o.customer_id = c.id where c.country = 'XX'",
        reads=["shop.customers"],
        writes=["shop.orders"],
        columns={},
    ),
    Case(
        "mysql-insert-select",
        "mysql",
        "insert into shop.order_totals (customer_id, total) select customer_id, sum(amount) from "
        "shop.orders group by customer_id",
        reads=["shop.orders"],
        writes=["shop.order_totals"],
        columns={
            "shop.order_totals.customer_id": ["shop.orders.customer_id"],
            "shop.order_totals.total": ["shop.orders.amount"],
        },
    ),
    Case(
        "mysql-group-concat",
        "mysql",
        "select customer_id, group_concat(status order by created_at separator ',') as s from "
        "shop.orders group by customer_id",
        reads=["shop.orders"],
        columns={
            "customer_id": ["shop.orders.customer_id"],
            "s": ["shop.orders.status", "shop.orders.created_at"],
        },
        kinds={"s": "aggregate"},
    ),
    Case(
        "mysql-create-table-as",
        "mysql",
        "create table shop.vip as select c.id, c.email "
        "from shop.customers c where c.country = 'US'",
        reads=["shop.customers"],
        writes=["shop.vip"],
        columns={"shop.vip.id": ["shop.customers.id"], "shop.vip.email": ["shop.customers.email"]},
    ),
    Case(
        "mysql-use-database",
        "mysql",
        "use shop; select id, email from customers",
        reads=["shop.customers"],
        columns={"id": ["shop.customers.id"], "email": ["shop.customers.email"]},
    ),
    Case(
        "mysql-replace-into",
        "mysql",
        "replace into shop.totals (customer_id) select customer_id from shop.orders",
        reads=["shop.orders"],
        writes=["shop.totals"],
        columns={"shop.totals.customer_id": ["shop.orders.customer_id"]},
        statement_type="insert",
    ),
    # ------------------------------------------------------------------ tsql
    Case(
        "tsql-brackets",
        "tsql",
        "SELECT o.[Order Id], [Amount] FROM [Sales].[dbo].[Orders] AS o",
        reads=["sales.dbo.orders"],
        columns={"order id": ["sales.dbo.orders.order id"], "amount": ["sales.dbo.orders.amount"]},
    ),
    Case(
        "tsql-select-into-temp-script",
        "tsql",
        """SELECT id, customer_id, amount INTO #big FROM dbo.orders WHERE amount > 100;
           INSERT INTO dbo.big_orders (order_id, customer_id, amount)
               SELECT id, customer_id, amount FROM #big;
           DROP TABLE #big;""",
        reads=["dbo.orders"],
        writes=["dbo.big_orders"],
        statement_type="script",
        columns={
            "dbo.big_orders.order_id": ["dbo.orders.id"],
            "dbo.big_orders.customer_id": ["dbo.orders.customer_id"],
            "dbo.big_orders.amount": ["dbo.orders.amount"],
        },
    ),
    Case(
        "tsql-select-into-single",
        "tsql",
        "SELECT id, amount INTO dbo.orders_copy FROM dbo.orders",
        reads=["dbo.orders"],
        writes=["dbo.orders_copy"],
        statement_type="create_table_as",
        columns={
            "dbo.orders_copy.id": ["dbo.orders.id"],
            "dbo.orders_copy.amount": ["dbo.orders.amount"],
        },
    ),
    Case(
        "tsql-update-from-join-alias",
        "tsql",
        "UPDATE o SET o.status = s.status FROM dbo.orders AS o INNER JOIN dbo.shipments AS s ON "
        "s.order_id = o.id",
        reads=["dbo.shipments"],
        writes=["dbo.orders"],
        columns={"dbo.orders.status": ["dbo.shipments.status"]},
    ),
    Case(
        "tsql-delete-from-join",
        "tsql",
        "DELETE o FROM dbo.orders AS o JOIN dbo.customers AS c ON c.id = o.customer_id WHERE "
        "c.country = 'XX'",
        reads=["dbo.customers"],
        writes=["dbo.orders"],
        columns={},
    ),
    Case(
        "tsql-merge",
        "tsql",
        """MERGE dbo.customers AS t USING staging.customers AS s ON t.id = s.id
           WHEN MATCHED THEN UPDATE SET t.name = s.name
           WHEN NOT MATCHED BY TARGET THEN INSERT (id, name) VALUES (s.id, s.name)
           WHEN NOT MATCHED BY SOURCE THEN DELETE;""",
        reads=["staging.customers"],
        writes=["dbo.customers"],
        columns={
            "dbo.customers.id": ["staging.customers.id"],
            "dbo.customers.name": ["staging.customers.name"],
        },
    ),
    Case(
        "tsql-cte-insert",
        "tsql",
        """WITH latest AS (
               SELECT customer_id, MAX(created_at) AS last_order
               FROM dbo.orders GROUP BY customer_id
           )
           INSERT INTO dbo.customer_activity (customer_id, last_order)
               SELECT customer_id, last_order FROM latest""",
        reads=["dbo.orders"],
        writes=["dbo.customer_activity"],
        columns={
            "dbo.customer_activity.customer_id": ["dbo.orders.customer_id"],
            "dbo.customer_activity.last_order": ["dbo.orders.created_at"],
        },
        kinds={"dbo.customer_activity.last_order": "aggregate"},
    ),
    Case(
        "tsql-top-isnull",
        "tsql",
        "SELECT TOP 10 id, ISNULL(amount, 0) AS amount FROM dbo.orders ORDER BY amount DESC",
        reads=["dbo.orders"],
        columns={"id": ["dbo.orders.id"], "amount": ["dbo.orders.amount"]},
        kinds={"amount": "transform"},
    ),
    Case(
        "tsql-cross-apply",
        "tsql",
        """SELECT c.id, x.amount FROM dbo.customers AS c
           CROSS APPLY (
               SELECT TOP 1 o.amount FROM dbo.orders AS o
               WHERE o.customer_id = c.id ORDER BY o.created_at DESC
           ) AS x""",
        reads=["dbo.customers", "dbo.orders"],
        columns={"id": ["dbo.customers.id"], "amount": ["dbo.orders.amount"]},
    ),
    Case(
        "tsql-use-database",
        "tsql",
        "USE Sales; SELECT id FROM dbo.orders",
        reads=["sales.dbo.orders"],
        columns={"id": ["sales.dbo.orders.id"]},
    ),
    Case(
        "tsql-update-output-into",
        "tsql",
        "UPDATE dbo.orders SET status = 'x' OUTPUT inserted.id, deleted.status INTO dbo.audit "
        "(order_id, old_status) WHERE id = 1",
        reads=[],
        writes=["dbo.audit", "dbo.orders"],
        xfail="sqlglot 30.30 cannot parse T-SQL's OUTPUT ... INTO clause on UPDATE",
    ),
    Case(
        "tsql-window-over",
        "tsql",
        "SELECT id, SUM(amount) OVER (PARTITION BY customer_id) AS customer_total FROM dbo.orders",
        reads=["dbo.orders"],
        columns={
            "id": ["dbo.orders.id"],
            "customer_total": ["dbo.orders.amount", "dbo.orders.customer_id"],
        },
        kinds={"customer_total": "transform"},
    ),
    Case(
        "mysql-replace-into-values",
        "mysql",
        "replace into shop.settings (k, v) values ('a', '1')",
        reads=[],
        writes=["shop.settings"],
        columns={},
    ),
    # ------------------------------------------------------------------ oracle
    Case(
        "oracle-upper-folding",
        "oracle",
        "SELECT e.EmpNo, e.ename FROM Scott.Emp e",
        reads=["scott.emp"],
        columns={"empno": ["scott.emp.empno"], "ename": ["scott.emp.ename"]},
    ),
    Case(
        "oracle-quoted-mixed",
        "oracle",
        'select "firstName", "LASTNAME" from hr."People"',
        reads=["hr.People"],
        columns={"firstName": ["hr.People.firstName"], "lastname": ["hr.People.lastname"]},
    ),
    Case(
        "oracle-nvl-decode",
        "oracle",
        "select empno, nvl(comm, 0) + sal as total, "
        "decode(deptno, 10, 'ACC', 'OTHER') as dept from scott.emp",
        reads=["scott.emp"],
        columns={
            "empno": ["scott.emp.empno"],
            "total": ["scott.emp.comm", "scott.emp.sal"],
            "dept": ["scott.emp.deptno"],
        },
    ),
    Case(
        "oracle-rownum-pseudocolumn",
        "oracle",
        "select rownum as rn, ename from scott.emp",
        reads=["scott.emp"],
        columns={"rn": [], "ename": ["scott.emp.ename"]},
    ),
    Case(
        "oracle-merge",
        "oracle",
        """merge into hr.bonuses b using (select empno, sal from scott.emp where deptno = 10) e
               on (b.empno = e.empno)
           when matched then update set b.bonus = e.sal * 0.1
           when not matched then insert (b.empno, b.bonus) values (e.empno, e.sal * 0.05)""",
        reads=["scott.emp"],
        writes=["hr.bonuses"],
        columns={"hr.bonuses.bonus": ["scott.emp.sal"], "hr.bonuses.empno": ["scott.emp.empno"]},
        kinds={"hr.bonuses.bonus": "transform", "hr.bonuses.empno": "copy"},
    ),
    Case(
        "oracle-ctas",
        "oracle",
        "create table hr.dept_totals as select deptno, "
        "sum(sal) as total_sal from scott.emp group by deptno",
        reads=["scott.emp"],
        writes=["hr.dept_totals"],
        columns={
            "hr.dept_totals.deptno": ["scott.emp.deptno"],
            "hr.dept_totals.total_sal": ["scott.emp.sal"],
        },
    ),
    Case(
        "oracle-global-temporary-script",
        "oracle",
        """create global temporary table tmp_emp on commit preserve rows as
               select empno, sal from scott.emp;
           insert into hr.raises (empno, new_sal) select empno, sal * 1.05 from tmp_emp""",
        reads=["scott.emp"],
        writes=["hr.raises"],
        columns={"hr.raises.empno": ["scott.emp.empno"], "hr.raises.new_sal": ["scott.emp.sal"]},
    ),
    Case(
        "oracle-delete-subquery",
        "oracle",
        "delete from scott.emp where deptno in (select "
        "deptno from scott.dept where loc = 'DALLAS')",
        reads=["scott.dept"],
        writes=["scott.emp"],
        columns={},
    ),
    Case(
        "oracle-insert-select",
        "oracle",
        "insert into hr.emp_names (empno, full_name) "
        "select empno, ename || ' ' || job from scott.emp",
        reads=["scott.emp"],
        writes=["hr.emp_names"],
        columns={
            "hr.emp_names.empno": ["scott.emp.empno"],
            "hr.emp_names.full_name": ["scott.emp.ename", "scott.emp.job"],
        },
    ),
    # ------------------------------------------------------------------ teradata
    Case(
        "teradata-sel-abbreviation",
        "teradata",
        "SEL id, amount FROM shop.orders",
        reads=["shop.orders"],
        columns={"id": ["shop.orders.id"], "amount": ["shop.orders.amount"]},
    ),
    Case(
        "teradata-volatile-table-script",
        "teradata",
        """CREATE VOLATILE TABLE vt AS (SELECT id, amount FROM shop.orders)
               WITH DATA ON COMMIT PRESERVE ROWS;
           INSERT INTO shop.big_orders (order_id) SELECT id FROM vt WHERE amount > 10;""",
        reads=["shop.orders"],
        writes=["shop.big_orders"],
        columns={"shop.big_orders.order_id": ["shop.orders.id"]},
    ),
    Case(
        "teradata-qualify",
        "teradata",
        "SELECT customer_id, amount FROM shop.orders QUALIFY ROW_NUMBER() OVER (PARTITION BY "
        "customer_id ORDER BY created_at DESC) = 1",
        reads=["shop.orders"],
        columns={"customer_id": ["shop.orders.customer_id"], "amount": ["shop.orders.amount"]},
    ),
    Case(
        "teradata-ctas-with-data",
        "teradata",
        "CREATE TABLE shop.orders_copy AS (SELECT id, amount FROM shop.orders) WITH DATA",
        reads=["shop.orders"],
        writes=["shop.orders_copy"],
        columns={
            "shop.orders_copy.id": ["shop.orders.id"],
            "shop.orders_copy.amount": ["shop.orders.amount"],
        },
    ),
    Case(
        "teradata-update-from",
        "teradata",
        "UPDATE o FROM shop.orders o, shop.payments p "
        "SET amount = p.amount WHERE o.id = p.order_id",
        reads=["shop.payments"],
        writes=["shop.orders"],
        columns={"shop.orders.amount": ["shop.payments.amount"]},
    ),
    Case(
        "teradata-insert-select",
        "teradata",
        "INSERT INTO shop.archive SELECT id, amount FROM "
        "shop.orders WHERE created_at < DATE '2020-01-01'",
        schema={"shop.archive": {"order_id": "", "amount": ""}},
        reads=["shop.orders"],
        writes=["shop.archive"],
        columns={
            "shop.archive.order_id": ["shop.orders.id"],
            "shop.archive.amount": ["shop.orders.amount"],
        },
    ),
    # ------------------------------------------------------------------ trino / presto / athena
    Case(
        "trino-catalog-schema-table",
        "trino",
        "select id, amount from hive.shop.orders",
        reads=["hive.shop.orders"],
        columns={"id": ["hive.shop.orders.id"], "amount": ["hive.shop.orders.amount"]},
    ),
    Case(
        "trino-cross-join-unnest",
        "trino",
        "select o.id, t.item from hive.shop.orders o cross join unnest(o.items) as t(item)",
        reads=["hive.shop.orders"],
        columns={"id": ["hive.shop.orders.id"], "item": ["hive.shop.orders.items"]},
    ),
    Case(
        "trino-ctas",
        "trino",
        "create table hive.marts.totals as select customer_id, sum(amount) as total from "
        "hive.shop.orders group by 1",
        reads=["hive.shop.orders"],
        writes=["hive.marts.totals"],
        columns={
            "hive.marts.totals.customer_id": ["hive.shop.orders.customer_id"],
            "hive.marts.totals.total": ["hive.shop.orders.amount"],
        },
    ),
    Case(
        "trino-insert",
        "trino",
        "insert into hive.marts.totals (customer_id, total) select customer_id, sum(amount) from "
        "hive.shop.orders group by 1",
        reads=["hive.shop.orders"],
        writes=["hive.marts.totals"],
        columns={
            "hive.marts.totals.customer_id": ["hive.shop.orders.customer_id"],
            "hive.marts.totals.total": ["hive.shop.orders.amount"],
        },
    ),
    Case(
        "trino-merge",
        "trino",
        """merge into hive.marts.customers t using hive.shop.customers s on t.id = s.id
           when matched then update set name = s.name
           when not matched then insert (id, name) values (s.id, s.name)""",
        reads=["hive.shop.customers"],
        writes=["hive.marts.customers"],
        columns={
            "hive.marts.customers.id": ["hive.shop.customers.id"],
            "hive.marts.customers.name": ["hive.shop.customers.name"],
        },
    ),
    Case(
        "presto-approx-distinct",
        "presto",
        "select customer_id, approx_distinct(id) as n from shop.orders group by 1",
        reads=["shop.orders"],
        columns={"customer_id": ["shop.orders.customer_id"], "n": ["shop.orders.id"]},
        kinds={"n": "aggregate"},
    ),
    Case(
        "presto-window-rank",
        "presto",
        "select id, rank() over (partition by customer_id "
        "order by amount desc) as rnk from shop.orders",
        reads=["shop.orders"],
        columns={
            "id": ["shop.orders.id"],
            "rnk": ["shop.orders.customer_id", "shop.orders.amount"],
        },
    ),
    Case(
        "presto-map-and-try-cast",
        "presto",
        "select id, try_cast(attrs['size'] as integer) as size from shop.orders",
        reads=["shop.orders"],
        columns={"id": ["shop.orders.id"], "size": ["shop.orders.attrs"]},
    ),
    Case(
        "athena-ctas-with-properties",
        "athena",
        "create table analytics.orders_parquet with (format "
        "= 'PARQUET') as select id, amount from raw.orders",
        reads=["raw.orders"],
        writes=["analytics.orders_parquet"],
        columns={
            "analytics.orders_parquet.id": ["raw.orders.id"],
            "analytics.orders_parquet.amount": ["raw.orders.amount"],
        },
    ),
    Case(
        "athena-insert-into",
        "athena",
        "insert into analytics.daily select date(created_at) "
        "as day, count(*) as n from raw.orders group by 1",
        reads=["raw.orders"],
        writes=["analytics.daily"],
        columns={"analytics.daily.day": ["raw.orders.created_at"], "analytics.daily.n": []},
    ),
    Case(
        "athena-create-view",
        "athena",
        "create or replace view analytics.v_orders as select id, amount from raw.orders",
        reads=["raw.orders"],
        writes=["analytics.v_orders"],
        statement_type="create_view",
        columns={
            "analytics.v_orders.id": ["raw.orders.id"],
            "analytics.v_orders.amount": ["raw.orders.amount"],
        },
    ),
    # ------------------------------------------------------------------ sqlite
    Case(
        "sqlite-basic",
        "sqlite",
        "select o.id, c.name from orders o join customers c on c.id = o.customer_id",
        reads=["customers", "orders"],
        columns={"id": ["orders.id"], "name": ["customers.name"]},
    ),
    Case(
        "sqlite-insert-select",
        "sqlite",
        "insert into archive (id, amount) select id, amount from orders where status = 'done'",
        reads=["orders"],
        writes=["archive"],
        columns={"archive.id": ["orders.id"], "archive.amount": ["orders.amount"]},
    ),
    Case(
        "sqlite-create-view",
        "sqlite",
        "create view v_totals as select customer_id, "
        "total(amount) as total from orders group by customer_id",
        reads=["orders"],
        writes=["v_totals"],
        columns={
            "v_totals.customer_id": ["orders.customer_id"],
            "v_totals.total": ["orders.amount"],
        },
        kinds={"v_totals.total": "aggregate"},
    ),
    Case(
        "sqlite-temp-table-script",
        "sqlite",
        """create temp table t as select id, ifnull(amount, 0) as amount from orders;
           insert into summary (n, total) select count(*), sum(amount) from t;""",
        reads=["orders"],
        writes=["summary"],
        columns={"summary.n": [], "summary.total": ["orders.amount"]},
        kinds={"summary.total": "aggregate"},
    ),
    Case(
        "sqlite-update-scalar-subquery",
        "sqlite",
        "update customers set last_amount = (select max(amount) from orders where "
        "orders.customer_id = customers.id)",
        reads=["orders"],
        writes=["customers"],
        columns={"customers.last_amount": ["orders.amount"]},
        kinds={"customers.last_amount": "aggregate"},
    ),
    # ------------------------------------------------------------------ clickhouse
    Case(
        "clickhouse-case-sensitive",
        "clickhouse",
        "select Id, userName from Events",
        reads=["Events"],
        columns={"Id": ["Events.Id"], "userName": ["Events.userName"]},
    ),
    Case(
        "clickhouse-insert-select",
        "clickhouse",
        "insert into stats.daily select toDate(ts) as "
        "day, count() as n from logs.events group by day",
        schema={"stats.daily": {"day": "", "n": ""}},
        reads=["logs.events"],
        writes=["stats.daily"],
        columns={"stats.daily.day": ["logs.events.ts"], "stats.daily.n": []},
    ),
    Case(
        "clickhouse-ctas-engine",
        "clickhouse",
        "create table stats.by_user engine = MergeTree order by user_id as select user_id, "
        "countIf(kind = 'click') as clicks from logs.events group by user_id",
        reads=["logs.events"],
        writes=["stats.by_user"],
        columns={
            "stats.by_user.user_id": ["logs.events.user_id"],
            "stats.by_user.clicks": ["logs.events.kind"],
        },
        kinds={"stats.by_user.clicks": "aggregate"},
    ),
    Case(
        "clickhouse-materialized-view-to",
        "clickhouse",
        "create materialized view stats.mv_users to stats.users as select user_id, "
        "uniq(session_id) as sessions from logs.events group by user_id",
        reads=["logs.events"],
        writes=["stats.mv_users", "stats.users"],
    ),
    Case(
        "clickhouse-array-join",
        "clickhouse",
        "select id, tag from logs.posts array join tags as tag",
        reads=["logs.posts"],
        columns={"id": ["logs.posts.id"], "tag": ["logs.posts.tags"]},
    ),
    Case(
        "clickhouse-final-modifier",
        "clickhouse",
        "select id, value from stats.latest final",
        reads=["stats.latest"],
        columns={"id": ["stats.latest.id"], "value": ["stats.latest.value"]},
    ),
    # ------------------------------------------------------------------ ansi (generic SQL)
    Case(
        "ansi-nested-subqueries",
        "ansi",
        """select x.customer_id, x.total from (
               select y.customer_id, sum(y.amount) as total from (
                   select customer_id, amount from raw.shop.orders where status = 'paid'
               ) y group by y.customer_id
           ) x where x.total > 100""",
        reads=[ORD],
        columns={"customer_id": [f"{ORD}.customer_id"], "total": [f"{ORD}.amount"]},
        kinds={"customer_id": "copy", "total": "aggregate"},
    ),
    Case(
        "ansi-union-positional",
        "ansi",
        "select id as key, email as contact from raw.shop.customers union select order_id, method "
        "from raw.shop.payments",
        reads=[CUS, PAY],
        columns={
            "key": [f"{CUS}.id", f"{PAY}.order_id"],
            "contact": [f"{CUS}.email", f"{PAY}.method"],
        },
    ),
    Case(
        "ansi-union-three-branches",
        "ansi",
        "select id from a union all select id from b union all select id from c",
        reads=["a", "b", "c"],
        columns={"id": ["a.id", "b.id", "c.id"]},
    ),
    Case(
        "ansi-scalar-subquery",
        "ansi",
        "select c.id, (select count(*) from raw.shop.orders o where o.customer_id = c.id) as "
        "n_orders, (select max(o.amount) from raw.shop.orders o where o.customer_id = c.id) as "
        "max_amount from raw.shop.customers c",
        reads=[ORD, CUS],
        columns={"id": [f"{CUS}.id"], "n_orders": [], "max_amount": [f"{ORD}.amount"]},
        kinds={"max_amount": "aggregate"},
    ),
    Case(
        "ansi-filters-are-not-sources",
        "ansi",
        "select c.name from raw.shop.customers c where exists (select 1 from raw.shop.orders o "
        "where o.customer_id = c.id) and c.country = 'US'",
        reads=[ORD, CUS],
        columns={"name": [f"{CUS}.name"]},
    ),
    Case(
        "ansi-join-using-with-schema",
        "ansi",
        "select id, name, amount from customers join payments using (id)",
        **shop(),
        reads=[CUS, PAY],
        columns={
            "id": [f"{CUS}.id", f"{PAY}.id"],
            "name": [f"{CUS}.name"],
            "amount": [f"{PAY}.amount"],
        },
    ),
    Case(
        "ansi-schema-disambiguates-join",
        "ansi",
        "select name, amount, method from customers c join orders o on o.customer_id = c.id join "
        "payments p on p.order_id = o.id",
        **shop(),
        reads=[CUS, ORD, PAY],
        columns={
            "name": [f"{CUS}.name"],
            "amount": [f"{ORD}.amount", f"{PAY}.amount"],
            "method": [f"{PAY}.method"],
        },
    ),
    Case(
        "ansi-ambiguous-without-schema",
        "ansi",
        "select name, method from customers c join payments p on p.id = c.id",
        reads=["customers", "payments"],
        columns={
            "name": ["customers.name", "payments.name"],
            "method": ["customers.method", "payments.method"],
        },
    ),
    Case(
        "ansi-star-over-join-with-schema",
        "ansi",
        "select c.*, p.amount from customers c join payments p on p.id = c.id",
        **shop(),
        reads=[CUS, PAY],
        columns={
            **{c: [f"{CUS}.{c}"] for c in ("id", "name", "email", "country")},
            "amount": [f"{PAY}.amount"],
        },
    ),
    Case(
        "ansi-star-over-join-without-schema",
        "ansi",
        "select * from customers c join payments p on p.id = c.id",
        reads=["customers", "payments"],
        columns={"*": ["customers.*", "payments.*"]},
    ),
    Case(
        "ansi-derived-table-column-aliases",
        "ansi",
        "select t.a, t.b from (select id, amount from raw.shop.orders) as t(a, b)",
        reads=[ORD],
        columns={"a": [f"{ORD}.id"], "b": [f"{ORD}.amount"]},
    ),
    Case(
        "ansi-cte-column-list",
        "ansi",
        "with t (a, b) as (select id, amount from raw.shop.orders) select a, b from t",
        reads=[ORD],
        columns={"a": [f"{ORD}.id"], "b": [f"{ORD}.amount"]},
    ),
    Case(
        "ansi-nested-ctes",
        "ansi",
        """with a as (
                    with inner_a as (select id, amount from raw.shop.orders)
                    select id, amount * 2 as amount from inner_a
                ),
                b as (select id, amount + 1 as amount from a)
           select id, amount from b""",
        reads=[ORD],
        columns={"id": [f"{ORD}.id"], "amount": [f"{ORD}.amount"]},
        kinds={"id": "copy", "amount": "transform"},
    ),
    Case(
        "ansi-cte-shadows-table-name",
        "ansi",
        "with orders as (select id, amount from orders where amount > 0) select id from orders",
        reads=["orders"],
        columns={"id": ["orders.id"]},
    ),
    Case(
        "ansi-default-schema-only",
        "ansi",
        "select id from orders",
        default_schema="shop",
        reads=["shop.orders"],
        columns={"id": ["shop.orders.id"]},
    ),
    Case(
        "ansi-default-db-two-part-name",
        "ansi",
        "select id from shop.orders",
        default_db="raw",
        default_schema="other",
        reads=[ORD],
        columns={"id": [f"{ORD}.id"]},
    ),
    Case(
        "ansi-schema-suffix-match",
        "ansi",
        "select id, email from customers",
        schema=SHOP,
        reads=[CUS],
        columns={"id": [f"{CUS}.id"], "email": [f"{CUS}.email"]},
    ),
    Case(
        "ansi-constants-and-count-star",
        "ansi",
        "select 1 as one, 'x' as label, count(*) as n, current_date as today from raw.shop.orders",
        reads=[ORD],
        columns={"one": [], "label": [], "n": [], "today": []},
        kinds={"one": "transform", "n": "aggregate"},
    ),
    Case(
        "ansi-case-when-kinds",
        "ansi",
        "select id, case when amount > 100 then 'big' else 'small' end as size, cast(amount as "
        "int) as amount_int, amount from raw.shop.orders",
        reads=[ORD],
        columns={
            "id": [f"{ORD}.id"],
            "size": [f"{ORD}.amount"],
            "amount_int": [f"{ORD}.amount"],
            "amount": [f"{ORD}.amount"],
        },
        kinds={"id": "copy", "size": "transform", "amount_int": "transform", "amount": "copy"},
    ),
    Case(
        "ansi-window-kinds",
        "ansi",
        "select id, sum(amount) over (partition by customer_id) as w, avg(amount) as a from "
        "raw.shop.orders group by id",
        reads=[ORD],
        columns={
            "id": [f"{ORD}.id"],
            "w": [f"{ORD}.amount", f"{ORD}.customer_id"],
            "a": [f"{ORD}.amount"],
        },
        kinds={"w": "transform", "a": "aggregate"},
    ),
    Case(
        "ansi-insert-values",
        "ansi",
        "insert into raw.shop.customers (id, name) values (1, 'a'), (2, 'b')",
        reads=[],
        writes=[CUS],
        columns={},
        statement_type="insert",
    ),
    Case(
        "ansi-insert-uses-target-schema-order",
        "ansi",
        "insert into raw.shop.payments select id, id, amount, 'card' from raw.shop.orders",
        schema=SHOP,
        reads=[ORD],
        writes=[PAY],
        columns={
            f"{PAY}.id": [f"{ORD}.id"],
            f"{PAY}.order_id": [f"{ORD}.id"],
            f"{PAY}.amount": [f"{ORD}.amount"],
            f"{PAY}.method": [],
        },
    ),
    Case(
        "ansi-ddl-then-insert-script",
        "ansi",
        """create table stage.t (a int, b varchar);
           insert into stage.t select id, name from raw.shop.customers;
           select * from stage.t""",
        target_table="marts.final",
        reads=[CUS],
        writes=["marts.final", "stage.t"],
        columns={
            "stage.t.a": [f"{CUS}.id"],
            "stage.t.b": [f"{CUS}.name"],
            "marts.final.a": [f"{CUS}.id"],
            "marts.final.b": [f"{CUS}.name"],
        },
    ),
    Case(
        "ansi-intermediate-table-script",
        "ansi",
        """create table stage.a as select id, amount from raw.shop.orders;
           create table stage.b as select id, amount * 2 as amount from stage.a;
           create table marts.c as select id, sum(amount) as total from stage.b group by id""",
        reads=[ORD],
        writes=["marts.c", "stage.a", "stage.b"],
        columns={
            "stage.a.id": [f"{ORD}.id"],
            "stage.a.amount": [f"{ORD}.amount"],
            "stage.b.id": [f"{ORD}.id"],
            "stage.b.amount": [f"{ORD}.amount"],
            "marts.c.id": [f"{ORD}.id"],
            "marts.c.total": [f"{ORD}.amount"],
        },
        kinds={"stage.b.amount": "transform", "marts.c.total": "aggregate", "marts.c.id": "copy"},
    ),
    Case(
        "ansi-script-star-through-temp",
        "ansi",
        """create temporary table t as select id, email from raw.shop.customers;
           create table marts.emails as select * from t""",
        reads=[CUS],
        writes=["marts.emails"],
        columns={"marts.emails.id": [f"{CUS}.id"], "marts.emails.email": [f"{CUS}.email"]},
    ),
    Case(
        "ansi-values-derived-table",
        "ansi",
        "select v.code, v.label from (values (1, 'a'), (2, 'b')) as v(code, label)",
        reads=[],
        columns={"code": [], "label": []},
    ),
    Case(
        "ansi-bare-select-no-target",
        "ansi",
        "select id from raw.shop.orders",
        reads=[ORD],
        writes=[],
        columns={"id": [f"{ORD}.id"]},
        statement_type="select",
    ),
    Case(
        "ansi-quoted-identifiers",
        "ansi",
        'select "Order ID", "amount" from "Raw"."Shop"."Orders"',
        reads=["Raw.Shop.Orders"],
        columns={"Order ID": ["Raw.Shop.Orders.Order ID"], "amount": ["Raw.Shop.Orders.amount"]},
    ),
    Case(
        "ansi-delete-where-subquery",
        "ansi",
        "delete from raw.shop.payments where order_id not in (select id from raw.shop.orders)",
        reads=[ORD],
        writes=[PAY],
        columns={},
    ),
    Case(
        "ansi-update-correlated-subquery",
        "ansi",
        "update raw.shop.customers set country = (select max(country) from raw.geo.countries g "
        "where g.id = customers.id)",
        reads=["raw.geo.countries"],
        writes=[CUS],
        columns={f"{CUS}.country": ["raw.geo.countries.country"]},
    ),
    Case(
        "ansi-unparsable",
        "ansi",
        "select from where (((",
        error="Line 1",
    ),
    Case(
        "ansi-unknown-dialect",
        "nosuchsql",
        "select 1",
        error="unknown dialect 'nosuchsql'",
    ),
    Case(
        "ansi-empty-sql",
        "ansi",
        "   ",
        error="empty",
    ),
]


def _key(table: str, column: str) -> str:
    return f"{table}.{column}" if table else column


def check(case: Case) -> list[str]:
    """Differences between what the engine says and what the case expects ([] when it passes)."""
    result: LineageResult = analyze(
        case.sql,
        dialect=case.dialect,
        schema=case.schema,
        default_db=case.default_db,
        default_schema=case.default_schema,
        target_table=case.target_table,
    )
    problems: list[str] = []
    if case.error is not None:
        if result.error is None or case.error not in result.error:
            problems.append(f"error: expected one containing {case.error!r}, got {result.error!r}")
        if result.reads or result.writes or result.columns:
            problems.append("error results must be otherwise empty")
        return problems
    if result.error is not None:
        return [f"unexpected error: {result.error}"]
    if case.statement_type and result.statement_type != case.statement_type:
        problems.append(
            f"statement_type: expected {case.statement_type}, got {result.statement_type}"
        )
    if result.reads != sorted(case.reads):
        problems.append(f"reads: expected {sorted(case.reads)}, got {result.reads}")
    if result.writes != sorted(case.writes):
        problems.append(f"writes: expected {sorted(case.writes)}, got {result.writes}")
    got = {
        _key(c.target.table, c.target.column): sorted(_key(s.table, s.column) for s in c.sources)
        for c in result.columns
    }
    if case.columns is not None:
        expected = {k: sorted(v) for k, v in case.columns.items()}
        if got != expected:
            problems.append(f"columns: expected {expected}, got {got}")
    kinds = {_key(c.target.table, c.target.column): c.kind for c in result.columns}
    for target, kind in case.kinds.items():
        if kinds.get(target) != kind:
            problems.append(f"kind of {target}: expected {kind}, got {kinds.get(target)}")
    return problems


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def test_case_ids_are_unique_and_prefixed_by_dialect() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case.id.startswith(f"{case.dialect}-") or case.id.startswith("ansi-"), case.id


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_conformance(case: Case) -> None:
    problems = check(case)
    assert not problems, "\n".join(problems)

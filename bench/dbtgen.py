#!/usr/bin/env python3
"""Generate a realistic dbt project of N models, build it for real, cache the artifacts.

Library use (what bench/ingest.py and bench/lineage.py call)::

    from bench.dbtgen import ensure_artifacts          # or: import dbtgen
    target = ensure_artifacts(2000)                    # Path to a dir with
    # manifest.json, catalog.json, run_results.json (from `dbt build`),
    # sources.json (from `dbt source freshness`) and bench_meta.json.

CLI::

    python bench/dbtgen.py --models 2000 [--cache DIR] [--force] [--seed 42]

The project is layered: raw sources (~N/10 tables filled with deterministic
rows by a Python step using the ``duckdb`` package), staging (~40%),
intermediate (~35%) and marts (~25%, including a MetricFlow time spine).
Models select from 1-4 upstream models of earlier layers using CTEs, joins,
window functions, aggregates, CASE expressions and unions. YAML carries
descriptions, meta (owner/tier, PII), tests (~2 per model), exposures
(~N/100), semantic models and metrics (~N/100 each).

Only the standard library is imported at module level, so this file also runs
inside the dbt virtualenv (``_load-raw`` sub-command) where ``duckdb`` lives.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# Bump whenever the generated project or the build procedure changes: it is
# part of the cache key.
GENERATOR_VERSION = 2
DEFAULT_SEED = 42

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_CACHE_DIR = BENCH_DIR / ".cache"
DBT_VENV = BENCH_DIR / ".venv-dbt"
DBT_REQUIREMENTS = BENCH_DIR / "requirements-dbt.txt"
VENV_PYTHON_CANDIDATES = (
    "/root/.pyenv/versions/3.12.1/bin/python3.12",
    "/root/.pyenv/versions/3.11.7/bin/python3.11",
)
PROJECT_NAME = "lexicon_bench"
DB_NAME = "lexicon_bench"  # dbt-duckdb names the database after the file stem
ARTIFACT_FILES = ("manifest.json", "catalog.json", "run_results.json", "sources.json")
FK_RANGE = 200  # every foreign key value is in 1..FK_RANGE; every raw table has >= FK_RANGE rows

# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

FIRST_NAMES = [
    "ada",
    "grace",
    "alan",
    "linus",
    "margaret",
    "dennis",
    "barbara",
    "ken",
    "frances",
    "edsger",
    "radia",
    "guido",
    "sophie",
    "tim",
    "hedy",
    "john",
]
LAST_NAMES = [
    "lovelace",
    "hopper",
    "turing",
    "torvalds",
    "hamilton",
    "ritchie",
    "liskov",
    "thompson",
    "allen",
    "dijkstra",
    "perlman",
    "rossum",
    "wilson",
    "lee",
    "lamarr",
]
CITIES = [
    "Berlin",
    "Paris",
    "London",
    "New York",
    "Tokyo",
    "Sao Paulo",
    "Mumbai",
    "Toronto",
    "Sydney",
    "Madrid",
    "Chicago",
    "Lagos",
    "Seoul",
    "Austin",
    "Lyon",
    "Osaka",
]
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "CA", "AU", "ES", "NG", "KR"]

ENUMS = {
    "segment": ["consumer", "smb", "mid_market", "enterprise"],
    "signup_channel": ["web", "mobile", "store", "partner", "referral"],
    "channel": ["web", "mobile", "store", "partner", "email"],
    "currency": ["usd", "eur", "gbp", "jpy", "cad"],
    "payment_method": ["credit_card", "bank_transfer", "paypal", "gift_card"],
    "category": ["apparel", "electronics", "home", "beauty", "sports", "toys"],
    "subcategory": ["basics", "premium", "outlet", "seasonal"],
    "device_type": ["desktop", "mobile", "tablet"],
    "browser": ["chrome", "firefox", "safari", "edge"],
    "event_type": ["page_view", "add_to_cart", "checkout", "purchase", "search"],
    "plan": ["free", "starter", "pro", "enterprise"],
    "billing_period": ["monthly", "annual"],
    "carrier": ["ups", "fedex", "dhl", "usps"],
    "reason": ["damaged", "late", "wrong_item", "changed_mind", "other"],
    "priority": ["low", "normal", "high", "urgent"],
    "stage": ["prospecting", "qualification", "proposal", "closed_won", "closed_lost"],
    "department": ["sales", "support", "engineering", "finance", "operations"],
    "job_title": ["associate", "specialist", "manager", "director"],
    "region": ["north", "south", "east", "west"],
    "industry": ["retail", "software", "manufacturing", "healthcare", "finance", "media"],
    "referrer": ["google", "direct", "newsletter", "facebook", "partner_site"],
}
STATUS_BY_ENTITY = {
    "orders": ["placed", "shipped", "completed", "returned", "cancelled"],
    "payments": ["pending", "succeeded", "failed", "refunded"],
    "invoices": ["draft", "open", "paid", "void"],
    "subscriptions": ["active", "trialing", "past_due", "canceled"],
    "shipments": ["label_created", "in_transit", "delivered", "exception"],
    "refunds": ["requested", "approved", "rejected"],
    "campaigns": ["planned", "running", "paused", "finished"],
    "tickets": ["open", "pending", "solved", "closed"],
}

# column name -> (kind, generator, description, pii category or None)
#   kinds: key num int float str enum ts date bool cents
COLS: dict[str, tuple] = {
    "first_name": ("str", ("list", FIRST_NAMES), "Given name of the person.", "name"),
    "last_name": ("str", ("list", LAST_NAMES), "Family name of the person.", "name"),
    "email": (
        "str",
        ("expr", "'user' || i || '@example.com'"),
        "Email address used to contact the person.",
        "email",
    ),
    "phone": (
        "str",
        ("expr", "'+1-555-' || lpad(cast(i as varchar), 4, '0')"),
        "Phone number in E.164-like format.",
        "phone",
    ),
    "birth_date": ("date", ("date", 20000, "1960-01-01"), "Date of birth.", "dob"),
    "ip_address": (
        "str",
        ("expr", "'10.' || (i % 250) || '.' || ((i * 7) % 250) || '.' || ((i * 13) % 250)"),
        "IP address the session came from.",
        "ip",
    ),
    "country": ("str", ("list", COUNTRIES), "ISO 3166-1 alpha-2 country code.", None),
    "city": ("str", ("list", CITIES), "City name.", None),
    "is_active": ("bool", ("bool", 5), "Whether the record is currently active.", None),
    "lifetime_value": (
        "num",
        ("num", 500000),
        "Lifetime value in USD as computed by the source system.",
        None,
    ),
    "created_at": (
        "ts",
        ("ts",),
        "Timestamp when the record was created in the source system.",
        None,
    ),
    "updated_at": ("ts", ("ts",), "Timestamp of the last update in the source system.", None),
    "order_date": (
        "date",
        ("date", 730, "2023-01-01"),
        "Calendar date the order was placed.",
        None,
    ),
    "amount": ("num", ("num", 50000), "Monetary amount in the record currency.", None),
    "amount_cents": ("cents", ("int", 5000000), "Monetary amount in cents.", None),
    "discount_amount": ("num", ("num", 3000), "Discount applied, in the record currency.", None),
    "tax_amount": ("num", ("num", 5000), "Tax charged, in the record currency.", None),
    "shipping_amount": ("num", ("num", 2500), "Shipping fee charged to the customer.", None),
    "coupon_code": (
        "str",
        ("nullable_expr", "'SAVE' || (i % 40)", 4),
        "Coupon code redeemed, if any.",
        None,
    ),
    "quantity": ("int", ("int", 12, 1), "Number of units.", None),
    "unit_price": ("num", ("num", 20000), "Price of a single unit.", None),
    "processed_at": (
        "ts",
        ("ts",),
        "Timestamp when the payment processor confirmed the payment.",
        None,
    ),
    "product_name": ("str", ("expr", "'product ' || i"), "Display name of the product.", None),
    "sku": (
        "str",
        ("expr", "'SKU-' || lpad(cast(i as varchar), 6, '0')"),
        "Stock keeping unit.",
        None,
    ),
    "price": ("num", ("num", 30000), "List price of the product.", None),
    "cost": ("num", ("num", 15000), "Unit cost of the product.", None),
    "weight_kg": ("float", ("float", 40), "Shipping weight in kilograms.", None),
    "supplier_name": ("str", ("expr", "'supplier ' || i"), "Legal name of the supplier.", None),
    "rating": ("float", ("float", 5), "Average quality rating, 0-5.", None),
    "store_name": ("str", ("expr", "'store ' || i"), "Name of the store.", None),
    "opened_on": ("date", ("date", 3000, "2015-01-01"), "Date the location opened.", None),
    "square_meters": ("int", ("int", 5000, 50), "Floor area in square meters.", None),
    "hired_on": ("date", ("date", 3000, "2016-01-01"), "Date the employee was hired.", None),
    "salary": ("num", ("num", 20000000), "Annual salary in USD.", None),
    "started_at": ("ts", ("ts",), "Timestamp when it started.", None),
    "ended_at": ("ts", ("nullable_ts", 9), "Timestamp when it ended, null while ongoing.", None),
    "page_views": ("int", ("int", 40, 1), "Number of pages viewed.", None),
    "duration_seconds": ("int", ("int", 7200, 1), "Duration in seconds.", None),
    "event_at": ("ts", ("ts",), "Timestamp when the event happened.", None),
    "page_url": ("str", ("expr", "'/p/' || ((i * 37) % 500)"), "Path of the page.", None),
    "issued_at": ("ts", ("ts",), "Timestamp the invoice was issued.", None),
    "due_date": ("date", ("date", 760, "2023-01-15"), "Date the invoice is due.", None),
    "paid_at": ("ts", ("nullable_ts", 3), "Timestamp the invoice was paid, null if unpaid.", None),
    "cancelled_at": (
        "ts",
        ("nullable_ts", 2),
        "Timestamp of cancellation, null if still active.",
        None,
    ),
    "mrr": ("num", ("num", 200000), "Monthly recurring revenue in USD.", None),
    "seats": ("int", ("int", 200, 1), "Number of licensed seats.", None),
    "shipped_at": ("ts", ("ts",), "Timestamp the parcel left the warehouse.", None),
    "delivered_at": ("ts", ("nullable_ts", 4), "Timestamp the parcel was delivered.", None),
    "shipping_cost": ("num", ("num", 4000), "Carrier cost of the shipment.", None),
    "tracking_number": (
        "str",
        ("expr", "'TRK' || lpad(cast(i * 7919 as varchar), 10, '0')"),
        "Carrier tracking number.",
        None,
    ),
    "warehouse_name": ("str", ("expr", "'warehouse ' || i"), "Name of the warehouse.", None),
    "capacity": ("int", ("int", 100000, 1000), "Storage capacity in pallets.", None),
    "campaign_name": ("str", ("expr", "'campaign ' || i"), "Name of the marketing campaign.", None),
    "budget": ("num", ("num", 10000000), "Planned budget in USD.", None),
    "spend_date": ("date", ("date", 730, "2023-01-01"), "Date of the spend.", None),
    "spend": ("num", ("num", 500000), "Amount spent in USD.", None),
    "impressions": ("int", ("int", 100000, 100), "Number of ad impressions.", None),
    "clicks": ("int", ("int", 5000, 0), "Number of ad clicks.", None),
    "conversions": ("int", ("int", 300, 0), "Number of attributed conversions.", None),
    "resolved_at": ("ts", ("nullable_ts", 3), "Timestamp the ticket was resolved.", None),
    "satisfaction_score": ("int", ("int", 5, 1), "Customer satisfaction score, 1-5.", None),
    "account_name": ("str", ("expr", "'account ' || i"), "Name of the account.", None),
    "employee_count": ("int", ("int", 50000, 1), "Number of employees at the account.", None),
    "annual_revenue": ("num", ("num", 900000000), "Annual revenue of the account in USD.", None),
    "close_date": ("date", ("date", 730, "2023-01-01"), "Expected or actual close date.", None),
    "probability": ("float", ("float", 1), "Win probability between 0 and 1.", None),
    "is_won": ("bool", ("bool", 3), "Whether the opportunity was won.", None),
    "status": ("enum", ("enum",), "Current lifecycle status.", None),
    "_loaded_at": ("ts", ("loaded_at",), "Timestamp the loader wrote the row.", None),
}
for _e, _vals in ENUMS.items():
    COLS[_e] = ("enum", ("enum",), f"{_e.replace('_', ' ').capitalize()} of the record.", None)

# base table name -> (key, fks, always-present attrs, optional attrs, systems)
ENTITIES: dict[str, tuple] = {
    "customers": (
        "customer_id",
        [],
        ["email", "first_name", "created_at"],
        [
            "last_name",
            "phone",
            "birth_date",
            "country",
            "city",
            "segment",
            "signup_channel",
            "is_active",
            "lifetime_value",
            "updated_at",
        ],
        ["crm", "shop"],
    ),
    "orders": (
        "order_id",
        ["customer_id", "store_id"],
        ["status", "created_at", "amount"],
        [
            "order_date",
            "discount_amount",
            "tax_amount",
            "shipping_amount",
            "currency",
            "channel",
            "coupon_code",
            "updated_at",
        ],
        ["shop", "erp"],
    ),
    "order_items": (
        "order_item_id",
        ["order_id", "product_id"],
        ["quantity", "unit_price", "created_at"],
        ["discount_amount", "tax_amount"],
        ["shop", "erp"],
    ),
    "payments": (
        "payment_id",
        ["order_id", "customer_id"],
        ["amount_cents", "status", "created_at"],
        ["payment_method", "currency", "processed_at"],
        ["billing", "shop"],
    ),
    "products": (
        "product_id",
        ["supplier_id"],
        ["product_name", "category", "price"],
        ["subcategory", "cost", "sku", "is_active", "created_at", "weight_kg"],
        ["erp", "shop"],
    ),
    "suppliers": (
        "supplier_id",
        [],
        ["supplier_name", "country"],
        ["city", "rating", "is_active", "created_at"],
        ["erp"],
    ),
    "stores": (
        "store_id",
        [],
        ["store_name", "country", "city"],
        ["region", "opened_on", "square_meters", "is_active"],
        ["erp", "shop"],
    ),
    "employees": (
        "employee_id",
        ["store_id"],
        ["first_name", "last_name", "email", "department"],
        ["job_title", "hired_on", "salary", "is_active"],
        ["hr"],
    ),
    "sessions": (
        "session_id",
        ["customer_id"],
        ["started_at", "device_type"],
        ["ended_at", "browser", "country", "page_views", "duration_seconds", "ip_address"],
        ["web"],
    ),
    "events": (
        "event_id",
        ["session_id", "customer_id", "product_id"],
        ["event_type", "event_at"],
        ["page_url", "referrer", "device_type"],
        ["web"],
    ),
    "invoices": (
        "invoice_id",
        ["customer_id", "subscription_id"],
        ["amount", "status", "issued_at"],
        ["tax_amount", "currency", "due_date", "paid_at"],
        ["billing"],
    ),
    "subscriptions": (
        "subscription_id",
        ["customer_id"],
        ["plan", "status", "started_at"],
        ["cancelled_at", "mrr", "billing_period", "seats"],
        ["billing"],
    ),
    "shipments": (
        "shipment_id",
        ["order_id", "warehouse_id"],
        ["carrier", "status", "shipped_at"],
        ["delivered_at", "shipping_cost", "tracking_number"],
        ["logistics"],
    ),
    "warehouses": (
        "warehouse_id",
        [],
        ["warehouse_name", "country"],
        ["city", "capacity", "opened_on"],
        ["logistics"],
    ),
    "refunds": (
        "refund_id",
        ["order_id", "payment_id"],
        ["amount", "status", "created_at"],
        ["reason"],
        ["billing", "shop"],
    ),
    "campaigns": (
        "campaign_id",
        [],
        ["campaign_name", "channel", "started_at"],
        ["ended_at", "budget", "status"],
        ["marketing"],
    ),
    "ad_spend": (
        "ad_spend_id",
        ["campaign_id"],
        ["spend_date", "spend", "channel"],
        ["impressions", "clicks", "conversions"],
        ["marketing"],
    ),
    "tickets": (
        "ticket_id",
        ["customer_id", "employee_id"],
        ["priority", "status", "created_at"],
        ["channel", "resolved_at", "satisfaction_score"],
        ["support"],
    ),
    "accounts": (
        "account_id",
        ["employee_id"],
        ["account_name", "industry", "created_at"],
        ["country", "employee_count", "annual_revenue"],
        ["sales"],
    ),
    "opportunities": (
        "opportunity_id",
        ["account_id", "employee_id"],
        ["stage", "amount", "created_at"],
        ["close_date", "probability", "is_won"],
        ["sales"],
    ),
}
KEY_TO_ENTITY = {v[0]: k for k, v in ENTITIES.items()}
SYSTEMS = {
    "shop": ("Shopify-style storefront database replicated by the EL tool.", "fivetran"),
    "crm": ("CRM exports (contacts and accounts).", "fivetran"),
    "erp": ("ERP system: catalogue, stores and fulfilment.", "airbyte"),
    "billing": ("Billing and subscription platform.", "stitch"),
    "web": ("Clickstream collected by the web tracker.", "snowplow"),
    "hr": ("HR information system.", "airbyte"),
    "logistics": ("Warehouse management and carrier feeds.", "fivetran"),
    "marketing": ("Ad platforms and campaign planning.", "fivetran"),
    "support": ("Customer support desk.", "stitch"),
    "sales": ("Sales pipeline (accounts and opportunities).", "fivetran"),
}
REGION_SUFFIXES = [
    "us",
    "eu",
    "apac",
    "latam",
    "uk",
    "ca",
    "de",
    "fr",
    "jp",
    "au",
    "br",
    "in",
    "mx",
    "es",
    "it",
    "nl",
    "se",
    "pl",
    "kr",
    "sg",
]
DOMAINS = ["finance", "marketing", "product", "operations", "sales", "support", "growth", "core"]
TEAMS = [
    "@analytics-engineering",
    "@finance-data",
    "@marketing-analytics",
    "@product-analytics",
    "@ops-data",
    "@revops",
    "@support-insights",
    "@data-platform",
]
INT_VERBS = [
    "enriched",
    "joined",
    "aggregated",
    "windowed",
    "daily",
    "latest",
    "scored",
    "ranked",
    "rollup",
    "summary",
    "pivoted",
    "deduped",
    "combined",
    "history",
    "metrics",
]
STG_VARIANTS = [
    "deduped",
    "current",
    "recent",
    "filtered",
    "latest",
    "cleaned",
    "valid",
    "snapshot",
]

VALID_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


# ---------------------------------------------------------------------------
# Data structures
# ---------------------------------------------------------------------------


@dataclass
class Col:
    name: str
    kind: str  # key num int float str enum ts date bool
    desc: str | None = None
    values: tuple | None = None  # for enum columns: the complete set of values
    nonnull: bool = False
    pii: str | None = None
    derived: bool = False  # produced by _derived(): not fed into further derivations


@dataclass
class RawTable:
    system: str
    name: str
    entity: str
    rows: int
    cols: list  # list[Col] in raw form (id, fks, attrs, _loaded_at)
    salt: int
    lag_hours: int

    @property
    def key(self) -> str:
        return ENTITIES[self.entity][0]


@dataclass
class Model:
    name: str
    layer: str  # staging intermediate marts
    folder: str  # path below models/
    cols: list  # list[Col]
    grain: str | None
    entity: str | None
    sql: str = ""
    desc: str = ""
    # Unfiltered single-source staging model (parent for relationships tests).
    canonical: bool = False
    refs: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    materialized: str = "view"

    def col(self, name):
        for c in self.cols:
            if c.name == name:
                return c
        return None

    def names(self):
        return [c.name for c in self.cols]


def _copy(c: Col, **kw) -> Col:
    d = dict(
        name=c.name,
        kind=c.kind,
        desc=c.desc,
        values=c.values,
        nonnull=c.nonnull,
        pii=c.pii,
        derived=c.derived,
    )
    d.update(kw)
    return Col(**d)


def _base(name: str) -> str:
    for suf in ("_at", "_on", "_date"):
        if name.endswith(suf):
            return name[: -len(suf)]
    return name


# ---------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------


class Generator:
    def __init__(self, n_models: int, seed: int = DEFAULT_SEED):
        if n_models < 20:
            raise ValueError("n_models must be >= 20")
        self.n = n_models
        self.rng = random.Random(f"{seed}:{n_models}")
        self.raw: list[RawTable] = []
        self.models: list[Model] = []
        self.by_name: dict[str, Model] = {}
        self.by_grain: dict[str, list] = {}
        self.by_key: dict[str, list] = {}
        self.used_names: set = set()

    # -- naming ---------------------------------------------------------
    def _unique(self, name: str) -> str:
        if name not in self.used_names:
            self.used_names.add(name)
            return name
        k = 2
        while f"{name}_{k}" in self.used_names:
            k += 1
        self.used_names.add(f"{name}_{k}")
        return f"{name}_{k}"

    def _register(self, m: Model):
        self.models.append(m)
        self.by_name[m.name] = m
        if m.grain:
            self.by_grain.setdefault(m.grain, []).append(m)
        for c in m.cols:
            if c.kind == "key":
                self.by_key.setdefault(c.name, []).append(m)

    # -- raw tables -------------------------------------------------------
    def gen_raw(self):
        n_raw = max(len(ENTITIES), round(self.n / 10))
        ents = list(ENTITIES)
        counts: dict[tuple, int] = {}
        for i in range(n_raw):
            ent = ents[i % len(ents)] if i < len(ents) else self.rng.choice(ents)
            key, fks, req, opt, systems = ENTITIES[ent]
            system = (
                systems[(i // len(ents)) % len(systems)]
                if i < 2 * len(ents)
                else self.rng.choice(systems)
            )
            k = counts.get((system, ent), 0)
            counts[(system, ent)] = k + 1
            if k == 0:
                tname = ent
            elif k <= len(REGION_SUFFIXES):
                tname = f"{ent}_{REGION_SUFFIXES[k - 1]}"
            else:
                tname = f"{ent}_{k}"
            attrs = list(req) + [a for a in opt if self.rng.random() < 0.7]
            cols = [Col("id", "key", f"Primary key of the {ent} record.", nonnull=True)]
            for fk in fks:
                cols.append(Col(fk, "key", f"Foreign key to {KEY_TO_ENTITY[fk]}.", nonnull=True))
            for a in attrs:
                kind, _gen, desc, pii = COLS[a]
                values = None
                if kind == "enum":
                    values = (
                        tuple(STATUS_BY_ENTITY.get(ent, ENUMS.get(a, ["a", "b"])))
                        if a == "status"
                        else tuple(ENUMS[a])
                    )
                cols.append(Col(a, kind, desc, values=values, pii=pii))
            cols.append(Col("_loaded_at", "ts", COLS["_loaded_at"][2]))
            rows = FK_RANGE + (i * 37) % 200
            self.raw.append(RawTable(system, tname, ent, rows, cols, salt=i, lag_hours=(i % 6) * 5))

    def raw_spec(self) -> dict:
        """JSON-serialisable description of the raw tables for the loader."""
        tables = []
        for t in self.raw:
            exprs = []
            for j, c in enumerate(t.cols):
                exprs.append((c.name, self._raw_expr(t, c, j)))
            tables.append(
                {
                    "schema": f"raw_{t.system}",
                    "name": t.name,
                    "rows": t.rows,
                    "columns": exprs,
                    "lag_hours": t.lag_hours,
                }
            )
        return {"tables": tables}

    @staticmethod
    def _raw_expr(t: RawTable, c: Col, j: int) -> str:
        a = 7 + 2 * ((t.salt * 31 + j * 17) % 97)  # odd multiplier
        b = (t.salt * 131 + j * 71) % 1000
        if c.name == "id":
            return "i"
        if c.kind == "key":
            return f"1 + ((i * {a} + {b}) % {FK_RANGE})"
        gen = COLS[c.name][1]
        g = gen[0]
        if g == "list":
            lst = ", ".join("'" + v.replace("'", "''") + "'" for v in gen[1])
            return f"[{lst}][1 + ((i * {a} + {b}) % {len(gen[1])})]"
        if g == "enum":
            lst = ", ".join(f"'{v}'" for v in c.values)
            return f"[{lst}][1 + ((i * {a} + {b}) % {len(c.values)})]"
        if g == "expr":
            return gen[1]
        if g == "nullable_expr":
            return f"case when i % {gen[2]} = 0 then {gen[1]} else null end"
        if g == "num":
            return f"cast(round(((i * {a} + {b}) % {gen[1]}) / 100.0, 2) as decimal(12, 2))"
        if g == "int":
            lo = gen[2] if len(gen) > 2 else 0
            return f"cast({lo} + ((i * {a} + {b}) % {gen[1]}) as integer)"
        if g == "float":
            return f"round(((i * {a} + {b}) % 1000) / 1000.0 * {gen[1]}, 3)"
        if g == "bool":
            return f"((i * {a} + {b}) % {gen[1]}) <> 0"
        if g == "date":
            return f"date '{gen[2]}' + cast(((i * {a} + {b}) % {gen[1]}) as integer)"
        if g == "ts":
            return (
                "timestamp '2023-01-01 00:00:00' + "
                f"to_seconds(cast((i * {a} * 7919 + {b}) % 63072000 as bigint))"
            )
        if g == "nullable_ts":
            return (
                f"case when i % {gen[1]} = 0 then null else timestamp '2023-02-01 00:00:00' "
                f"+ to_seconds(cast((i * {a} * 6007 + {b}) % 60000000 as bigint)) end"
            )
        if g == "loaded_at":
            # anchored at load time (see load_raw) so that `dbt source freshness`
            # gives a stable mix of pass / warn / error
            return f"__ANCHOR__ - to_seconds(cast({t.lag_hours} * 3600 + i * 60 as bigint))"
        raise ValueError(g)

    # -- staging ----------------------------------------------------------
    def gen_staging(self, n_stg: int):
        by_entity: dict[str, list] = {}
        for t in self.raw:
            by_entity.setdefault(t.entity, []).append(t)
        canon_by_entity: dict[str, Model] = {}
        for j in range(n_stg):
            if j < len(self.raw):
                t = self.raw[j]
                m = self._stg_single(t, variant=None)
                if t.entity not in canon_by_entity:
                    canon_by_entity[t.entity] = m
            else:
                r = self.rng.random()
                t = self.rng.choice(self.raw)
                same = [x for x in by_entity[t.entity] if x is not t]
                parents = [fk for fk in ENTITIES[t.entity][1]]
                if r < 0.18 and same:
                    others = self.rng.sample(same, min(len(same), self.rng.choice([1, 1, 2])))
                    m = self._stg_union([t] + others)
                elif r < 0.36 and parents:
                    m = self._stg_join(t, by_entity)
                else:
                    m = self._stg_single(t, variant=self.rng.choice(STG_VARIANTS))
            self._register(m)
        self.canon_by_entity = canon_by_entity

    def _stg_select_lines(self, cols, src_alias=None, rename_id=True, key=None):
        """Lines of the `renamed` CTE for raw columns; returns (lines, out_cols)."""
        lines, out = [], []
        p = f"{src_alias}." if src_alias else ""
        for c in cols:
            n = c.name
            if n == "id":
                lines.append(f"{p}id as {key}")
                out.append(
                    Col(
                        key, "key", f"Primary key of the {KEY_TO_ENTITY[key]} record.", nonnull=True
                    )
                )
            elif c.kind == "key":
                lines.append(f"{p}{n}")
                out.append(_copy(c))
            elif c.kind == "cents":
                lines.append(f"{{{{ cents_to_dollars('{p}{n}') }}}} as amount")
                out.append(Col("amount", "num", COLS["amount"][2]))
            elif c.kind == "enum":
                lines.append(f"lower({p}{n}) as {n}")
                out.append(_copy(c))
            elif c.kind == "str":
                if n == "email":
                    lines.append(f"lower(trim({p}{n})) as {n}")
                else:
                    lines.append(f"trim({p}{n}) as {n}")
                out.append(_copy(c))
            elif c.kind == "ts":
                if n == "_loaded_at" and self.rng.random() < 0.5:
                    continue
                lines.append(f"cast({p}{n} as timestamp) as {n}")
                out.append(_copy(c))
            elif c.kind == "num":
                lines.append(f"cast({p}{n} as decimal(18, 2)) as {n}")
                out.append(_copy(c))
            elif c.kind == "bool":
                lines.append(f"coalesce({p}{n}, false) as {n}")
                out.append(_copy(c))
            else:
                lines.append(f"{p}{n}")
                out.append(_copy(c))
        return lines, out

    def _stg_derived(self, out_cols, alias=None):
        """A couple of derived columns for staging: returns (lines, cols)."""
        lines, cols = [], []
        p = f"{alias}." if alias else ""
        names = {c.name for c in out_cols}
        enums = [c for c in out_cols if c.kind == "enum"]
        tss = [c for c in out_cols if c.kind == "ts" and c.name != "_loaded_at"]
        if enums and self.rng.random() < 0.6:
            e = self.rng.choice(enums)
            v = e.values[0]
            nm = f"is_{v}"
            if nm not in names and VALID_NAME.match(nm):
                lines.append(f"case when {p}{e.name} = '{v}' then true else false end as {nm}")
                cols.append(Col(nm, "bool", f"True when {e.name} is '{v}'."))
                names.add(nm)
        if tss and self.rng.random() < 0.6:
            t = self.rng.choice(tss)
            nm = f"{_base(t.name)}_date"
            if nm not in names:
                lines.append(f"cast({p}{t.name} as date) as {nm}")
                cols.append(Col(nm, "date", f"Calendar date of {t.name}."))
        return lines, cols

    def _stg_single(self, t: RawTable, variant):
        key = t.key
        if variant is None:
            name = self._unique(f"stg_{t.system}__{t.name}")
        else:
            name = self._unique(f"stg_{t.system}__{t.name}_{variant}")
        lines, out = self._stg_select_lines(t.cols, key=key)
        dl, dc = self._stg_derived(out)
        lines += dl
        out += dc
        names = {c.name for c in out}
        if "source_system" not in names and len(out) < 6:
            lines.append(f"'{t.system}' as source_system")
            out.append(
                Col(
                    "source_system",
                    "enum",
                    "Source system the row was loaded from.",
                    values=(t.system,),
                )
            )
        if len(out) < 5:
            h = f"{_singular(t.entity)}_hash"
            lines.append(f"md5(cast(id as varchar)) as {h}")
            out.append(Col(h, "str", "MD5 of the primary key, for joining to hashed exports."))
        if len(out) < 5 and "_loaded_at" not in names:
            lines.append("cast(_loaded_at as timestamp) as _loaded_at")
            out.append(Col("_loaded_at", "ts", COLS["_loaded_at"][2]))
        grain = key
        ctes = [
            ("source", f"select * from {{{{ source('{t.system}', '{t.name}') }}}}"),
            ("renamed", "select\n" + _indent(",\n".join(lines), 8) + "\n    from source"),
        ]
        final = "select * from renamed"
        tss = [c for c in out if c.kind == "ts" and c.name != "_loaded_at"]
        fks = [c for c in out if c.kind == "key" and c.name != key]
        if variant is not None:
            mode = self.rng.random()
            if mode < 0.4 and fks and tss:
                fk = self.rng.choice(fks)
                ts = self.rng.choice(tss)
                ctes.append(
                    (
                        "ranked",
                        "select\n        *,\n        row_number() over (\n"
                        f"            partition by {fk.name}\n            order by {ts.name} desc\n"
                        "        ) as row_num\n    from renamed",
                    )
                )
                final = "select * exclude (row_num)\nfrom ranked\nwhere row_num = 1"
                grain = fk.name
                for c in out:
                    if c.name == key:
                        c.desc = (
                            "Identifier of the most recent "
                            f"{t.entity[:-1] if t.entity.endswith('s') else t.entity} "
                            f"record per {fk.name}."
                        )
            elif mode < 0.7 and tss:
                ts = self.rng.choice(tss)
                final = f"select * from renamed\nwhere {ts.name} >= timestamp '2023-07-01'"
            else:
                enums = [c for c in out if c.kind == "enum"]
                if enums:
                    e = self.rng.choice(enums)
                    keep = list(e.values[: max(1, len(e.values) - 1)])
                    final = (
                        "select * from renamed\nwhere "
                        + e.name
                        + " in ("
                        + ", ".join(f"'{v}'" for v in keep)
                        + ")"
                    )
                    for c in out:
                        if c.name == e.name:
                            c.values = tuple(keep)
                else:
                    final = "select * from renamed\nwhere " + key + " is not null"
        m = Model(
            name,
            "staging",
            f"staging/{t.system}",
            out,
            grain,
            t.entity,
            canonical=variant is None,
            sources=[(t.system, t.name)],
        )
        m.sql = _render(ctes, final)
        ent_s = t.entity.replace("_", " ")
        m.desc = (
            f"Staged {ent_s} from the {t.system} source table `{t.name}`: "
            "renamed, typed and cleaned."
            if variant is None
            else f"{variant.capitalize()} {ent_s} from `{t.system}.{t.name}`, one row per {grain}."
        )
        return m

    def _stg_union(self, tables):
        t0 = tables[0]
        key = t0.key
        common = [
            c.name
            for c in t0.cols
            if all(any(x.name == c.name for x in t.cols) for t in tables[1:])
        ]
        common = [n for n in common if n != "_loaded_at"]
        name = self._unique(f"stg_{t0.system}__{t0.entity}_unioned")
        ctes, parts = [], []
        for k, t in enumerate(tables):
            alias = f"source_{t.system}_{t.name}"
            ctes.append((alias, f"select * from {{{{ source('{t.system}', '{t.name}') }}}}"))
            sel = []
            for n in common:
                if n == "id":
                    sel.append("id" if k == 0 else f"id + {100000 * k} as id")
                else:
                    sel.append(n)
            sel.append(f"'{t.system}.{t.name}' as source_relation")
            parts.append("select\n" + _indent(",\n".join(sel), 8) + f"\n    from {alias}")
        ctes.append(("unioned", "\n\n    union all\n\n    ".join(parts)))
        raw_cols = [c for c in t0.cols if c.name in common]
        lines, out = self._stg_select_lines(raw_cols, key=key)
        lines.append("source_relation")
        # enum values: union of all tables' values
        for c in out:
            if c.kind == "enum":
                vals = []
                for t in tables:
                    for x in t.cols:
                        if x.name == c.name and x.values:
                            vals += [v for v in x.values if v not in vals]
                c.values = tuple(vals) if vals else c.values
        out.append(
            Col(
                "source_relation",
                "enum",
                "Source table the row was read from.",
                values=tuple(f"{t.system}.{t.name}" for t in tables),
            )
        )
        ctes.append(("renamed", "select\n" + _indent(",\n".join(lines), 8) + "\n    from unioned"))
        m = Model(
            name,
            "staging",
            f"staging/{t0.system}",
            out,
            key,
            t0.entity,
            sources=[(t.system, t.name) for t in tables],
        )
        m.sql = _render(ctes, "select * from renamed")
        m.desc = (
            f"All {t0.entity.replace('_', ' ')} across {len(tables)} regional source tables, "
            "unioned. "
            f"Ids of the secondary tables are offset to stay unique."
        )
        return m

    def _stg_join(self, t: RawTable, by_entity):
        key = t.key
        fks = [c for c in t.cols if c.kind == "key" and c.name != "id"]
        fk = self.rng.choice(fks)
        pent = KEY_TO_ENTITY[fk.name]
        parent = self.rng.choice(by_entity[pent])
        name = self._unique(f"stg_{t.system}__{t.name}_with_{_singular(pent)}")
        lines, out = self._stg_select_lines(t.cols, src_alias="source", key=key)
        names = {c.name for c in out}
        pattrs = [
            c for c in parent.cols if c.kind not in ("key", "cents") and c.name != "_loaded_at"
        ]
        self.rng.shuffle(pattrs)
        for c in pattrs[: self.rng.randint(1, 3)]:
            nm = f"{_singular(pent)}_{c.name}"
            if nm in names:
                continue
            if c.kind == "enum":
                lines.append(f"lower(parent.{c.name}) as {nm}")
            else:
                lines.append(f"parent.{c.name} as {nm}")
            out.append(
                _copy(
                    c,
                    name=nm,
                    desc=f"{c.desc.rstrip('.')} (of the {_singular(pent)}).",
                    nonnull=False,
                )
            )
            names.add(nm)
        ctes = [
            ("source", f"select * from {{{{ source('{t.system}', '{t.name}') }}}}"),
            ("parent", f"select * from {{{{ source('{parent.system}', '{parent.name}') }}}}"),
            (
                "renamed",
                "select\n"
                + _indent(",\n".join(lines), 8)
                + (
                    "\n    from source\n    left join parent\n"
                    f"        on source.{fk.name} = parent.id"
                ),
            ),
        ]
        m = Model(
            name,
            "staging",
            f"staging/{t.system}",
            out,
            key,
            t.entity,
            sources=[(t.system, t.name), (parent.system, parent.name)],
        )
        m.sql = _render(ctes, "select * from renamed")
        m.desc = (
            f"Staged {t.entity.replace('_', ' ')} from `{t.system}.{t.name}` "
            "with a few attributes of the "
            f"{_singular(pent)} looked up from `{parent.system}.{parent.name}`."
        )
        return m

    # -- intermediate / marts --------------------------------------------
    def gen_downstream(self, layer: str, count: int):
        stg = [m for m in self.models if m.layer == "staging"]
        for _ in range(count):
            ints = [m for m in self.models if m.layer == "intermediate"]
            marts = [m for m in self.models if m.layer == "marts"]
            if layer == "intermediate":
                pool = stg if (not ints or self.rng.random() < 0.55) else ints
            else:
                r = self.rng.random()
                pool = ints if r < 0.65 else (stg if r < 0.8 or not marts else marts)
            if not pool:
                pool = stg
            # favour recent models a little so chains get deep
            p = pool[min(len(pool) - 1, int(len(pool) * (self.rng.random() ** 0.7)))]
            r = self.rng.random()
            m = None
            if r < 0.10:
                m = self._ds_union(layer, p)
            elif r < 0.40:
                m = self._ds_aggregate(layer, p)
            elif r < 0.52:
                m = self._ds_latest(layer, p)
            if m is None:
                m = self._ds_enrich(layer, p)
            self._register(m)

    def _upstream_pool(self, layer):
        if layer == "intermediate":
            return lambda m: m.layer in ("staging", "intermediate")
        return lambda m: True

    def _ds_name(self, layer, base, verb, domain):
        if layer == "intermediate":
            return self._unique(f"int_{base}_{verb}")
        prefix = {"enriched": "dim", "latest": "dim", "aggregated": "agg", "unioned": "fct"}.get(
            verb, "fct"
        )
        return self._unique(f"{prefix}_{base}" if prefix == "dim" else f"{prefix}_{base}_{domain}")

    def _folder(self, layer, domain):
        return f"{layer}/{domain}"

    def _cte_name(self, m: Model, taken: set) -> str:
        n = m.name
        for pre in ("stg_", "int_", "fct_", "dim_", "agg_"):
            if n.startswith(pre):
                n = n[len(pre) :]
                break
        if "__" in n:
            n = n.split("__", 1)[1]
        n = re.sub(r"_\d+$", "", n)
        n = n[:40]
        base, k = n, 2
        while n in taken or n in ("final", "source", "renamed", "aggregated", "unioned", "ranked"):
            n = f"{base}_{k}"
            k += 1
        taken.add(n)
        return n

    def _derived(self, alias, cols, names, budget):
        """Derived columns (CASE, date math, window functions). Returns (lines, Cols)."""
        out_lines, out_cols = [], []
        cols = [c for c in cols if not c.derived]
        nums = [c for c in cols if c.kind == "num"]
        enums = [c for c in cols if c.kind == "enum" and c.values]
        tss = [c for c in cols if c.kind in ("ts", "date") and c.name != "_loaded_at"]
        keys = [c for c in cols if c.kind == "key"]
        opts = []
        if nums:
            opts += ["tier", "tier", "running", "lag", "rank"]
        if enums:
            opts += ["flag", "flag"]
        if len([t for t in tss if t.kind == "ts"]) >= 2:
            opts += ["datediff"]
        if tss:
            opts += ["trunc", "seq"]
        if len(nums) >= 2:
            opts += ["net"]
        self.rng.shuffle(opts)
        a = f"{alias}."

        def add(line, col):
            if col.name in names or not VALID_NAME.match(col.name) or len(out_cols) >= budget:
                return
            names.add(col.name)
            col.derived = True
            out_lines.append(line)
            out_cols.append(col)

        for o in opts:
            if len(out_cols) >= budget:
                break
            if o == "tier":
                c = self.rng.choice(nums)
                hi, lo = self.rng.choice([(100, 20), (250, 50), (1000, 100)])
                add(
                    f"case\n    when {a}{c.name} >= {hi} then 'high'\n"
                    f"    when {a}{c.name} >= {lo} then 'medium'\n"
                    f"    when {a}{c.name} is null then 'unknown'\n"
                    f"    else 'low'\nend as {_base(c.name)}_tier",
                    Col(
                        f"{_base(c.name)}_tier",
                        "enum",
                        f"Bucket of {c.name}: high (>= {hi}), medium (>= {lo}), low.",
                        values=("high", "medium", "low", "unknown"),
                    ),
                )
            elif o == "flag":
                e = self.rng.choice(enums)
                vals = list(e.values[: self.rng.randint(1, max(1, len(e.values) - 1))])
                nm = (
                    f"is_{vals[0]}"
                    if len(vals) == 1
                    else f"is_{_base(e.name)}_{vals[0]}_or_{vals[1]}"
                )
                add(
                    f"case when {a}{e.name} in ({', '.join(repr(v) for v in vals)}) "
                    f"then 1 else 0 end as {nm}",
                    Col(nm, "int", f"1 when {e.name} is one of {', '.join(vals)}, else 0."),
                )
            elif o == "datediff":
                t1, t2 = self.rng.sample([t for t in tss if t.kind == "ts"], 2)
                nm = f"{_base(t1.name)}_to_{_base(t2.name)}_days"
                add(
                    f"date_diff('day', {a}{t1.name}, {a}{t2.name}) as {nm}",
                    Col(nm, "int", f"Days between {t1.name} and {t2.name}."),
                )
            elif o == "trunc":
                t = self.rng.choice(tss)
                g = self.rng.choice(["month", "week", "quarter"])
                add(
                    f"cast(date_trunc('{g}', {a}{t.name}) as date) as {_base(t.name)}_{g}",
                    Col(f"{_base(t.name)}_{g}", "date", f"First day of the {g} of {t.name}."),
                )
            elif o == "net":
                n1, n2 = self.rng.sample(nums, 2)
                nm = f"net_{_base(n1.name)}" if n1.name != "amount" else "net_amount"
                add(
                    f"coalesce({a}{n1.name}, 0) - coalesce({a}{n2.name}, 0) as {nm}",
                    Col(nm, "num", f"{n1.name} minus {n2.name}, nulls as zero."),
                )
            elif o in ("running", "lag", "seq") and keys and tss:
                k = self.rng.choice(keys)
                t = self.rng.choice(tss)
                if o == "running" and nums:
                    c = self.rng.choice(nums)
                    add(
                        f"sum({a}{c.name}) over (\n    partition by {a}{k.name}\n"
                        f"    order by {a}{t.name}\n"
                        "    rows between unbounded preceding and current row\n"
                        f") as running_{_base(c.name)}",
                        Col(
                            f"running_{_base(c.name)}",
                            "num",
                            f"Running total of {c.name} per {k.name}, ordered by {t.name}.",
                        ),
                    )
                elif o == "lag" and nums:
                    c = self.rng.choice(nums)
                    add(
                        f"lag({a}{c.name}) over (partition by {a}{k.name} order by {a}{t.name}) "
                        f"as previous_{_base(c.name)}",
                        Col(
                            f"previous_{_base(c.name)}",
                            "num",
                            f"{c.name} of the previous row for the same {k.name}.",
                        ),
                    )
                else:
                    add(
                        f"row_number() over (partition by {a}{k.name} order by {a}{t.name}) "
                        f"as {_prefix(k.name)}_sequence",
                        Col(
                            f"{_prefix(k.name)}_sequence",
                            "int",
                            f"1-based position of the row within its {k.name}, by {t.name}.",
                        ),
                    )
            elif o == "rank":
                c = self.rng.choice(nums)
                add(
                    f"dense_rank() over (order by {a}{c.name} desc nulls last) "
                    f"as {_base(c.name)}_rank",
                    Col(f"{_base(c.name)}_rank", "int", f"Dense rank by {c.name}, highest first."),
                )
        return out_lines, out_cols

    def _pick_cols(self, m: Model, keep_min: int, keep_max: int, must=()):
        cols = [c for c in m.cols]
        must_set = set(must) | ({m.grain} if m.grain else set())
        keep = [c for c in cols if c.name in must_set]
        rest = [c for c in cols if c.name not in must_set]
        self.rng.shuffle(rest)
        n = max(0, min(len(rest), self.rng.randint(keep_min, keep_max) - len(keep)))
        chosen = set(c.name for c in keep) | set(c.name for c in rest[:n])
        return [c for c in cols if c.name in chosen]  # original order

    def _ds_enrich(self, layer, p: Model):
        ok = self._upstream_pool(layer)
        taken: set = set()
        p_cte = self._cte_name(p, taken)
        ctes = [(p_cte, f"select * from {{{{ ref('{p.name}') }}}}")]
        refs = [p.name]
        p_cols = self._pick_cols(p, 4, 16)
        names = {c.name for c in p_cols}
        lines = [f"{p_cte}.{c.name}" for c in p_cols]
        out = [_copy(c) for c in p_cols]
        joins = []
        n_joins = self.rng.choice([0, 1, 1, 2, 2, 3])
        keys = [c.name for c in p.cols if c.kind == "key"]
        self.rng.shuffle(keys)
        for k in keys:
            if len(joins) >= n_joins:
                break
            dims = [
                m for m in self.by_grain.get(k, []) if m is not p and ok(m) and m.name not in refs
            ]
            others = [
                m
                for m in self.by_key.get(k, [])
                if m is not p and ok(m) and m.name not in refs and m.grain != k and m.col(k).nonnull
            ]
            use_dim = dims and (not others or self.rng.random() < 0.6)
            if use_dim:
                u = self.rng.choice(dims[-60:])
                u_cte = self._cte_name(u, taken)
                ctes.append((u_cte, f"select * from {{{{ ref('{u.name}') }}}}"))
                cands = [
                    c for c in u.cols if c.name != k and c.kind != "key" and c.name != "_loaded_at"
                ]
                self.rng.shuffle(cands)
                for c in cands[: self.rng.randint(2, 6)]:
                    nm = c.name if c.name not in names else f"{_prefix(k)}_{c.name}"
                    if nm in names or len(out) >= 26:
                        continue
                    names.add(nm)
                    lines.append(f"{u_cte}.{c.name}" + ("" if nm == c.name else f" as {nm}"))
                    out.append(_copy(c, name=nm, nonnull=False))
                joins.append(f"left join {u_cte}\n        on {p_cte}.{k} = {u_cte}.{k}")
            elif others:
                u = self.rng.choice(others[-80:])
                u_cte = self._cte_name(u, taken) + "_agg"
                short = re.sub(r"_agg$", "", u_cte)
                agg_lines = [k, "count(*) as " + f"{short}_count"]
                agg_cols = [
                    Col(
                        f"{short}_count",
                        "int",
                        f"Number of {short.replace('_', ' ')} rows per {k}.",
                    )
                ]
                unums = [c for c in u.cols if c.kind == "num"]
                uts = [c for c in u.cols if c.kind == "ts" and c.name != "_loaded_at"]
                if unums:
                    c = self.rng.choice(unums)
                    agg_lines.append(f"sum({c.name}) as {short}_total_{_base(c.name)}")
                    agg_cols.append(
                        Col(
                            f"{short}_total_{_base(c.name)}",
                            "num",
                            f"Sum of {c.name} over {short.replace('_', ' ')} per {k}.",
                        )
                    )
                if uts:
                    c = self.rng.choice(uts)
                    agg_lines.append(f"max({c.name}) as {short}_last_{c.name}")
                    agg_cols.append(
                        Col(
                            f"{short}_last_{c.name}",
                            "ts",
                            f"Latest {c.name} over {short.replace('_', ' ')} per {k}.",
                        )
                    )
                ctes.append(
                    (
                        u_cte,
                        "select\n"
                        + _indent(",\n".join(agg_lines), 8)
                        + f"\n    from {{{{ ref('{u.name}') }}}}\n    group by {k}",
                    )
                )
                for c in agg_cols:
                    if c.name in names or not VALID_NAME.match(c.name) or len(out) >= 27:
                        continue
                    names.add(c.name)
                    lines.append(f"{u_cte}.{c.name}")
                    out.append(c)
                joins.append(f"left join {u_cte}\n        on {p_cte}.{k} = {u_cte}.{k}")
            else:
                continue
            refs.append(u.name)
        budget = max(0, min(6, 30 - len(out)))
        dl, dc = self._derived(
            p_cte, [c for c in out if c.name in {x.name for x in p_cols}], names, budget
        )
        if len(out) + len(dc) < 5:
            dl2, dc2 = self._derived(p_cte, p_cols, names, 5)
            dl += dl2
            dc += dc2
        lines += dl
        out += dc
        body = "select\n" + _indent(",\n".join(lines), 8) + f"\n    from {p_cte}"
        for j in joins:
            body += "\n    " + j
        ctes.append(("final", body))
        domain = self.rng.choice(DOMAINS)
        verb = (
            "enriched" if joins else self.rng.choice(["scored", "windowed", "prepared", "cleaned"])
        )
        base = p.entity or "records"
        m = Model(
            self._ds_name(layer, base if layer == "marts" else f"{domain}__{base}", verb, domain),
            layer,
            self._folder(layer, domain),
            out,
            p.grain,
            p.entity,
            refs=refs,
        )
        m.sql = _render(ctes, "select * from final")
        m.desc = (
            f"{(p.entity or 'Records').replace('_', ' ').capitalize()} from `{p.name}`"
            + (f" joined with {', '.join('`' + r + '`' for r in refs[1:])}" if refs[1:] else "")
            + (f", one row per {p.grain}." if p.grain else ".")
            + " Adds derived tiers, flags and window metrics."
        )
        return m

    def _ds_aggregate(self, layer, p: Model):
        ok = self._upstream_pool(layer)
        gkeys = [c for c in p.cols if c.kind == "key" and c.nonnull and c.name != p.grain]
        if not gkeys:
            return None
        g = self.rng.choice(gkeys)
        taken: set = set()
        p_cte = self._cte_name(p, taken)
        ctes = [(p_cte, f"select * from {{{{ ref('{p.name}') }}}}")]
        refs = [p.name]
        unit = (p.entity or "row").replace("_", " ")
        short = _singular(p.entity) if p.entity else "row"
        agg = [f"{g.name}", f"count(*) as {short}_count"]
        out = [
            _copy(g, desc=f"Grouping key: {g.desc or g.name}", nonnull=True),
            Col(f"{short}_count", "int", f"Number of {unit} per {g.name}."),
        ]
        names = {c.name for c in out}
        for c in p.cols:
            if len(out) >= 18:
                break
            if c.name in (g.name,):
                continue
            if c.kind == "num" and self.rng.random() < 0.8:
                for fn in self.rng.sample(["sum", "avg", "max"], self.rng.randint(1, 2)):
                    nm = f"{'total' if fn == 'sum' else fn}_{_base(c.name)}"
                    if nm in names:
                        continue
                    expr = f"round(avg({c.name}), 2)" if fn == "avg" else f"{fn}({c.name})"
                    agg.append(f"{expr} as {nm}")
                    out.append(
                        Col(
                            nm,
                            "num",
                            f"{'Sum' if fn == 'sum' else fn.capitalize()} "
                            f"of {c.name} per {g.name}.",
                        )
                    )
                    names.add(nm)
            elif c.kind in ("ts", "date") and c.name != "_loaded_at" and self.rng.random() < 0.6:
                for fn in ("min", "max"):
                    nm = f"{'first' if fn == 'min' else 'last'}_{c.name}"
                    if nm in names:
                        continue
                    agg.append(f"{fn}({c.name}) as {nm}")
                    out.append(
                        Col(
                            nm,
                            c.kind,
                            f"{'Earliest' if fn == 'min' else 'Latest'} {c.name} per {g.name}.",
                        )
                    )
                    names.add(nm)
            elif c.kind == "key" and c.name != p.grain and self.rng.random() < 0.4:
                nm = f"distinct_{_base(c.name)}_count"
                if nm not in names:
                    agg.append(f"count(distinct {c.name}) as {nm}")
                    out.append(Col(nm, "int", f"Number of distinct {c.name} per {g.name}."))
                    names.add(nm)
            elif c.kind == "enum" and c.values and self.rng.random() < 0.5:
                v = c.values[0]
                nm = f"{v}_{short}_count"
                if nm not in names and VALID_NAME.match(nm):
                    agg.append(f"sum(case when {c.name} = '{v}' then 1 else 0 end) as {nm}")
                    out.append(
                        Col(nm, "int", f"Number of {unit} with {c.name} = '{v}' per {g.name}.")
                    )
                    names.add(nm)
        if len(out) < 4 and p.grain:
            nm = f"distinct_{_base(p.grain)}_count"
            if nm not in names:
                agg.append(f"count(distinct {p.grain}) as {nm}")
                out.append(Col(nm, "int", f"Number of distinct {p.grain} per {g.name}."))
                names.add(nm)
        where = ""
        enums = [c for c in p.cols if c.kind == "enum" and c.values and len(c.values) > 2]
        if enums and self.rng.random() < 0.3:
            e = self.rng.choice(enums)
            where = f"\n    where {e.name} <> '{e.values[-1]}'"
        ctes.append(
            (
                "aggregated",
                "select\n"
                + _indent(",\n".join(agg), 8)
                + f"\n    from {p_cte}{where}\n    group by {g.name}",
            )
        )
        final_lines = [f"aggregated.{c.name}" for c in out]
        agg_names = {c.name for c in out}
        joins = []
        dims = [m for m in self.by_grain.get(g.name, []) if ok(m) and m is not p]
        if dims and self.rng.random() < 0.6:
            u = self.rng.choice(dims[-60:])
            u_cte = self._cte_name(u, taken)
            ctes.append((u_cte, f"select * from {{{{ ref('{u.name}') }}}}"))
            cands = [c for c in u.cols if c.kind not in ("key",) and c.name != "_loaded_at"]
            self.rng.shuffle(cands)
            for c in cands[: self.rng.randint(1, 5)]:
                nm = c.name if c.name not in names else f"{_prefix(g.name)}_{c.name}"
                if nm in names:
                    continue
                names.add(nm)
                final_lines.append(f"{u_cte}.{c.name}" + ("" if nm == c.name else f" as {nm}"))
                out.append(_copy(c, name=nm, nonnull=False))
            joins.append(f"left join {u_cte}\n        on aggregated.{g.name} = {u_cte}.{g.name}")
            refs.append(u.name)
        tot = [c for c in out if c.name.startswith("total_") and c.name in agg_names]
        if tot and self.rng.random() < 0.7:
            c = self.rng.choice(tot)
            nm = f"{_base(c.name)}_rank"
            if nm not in names:
                final_lines.append(
                    f"rank() over (order by aggregated.{c.name} desc nulls last) as {nm}"
                )
                out.append(Col(nm, "int", f"Rank of the {g.name} by {c.name}, highest first."))
                names.add(nm)
            share = f"{_base(c.name)}_share"
            if share not in names:
                final_lines.append(
                    f"aggregated.{c.name} / nullif(sum(aggregated.{c.name}) over (), 0) as {share}"
                )
                out.append(
                    Col(share, "num", f"Share of all {c.name} that this {g.name} accounts for.")
                )
                names.add(share)
        body = "select\n" + _indent(",\n".join(final_lines), 8) + "\n    from aggregated"
        for j in joins:
            body += "\n    " + j
        ctes.append(("final", body))
        domain = self.rng.choice(DOMAINS)
        gent = KEY_TO_ENTITY.get(g.name, "records")
        base = f"{_singular(p.entity or 'row')}_by_{_singular(gent)}"
        m = Model(
            self._ds_name(
                layer, base if layer == "marts" else f"{domain}__{base}", "aggregated", domain
            ),
            layer,
            self._folder(layer, domain),
            out,
            g.name,
            gent,
            refs=refs,
        )
        m.sql = _render(ctes, "select * from final")
        m.desc = f"{unit.capitalize()} from `{p.name}` aggregated to one row per {g.name}."
        return m

    def _ds_latest(self, layer, p: Model):
        keys = [c for c in p.cols if c.kind == "key" and c.nonnull and c.name != p.grain]
        tss = [c for c in p.cols if c.kind in ("ts", "date") and c.name != "_loaded_at"]
        if not keys or not tss:
            return None
        k = self.rng.choice(keys)
        t = self.rng.choice(tss)
        taken: set = set()
        p_cte = self._cte_name(p, taken)
        cols = self._pick_cols(p, 5, 20, must=(k.name, t.name))
        names = {c.name for c in cols}
        lines = [f"{p_cte}.{c.name}" for c in cols]
        out = [_copy(c) for c in cols]
        rr = "recency_rank" if "recency_rank" not in names else f"{_prefix(k.name)}_recency_rank"
        while rr in names:
            rr = "latest_" + rr
        lines.append(
            f"row_number() over (\n    partition by {p_cte}.{k.name}\n"
            f"    order by {p_cte}.{t.name} desc\n) as {rr}"
        )
        out.append(Col(rr, "int", f"1 for the most recent row per {k.name} by {t.name}."))
        names.add(rr)
        cnt = f"{_singular(p.entity or 'row')}_count_per_{_base(k.name)}"
        if cnt not in names:
            lines.append(f"count(*) over (partition by {p_cte}.{k.name}) as {cnt}")
            out.append(Col(cnt, "int", f"Number of rows sharing the same {k.name}."))
            names.add(cnt)
        dl, dc = self._derived(p_cte, cols, names, 3)
        lines += dl
        out += dc
        ctes = [
            (p_cte, f"select * from {{{{ ref('{p.name}') }}}}"),
            ("ranked", "select\n" + _indent(",\n".join(lines), 8) + f"\n    from {p_cte}"),
        ]
        final_cols = [c.name for c in out]
        final = "select\n" + _indent(",\n".join(final_cols), 4) + f"\nfrom ranked\nwhere {rr} = 1"
        for c in out:
            if c.name == k.name:
                c.nonnull = True
        domain = self.rng.choice(DOMAINS)
        base = (
            f"latest_{_singular(p.entity or 'row')}"
            f"_per_{_singular(KEY_TO_ENTITY.get(k.name, 'key'))}"
        )
        m = Model(
            self._ds_name(
                layer, base if layer == "marts" else f"{domain}__{base}", "latest", domain
            ),
            layer,
            self._folder(layer, domain),
            out,
            k.name,
            KEY_TO_ENTITY.get(k.name),
            refs=[p.name],
        )
        m.sql = _render(ctes, final)
        m.desc = (
            f"Most recent {(p.entity or 'row').replace('_', ' ')} per {k.name} "
            f"(by {t.name}) from `{p.name}`."
        )
        return m

    def _ds_union(self, layer, p: Model):
        ok = self._upstream_pool(layer)
        if not p.grain:
            return None
        cands = [m for m in self.by_grain.get(p.grain, []) if m is not p and ok(m)]
        cands = [m for m in cands if len(set(m.names()) & set(p.names())) >= 4]
        if not cands:
            return None
        others = self.rng.sample(cands, min(len(cands), self.rng.choice([1, 1, 2])))
        ups = [p] + others
        common = [n for n in p.names() if all(u.col(n) is not None for u in others)]
        # type compatibility: same kind everywhere
        common = [n for n in common if len({u.col(n).kind for u in ups}) == 1][:24]
        taken: set = set()
        ctes, parts = [], []
        for u in ups:
            cte = self._cte_name(u, taken)
            ctes.append((cte, f"select * from {{{{ ref('{u.name}') }}}}"))
            parts.append(
                "select\n"
                + _indent(",\n".join([f"'{u.name}' as source_model"] + common), 8)
                + f"\n    from {cte}"
            )
        ctes.append(("unioned", "\n\n    union all\n\n    ".join(parts)))
        out = [
            Col(
                "source_model",
                "enum",
                "Name of the upstream model the row came from.",
                values=tuple(u.name for u in ups),
                nonnull=True,
            )
        ]
        for n in common:
            c = _copy(p.col(n))
            c.nonnull = all(u.col(n).nonnull for u in ups)
            if c.kind == "enum":
                vals = []
                for u in ups:
                    vals += [v for v in (u.col(n).values or ()) if v not in vals]
                c.values = tuple(vals) if all(u.col(n).values for u in ups) else None
            out.append(c)
        domain = self.rng.choice(DOMAINS)
        base = p.entity or "records"
        m = Model(
            self._ds_name(
                layer, base if layer == "marts" else f"{domain}__{base}", "unioned", domain
            ),
            layer,
            self._folder(layer, domain),
            out,
            None,
            p.entity,
            refs=[u.name for u in ups],
        )
        m.sql = _render(ctes, "select * from unioned")
        m.desc = (
            f"Union of {len(ups)} {base.replace('_', ' ')} models "
            f"({', '.join('`' + u.name + '`' for u in ups)}); `source_model` tells them apart."
        )
        return m

    # -- whole project ----------------------------------------------------
    def generate(self):
        n = self.n
        n_stg = round(n * 0.40)
        n_int = round(n * 0.35)
        n_mart = n - n_stg - n_int - 1  # one more: the time spine
        self.gen_raw()
        self.gen_staging(n_stg)
        self.gen_downstream("intermediate", n_int)
        self.gen_downstream("marts", n_mart)
        for m in self.models:
            if m.layer == "staging":
                m.materialized = "view"
            else:
                m.materialized = "table"
        ts = Model(
            "metricflow_time_spine",
            "marts",
            "marts/utilities",
            [Col("date_day", "date", "One row per calendar day.", nonnull=True)],
            "date_day",
            None,
        )
        ts.sql = (
            "{{ config(materialized='table') }}\n\nselect cast(range as date) as date_day\n"
            "from range(date '2022-01-01', date '2027-01-01', interval 1 day)\n"
        )
        ts.desc = "Time spine for MetricFlow: one row per day from 2022 to 2026."
        ts.materialized = "table"
        self._register(ts)
        self.used_names.add(ts.name)
        return self

    # -- writing ------------------------------------------------------------
    def write(self, project_dir: Path, db_path: Path):
        rng = random.Random(f"yaml:{self.n}")
        if project_dir.exists():
            shutil.rmtree(project_dir)
        (project_dir / "models").mkdir(parents=True)
        (project_dir / "macros").mkdir()
        (project_dir / "seeds").mkdir()
        _w(project_dir / "dbt_project.yml", _dbt_project_yml())
        _w(project_dir / "profiles.yml", _profiles_yml(db_path))
        _w(
            project_dir / "macros" / "cents_to_dollars.sql",
            "{% macro cents_to_dollars(column_name, scale=2) -%}\n"
            "    round(cast({{ column_name }} as decimal(18, 2)) / 100, {{ scale }})\n"
            "{%- endmacro %}\n",
        )
        _w(
            project_dir / "macros" / "generate_schema_name.sql",
            "{% macro generate_schema_name(custom_schema_name, node) -%}\n"
            "    {%- if custom_schema_name is none -%}{{ target.schema }}\n"
            "    {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}\n{%- endmacro %}\n",
        )
        _w(
            project_dir / "seeds" / "country_codes.csv",
            "country_code,country_name,region\n"
            + "\n".join(
                f"{c},{n},{r}"
                for c, n, r in [
                    ("US", "United States", "amer"),
                    ("DE", "Germany", "emea"),
                    ("FR", "France", "emea"),
                    ("GB", "United Kingdom", "emea"),
                    ("JP", "Japan", "apac"),
                    ("BR", "Brazil", "amer"),
                    ("IN", "India", "apac"),
                    ("CA", "Canada", "amer"),
                    ("AU", "Australia", "apac"),
                    ("ES", "Spain", "emea"),
                    ("NG", "Nigeria", "emea"),
                    ("KR", "South Korea", "apac"),
                ]
            )
            + "\n",
        )
        _w(
            project_dir / "seeds" / "_seeds.yml",
            "seeds:\n  - name: country_codes\n"
            "    description: ISO country codes with the sales region they roll up to.\n"
            "    config:\n      schema: seeds\n    columns:\n      - name: country_code\n"
            "        description: ISO 3166-1 alpha-2 code.\n"
            "        data_tests: [unique, not_null]\n      - name: country_name\n"
            "        description: English short name.\n"
            "      - name: region\n        description: Sales region.\n",
        )
        _w(project_dir / "models" / "docs.md", _DOCS_MD)
        # sources
        by_system: dict[str, list] = {}
        for t in self.raw:
            by_system.setdefault(t.system, []).append(t)
        for system, tables in by_system.items():
            _w(
                project_dir / "models" / "staging" / system / f"_{system}__sources.yml",
                self._sources_yml(system, tables, rng),
            )
        # models
        by_folder: dict[str, list] = {}
        for m in self.models:
            by_folder.setdefault(m.folder, []).append(m)
            _w(project_dir / "models" / m.folder / f"{m.name}.sql", m.sql)
        for folder, ms in by_folder.items():
            leaf = folder.split("/")[-1]
            _w(project_dir / "models" / folder / f"_{leaf}__models.yml", self._models_yml(ms, rng))
        # exposures, semantic models, metrics
        _w(project_dir / "models" / "marts" / "_exposures.yml", self._exposures_yml(rng))
        _w(project_dir / "models" / "marts" / "_semantic_models.yml", self._semantic_yml(rng))

    def _sources_yml(self, system, tables, rng):
        desc, loader = SYSTEMS[system]
        lines = [
            "sources:",
            f"  - name: {system}",
            f"    description: {_q(desc)}",
            f"    schema: raw_{system}",
            f"    loader: {loader}",
            "    config:",
            "      loaded_at_field: _loaded_at",
        ]
        if rng.random() < 0.8:
            lines += [
                "      freshness:",
                "        warn_after: {count: 12, period: hour}",
                "        error_after: {count: 24, period: hour}",
            ]
        lines.append("    tables:")
        for t in tables:
            lines += [
                f"      - name: {t.name}",
                "        description: "
                + _q(
                    f"Raw {t.entity.replace(chr(95), chr(32))} as landed by {loader} from {system}."
                ),
            ]
            if rng.random() < 0.3:
                lines += [
                    "        config:",
                    f"          meta: {{owner: '{rng.choice(TEAMS)}', "
                    f"contains_pii: {str(any(c.pii for c in t.cols)).lower()}}}",
                ]
            lines.append("        columns:")
            test_id = rng.random() < 0.3
            for c in t.cols:
                if c.name != "id" and rng.random() < 0.35:
                    continue
                lines.append(f"          - name: {c.name}")
                if c.desc:
                    lines.append(f"            description: {_q(c.desc)}")
                if c.pii:
                    lines.append(
                        "            config:\n"
                        f"              meta: {{pii: true, pii_category: {c.pii}}}"
                    )
                if c.name == "id" and test_id:
                    lines.append("            data_tests: [unique, not_null]")
        return "\n".join(lines) + "\n"

    def _models_yml(self, ms, rng):
        lines = ["models:"]
        for m in ms:
            lines.append(f"  - name: {m.name}")
            lines.append(f"    description: {_q(m.desc)}")
            if m.name == "metricflow_time_spine":
                lines += [
                    "    time_spine:",
                    "      standard_granularity_column: date_day",
                    "    columns:",
                    "      - name: date_day",
                    "        description: Calendar day.",
                    "        granularity: day",
                    "        data_tests: [unique, not_null]",
                ]
                continue
            cfg = []
            if rng.random() < 0.3 or m.layer == "marts" and rng.random() < 0.5:
                cfg.append(
                    f"meta: {{owner: '{rng.choice(TEAMS)}', "
                    f"tier: {rng.choice(['gold', 'silver', 'bronze'])}}}"
                )
            if rng.random() < 0.25:
                cfg.append(
                    f"tags: [{rng.choice(DOMAINS)}{', nightly' if rng.random() < 0.5 else ''}]"
                )
            if cfg:
                lines.append("    config:")
                lines += [f"      {x}" for x in cfg]
            lines.append("    columns:")
            pk_tests = m.grain is not None and rng.random() < 0.88
            extra = rng.random()
            acc_col = None
            rel = None
            if extra < 0.10:
                enums = [c for c in m.cols if c.kind == "enum" and c.values]
                acc_col = rng.choice(enums).name if enums else None
            elif extra < 0.16 and m.layer == "staging":
                fks = [
                    c
                    for c in m.cols
                    if c.kind == "key"
                    and c.name != m.grain
                    and c.nonnull
                    and KEY_TO_ENTITY.get(c.name) != m.entity
                    and KEY_TO_ENTITY.get(c.name) in self.canon_by_entity
                ]
                if fks:
                    c = rng.choice(fks)
                    rel = (c.name, self.canon_by_entity[KEY_TO_ENTITY[c.name]].name)
            if m.grain is None:
                nn = [c for c in m.cols if c.nonnull and c.name != "source_model"]
                if nn:
                    rel = None
                    acc_col = acc_col or "source_model"
            for c in m.cols:
                documented = c.desc and rng.random() < 0.85
                tests = []
                if c.name == m.grain and pk_tests:
                    tests = ["unique", "not_null"]
                if m.grain is None and c.name == "source_model":
                    tests = ["not_null"]
                if c.name == acc_col and c.values:
                    tests.append(
                        "accepted_values:\n                arguments:\n                  values: ["
                        + ", ".join(f"'{v}'" for v in c.values)
                        + "]"
                    )
                if rel and c.name == rel[0]:
                    tests.append(
                        "relationships:\n                arguments:\n"
                        f"                  to: ref('{rel[1]}')\n"
                        f"                  field: {c.name}"
                    )
                if not documented and not tests and not c.pii and rng.random() < 0.5:
                    continue
                lines.append(f"      - name: {c.name}")
                if documented:
                    d = c.desc
                    if c.name in _DOC_BLOCKS and rng.random() < 0.5:
                        lines.append(f"        description: '{{{{ doc(\"{c.name}\") }}}}'")
                    else:
                        lines.append(f"        description: {_q(d)}")
                if c.pii and rng.random() < (0.8 if m.layer == "staging" else 0.25):
                    lines.append(
                        "        config:\n"
                        f"          meta: {{pii: true, pii_category: {c.pii}}}\n"
                        "          tags: [pii]"
                    )
                if tests:
                    lines.append("        data_tests:")
                    for tst in tests:
                        lines.append(f"          - {tst}")
        return "\n".join(lines) + "\n"

    def _exposures_yml(self, rng):
        marts = [m for m in self.models if m.layer == "marts" and m.name != "metricflow_time_spine"]
        n = max(1, round(self.n / 100))
        kinds = [
            ("dashboard", "Dashboard"),
            ("notebook", "Notebook"),
            ("analysis", "Analysis"),
            ("application", "App"),
            ("ml", "Model"),
        ]
        topics = [
            "revenue",
            "retention",
            "funnel",
            "inventory",
            "support_sla",
            "pipeline",
            "marketing_roi",
            "fulfilment",
            "churn",
            "unit_economics",
        ]
        lines = ["exposures:"]
        for i in range(n):
            typ, lab = kinds[i % len(kinds)]
            topic = topics[i % len(topics)]
            name = f"{topic}_{typ}_{i + 1}"
            deps = rng.sample(marts, min(len(marts), rng.randint(1, 5)))
            lines += [
                f"  - name: {name}",
                f"    label: {_q(topic.replace('_', ' ').title() + ' ' + lab + ' ' + str(i + 1))}",
                f"    type: {typ}",
                f"    maturity: {rng.choice(['high', 'medium', 'low'])}",
                f"    url: https://bi.example.com/{typ}s/{i + 1}",
                "    description: "
                + _q(
                    f"{topic.replace(chr(95), chr(32)).capitalize()} {typ} "
                    f"used by the {rng.choice(DOMAINS)} team."
                ),
                "    depends_on:",
            ]
            lines += [f"      - ref('{d.name}')" for d in deps]
            team = rng.choice(TEAMS)[1:]
            lines += [
                "    owner:",
                f"      name: {_q(team.replace('-', ' ').title())}",
                f"      email: {team}@example.com",
            ]
        return "\n".join(lines) + "\n"

    def _semantic_yml(self, rng):
        n = max(1, round(self.n / 100))
        cands = [
            m
            for m in self.models
            if m.layer == "marts"
            and m.grain
            and m.name != "metricflow_time_spine"
            and any(c.kind in ("ts", "date") and not c.name.startswith("_") for c in m.cols)
            and any(c.kind in ("num", "int") for c in m.cols)
        ]
        rng.shuffle(cands)
        chosen = cands[:n]
        sm_lines = ["semantic_models:"]
        measures = []  # (measure_name, label)
        used_primary: dict[str, int] = {}
        used_sm: set = set()
        for m in chosen:
            smn = re.sub(r"_+", "_", f"sm_{m.name}")[:60].rstrip("_")
            while smn in used_sm:
                smn = smn[:56] + f"_{len(used_sm)}"
            used_sm.add(smn)
            tcol = [c for c in m.cols if c.kind in ("ts", "date") and not c.name.startswith("_")][0]
            ent = m.grain[:-3] if m.grain.endswith("_id") else m.grain
            # MetricFlow: (primary entity, dimension) pairs must be unique across semantic models
            used_primary[ent] = used_primary.get(ent, 0) + 1
            if used_primary[ent] > 1:
                ent = f"{ent}_{used_primary[ent]}"
            sm_lines += [
                f"  - name: {smn}",
                f"    description: {_q('Semantic model over ' + m.name + '.')}",
                f"    model: ref('{m.name}')",
                "    defaults:",
                f"      agg_time_dimension: {tcol.name}",
                "    entities:",
                f"      - name: {ent}",
                "        type: primary",
                f"        expr: {m.grain}",
            ]
            for c in m.cols:
                if c.kind == "key" and c.name != m.grain and c.name.endswith("_id"):
                    sm_lines += [
                        f"      - name: {c.name[:-3]}",
                        "        type: foreign",
                        f"        expr: {c.name}",
                    ]
            sm_lines.append("    dimensions:")
            for c in m.cols:
                if c.name.startswith("_"):
                    continue
                if c.kind in ("ts", "date"):
                    sm_lines += [
                        f"      - name: {c.name}",
                        "        type: time",
                        "        type_params:",
                        "          time_granularity: day",
                    ]
                elif c.kind in ("enum", "bool"):
                    sm_lines += [f"      - name: {c.name}", "        type: categorical"]
            sm_lines.append("    measures:")
            cnt = f"{smn}_count"
            sm_lines += [f"      - name: {cnt}", "        agg: count", f"        expr: {m.grain}"]
            measures.append((cnt, f"{m.name} count"))
            for c in [c for c in m.cols if c.kind in ("num", "int") and c.name != m.grain][:4]:
                agg = "sum" if c.kind == "num" else rng.choice(["sum", "average", "max"])
                mn = re.sub(r"_+", "_", f"{smn}_{agg}_{c.name}").rstrip("_")
                sm_lines += [
                    f"      - name: {mn}",
                    f"        agg: {agg}",
                    f"        expr: {c.name}",
                ]
                measures.append((mn, f"{agg} of {c.name} ({m.name})"))
        # metrics: simple first, then ratio / derived / cumulative over them
        mt = ["metrics:"]
        n_metrics = max(3, n)
        simple = []
        rng.shuffle(measures)
        n_simple = max(2, round(n_metrics * 0.5))
        for i, (meas, label) in enumerate(measures[:n_simple]):
            name = re.sub(r"_+", "_", f"metric_{i + 1}_{meas[3:]}")[:80].rstrip("_")
            mt += [
                f"  - name: {name}",
                f"    label: {_q(label.capitalize())}",
                f"    description: {_q('Simple metric: ' + label + '.')}",
                "    type: simple",
                "    type_params:",
                f"      measure: {meas}",
            ]
            simple.append(name)
        k = len(simple)
        for i in range(n_metrics - len(simple)):
            kind = ["ratio", "derived", "cumulative", "ratio", "derived"][i % 5]
            idx = k + i + 1
            if kind == "ratio" and len(simple) >= 2:
                a, b = rng.sample(simple, 2)
                mt += [
                    f"  - name: ratio_metric_{idx}",
                    f"    label: {_q(f'Ratio {idx}')}",
                    f"    description: {_q(f'{a} divided by {b}.')}",
                    "    type: ratio",
                    "    type_params:",
                    f"      numerator: {a}",
                    f"      denominator: {b}",
                ]
            elif kind == "derived" and len(simple) >= 2:
                a, b = rng.sample(simple, 2)
                mt += [
                    f"  - name: derived_metric_{idx}",
                    f"    label: {_q(f'Derived {idx}')}",
                    f"    description: {_q(f'{a} minus {b}.')}",
                    "    type: derived",
                    "    type_params:",
                    "      expr: metric_a - metric_b",
                    "      metrics:",
                    f"        - name: {a}",
                    "          alias: metric_a",
                    f"        - name: {b}",
                    "          alias: metric_b",
                ]
            else:
                meas = rng.choice(measures)[0]
                mt += [
                    f"  - name: cumulative_metric_{idx}",
                    f"    label: {_q(f'Cumulative {idx}')}",
                    f"    description: {_q(f'Trailing 7-day {meas}.')}",
                    "    type: cumulative",
                    "    type_params:",
                    f"      measure: {meas}",
                    "      cumulative_type_params:",
                    "        window: 7 days",
                ]
        return "\n".join(sm_lines) + "\n\n" + "\n".join(mt) + "\n"

    def stats(self) -> dict:
        layers: dict[str, int] = {}
        for m in self.models:
            layers[m.layer] = layers.get(m.layer, 0) + 1
        loc = [m.sql.count("\n") + 1 for m in self.models]
        ncols = [len(m.cols) for m in self.models]
        ups = [len(m.refs) + len(m.sources) for m in self.models if m.layer != "marts" or m.refs]
        return {
            "models": len(self.models),
            "raw_tables": len(self.raw),
            "layers": layers,
            "sql_lines_mean": round(sum(loc) / len(loc), 1),
            "cols_min": min(ncols),
            "cols_max": max(ncols),
            "cols_mean": round(sum(ncols) / len(ncols), 1),
            "upstreams_mean": round(sum(ups) / max(1, len(ups)), 2),
        }


_DOC_BLOCKS = {
    "customer_id": (
        "Identifier of the customer. Stable across systems: CRM and storefront share it."
    ),
    "order_id": "Identifier of the order, as issued by the storefront at checkout.",
    "created_at": "When the record was created in the source system, in UTC.",
    "status": "Lifecycle status as reported by the source system, lower-cased.",
    "amount": "Monetary amount in the record's currency, two decimals.",
}
_DOCS_MD = "".join(f"{{% docs {k} %}}\n{v}\n{{% enddocs %}}\n\n" for k, v in _DOC_BLOCKS.items())


def _prefix(key: str) -> str:
    return key[:-3] if key.endswith("_id") else key


def _singular(ent: str) -> str:
    if ent.endswith("ies"):
        return ent[:-3] + "y"
    if ent.endswith("s"):
        return ent[:-1]
    return ent


def _indent(s: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line if line else line for line in s.split("\n"))


def _render(ctes, final: str) -> str:
    parts = []
    for name, body in ctes:
        parts.append(f"{name} as (\n    {body}\n)")
    return "with " + ",\n\n".join(parts) + "\n\n" + final + "\n"


def _q(s: str) -> str:
    return json.dumps(s)


def _w(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _dbt_project_yml() -> str:
    return f"""name: {PROJECT_NAME}
version: '1.0.0'
config-version: 2
profile: {PROJECT_NAME}

model-paths: ["models"]
seed-paths: ["seeds"]
macro-paths: ["macros"]
target-path: target
clean-targets: [target, dbt_packages]

flags:
  send_anonymous_usage_stats: false

models:
  {PROJECT_NAME}:
    staging:
      +materialized: view
      +schema: staging
    intermediate:
      +materialized: table
      +schema: intermediate
    marts:
      +materialized: table
      +schema: marts
"""


def _profiles_yml(db_path: Path) -> str:
    return f"""{PROJECT_NAME}:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{db_path}"
      schema: main
      threads: 2
"""


# ---------------------------------------------------------------------------
# Raw data loader (runs inside the dbt venv, where duckdb is installed)
# ---------------------------------------------------------------------------


def load_raw(spec_path: Path, db_path: Path):
    import duckdb  # noqa: PLC0415 - only available in the dbt venv

    spec = json.loads(Path(spec_path).read_text())
    anchor = _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)
    anchor_sql = f"timestamp '{anchor.isoformat(sep=' ')}'"
    if db_path.exists():
        db_path.unlink()
    con = duckdb.connect(str(db_path))
    schemas = sorted({t["schema"] for t in spec["tables"]})
    for s in schemas:
        con.execute(f"create schema if not exists {s}")
    for t in spec["tables"]:
        sel = ",\n  ".join(
            f"{expr.replace('__ANCHOR__', anchor_sql)} as {name}" for name, expr in t["columns"]
        )
        con.execute(
            f"create or replace table {t['schema']}.{t['name']} as\nselect\n  {sel}\n"
            f"from range(1, {t['rows'] + 1}) as r(i)\norder by i"
        )
    con.close()
    print(f"loaded {len(spec['tables'])} raw tables into {db_path}")


# ---------------------------------------------------------------------------
# Build orchestration
# ---------------------------------------------------------------------------


def _req_hash() -> str:
    return hashlib.sha256(DBT_REQUIREMENTS.read_bytes()).hexdigest()[:12]


def ensure_dbt_venv(log=print) -> Path:
    """Create bench/.venv-dbt with the pinned requirements (idempotent). Returns the venv dir."""
    marker = DBT_VENV / ".bench-requirements"
    if (
        marker.exists()
        and marker.read_text() == _req_hash()
        and (DBT_VENV / "bin" / "dbt").exists()
    ):
        return DBT_VENV
    py = next((p for p in VENV_PYTHON_CANDIDATES if Path(p).exists()), sys.executable)
    log(f"creating {DBT_VENV} with {py}")
    if not (DBT_VENV / "bin" / "python").exists():
        subprocess.run([py, "-m", "venv", str(DBT_VENV)], check=True)
    pip = [
        str(DBT_VENV / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    subprocess.run(pip + ["-r", str(DBT_REQUIREMENTS)], check=True)
    marker.write_text(_req_hash())
    return DBT_VENV


def dbt_env() -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DBT_VERSION_CHECK": "False",
            "DO_NOT_TRACK": "1",
            "DBT_PARTIAL_PARSE": "True",
            "DBT_USE_COLORS": "False",
            "DBT_PRINTER_WIDTH": "120",
        }
    )
    env["PATH"] = f"{DBT_VENV / 'bin'}:{env.get('PATH', '')}"
    return env


def cache_key(n_models: int, seed: int = DEFAULT_SEED) -> str:
    return f"n{n_models}-s{seed}-g{GENERATOR_VERSION}-{_req_hash()}"


def _artifacts_complete(d: Path) -> bool:
    return all((d / f).exists() for f in ARTIFACT_FILES) and (d / "bench_meta.json").exists()


def ensure_artifacts(
    n_models: int,
    cache_dir: Path | None = None,
    *,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    log=print,
) -> Path:
    """Return a directory holding manifest.json, catalog.json, run_results.json (dbt build),
    sources.json (dbt source freshness) and bench_meta.json for a generated project of
    ``n_models`` models. Builds (parse, build, source freshness, docs generate) only when no
    cached copy exists for (n_models, seed, GENERATOR_VERSION, requirements)."""
    cache_dir = Path(cache_dir) if cache_dir else DEFAULT_CACHE_DIR
    root = cache_dir / cache_key(n_models, seed)
    art = root / "artifacts"
    if not force and _artifacts_complete(art):
        return art
    ensure_dbt_venv(log)
    if root.exists():
        shutil.rmtree(root)
    project = root / "project"
    logs = root / "logs"
    logs.mkdir(parents=True)
    db_path = root / "warehouse" / f"{DB_NAME}.duckdb"
    db_path.parent.mkdir(parents=True)

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    gen = Generator(n_models, seed).generate()
    gen.write(project, db_path)
    spec_path = root / "raw_spec.json"
    spec_path.write_text(json.dumps(gen.raw_spec()))
    timings["generate_s"] = round(time.perf_counter() - t0, 2)
    log(
        f"generated {len(gen.models)} models, {len(gen.raw)} raw tables "
        f"in {timings['generate_s']}s -> {project}"
    )

    t0 = time.perf_counter()
    subprocess.run(
        [
            str(DBT_VENV / "bin" / "python"),
            str(Path(__file__).resolve()),
            "_load-raw",
            str(spec_path),
            str(db_path),
        ],
        check=True,
        env=dbt_env(),
    )
    timings["load_raw_s"] = round(time.perf_counter() - t0, 2)
    log(f"load_raw: {timings['load_raw_s']}s")

    target = project / "target"
    exit_codes = {}
    saved = root / "saved"
    saved.mkdir()
    steps = [
        ("parse", ["parse"]),
        ("build", ["build", "--threads", "2"]),
        ("source_freshness", ["source", "freshness", "--threads", "2"]),
        ("docs_generate", ["docs", "generate", "--threads", "2"]),
    ]
    for step, args in steps:
        cmd = [
            str(DBT_VENV / "bin" / "dbt"),
            "--no-use-colors",
            *args,
            "--profiles-dir",
            str(project),
            "--project-dir",
            str(project),
        ]
        t0 = time.perf_counter()
        with open(logs / f"{step}.log", "w") as fh:
            rc = subprocess.run(
                cmd, cwd=project, env=dbt_env(), stdout=fh, stderr=subprocess.STDOUT
            ).returncode
        dt = round(time.perf_counter() - t0, 2)
        timings[f"dbt_{step}_s"] = dt
        exit_codes[step] = rc
        tail = _tail(logs / f"{step}.log", 3)
        log(f"dbt {' '.join(args)}: {dt}s exit={rc} | {tail}")
        if step == "parse" and rc != 0:
            raise RuntimeError(f"dbt parse failed, see {logs / 'parse.log'}")
        if step == "build":
            if not (target / "run_results.json").exists():
                raise RuntimeError(f"dbt build wrote no run_results.json, see {logs / 'build.log'}")
            shutil.copy2(target / "run_results.json", saved / "run_results.json")
        if step == "source_freshness":
            if not (target / "sources.json").exists():
                raise RuntimeError(
                    "dbt source freshness wrote no sources.json, "
                    f"see {logs / 'source_freshness.log'}"
                )
            shutil.copy2(target / "sources.json", saved / "sources.json")
        if step == "docs_generate" and (rc != 0 or not (target / "catalog.json").exists()):
            raise RuntimeError(f"dbt docs generate failed, see {logs / 'docs_generate.log'}")

    tmp = root / "artifacts.tmp"
    tmp.mkdir()
    shutil.copy2(target / "manifest.json", tmp / "manifest.json")
    shutil.copy2(target / "catalog.json", tmp / "catalog.json")
    shutil.copy2(saved / "run_results.json", tmp / "run_results.json")
    shutil.copy2(saved / "sources.json", tmp / "sources.json")
    rr = json.loads((tmp / "run_results.json").read_text())
    statuses: dict[str, int] = {}
    for r in rr.get("results", []):
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    manifest = json.loads((tmp / "manifest.json").read_text())
    node_types: dict[str, int] = {}
    for node in manifest["nodes"].values():
        node_types[node["resource_type"]] = node_types.get(node["resource_type"], 0) + 1
    for k in ("sources", "exposures", "metrics", "semantic_models"):
        node_types[k] = len(manifest.get(k, {}))
    meta = {
        "n_models": n_models,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "built_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "dbt_version": manifest["metadata"].get("dbt_version"),
        "timings": timings,
        "exit_codes": exit_codes,
        "build_statuses": statuses,
        "manifest_counts": node_types,
        "generator_stats": gen.stats(),
        "files": {f: (tmp / f).stat().st_size for f in ARTIFACT_FILES},
        "project_dir": str(project),
        "duckdb_path": str(db_path),
    }
    (tmp / "bench_meta.json").write_text(json.dumps(meta, indent=2))
    if art.exists():
        shutil.rmtree(art)
    tmp.rename(art)
    return art


def _tail(path: Path, n: int) -> str:
    try:
        lines = [ln.strip() for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " / ".join(lines[-n:])[-300:]


def load_meta(artifacts_dir: Path) -> dict:
    return json.loads((Path(artifacts_dir) / "bench_meta.json").read_text())


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "_load-raw":
        load_raw(Path(argv[1]), Path(argv[2]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, required=True, help="number of dbt models to generate")
    ap.add_argument(
        "--cache", type=Path, default=None, help=f"cache dir (default {DEFAULT_CACHE_DIR})"
    )
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    ap.add_argument(
        "--generate-only",
        type=Path,
        default=None,
        metavar="DIR",
        help="only write the project to DIR (no dbt), print stats",
    )
    a = ap.parse_args(argv)
    if a.generate_only:
        gen = Generator(a.models, a.seed).generate()
        gen.write(a.generate_only, a.generate_only / "warehouse.duckdb")
        (a.generate_only / "raw_spec.json").write_text(json.dumps(gen.raw_spec()))
        print(json.dumps(gen.stats(), indent=2))
        return 0
    t0 = time.perf_counter()
    art = ensure_artifacts(a.models, a.cache, seed=a.seed, force=a.force)
    meta = load_meta(art)
    print(
        f"\nartifacts for N={a.models} ({'built' if time.perf_counter() - t0 > 5 else 'cached'}, "
        f"dbt {meta['dbt_version']}, built_at {meta['built_at']}): {art}"
    )
    print("timings (s):")
    for k, v in meta["timings"].items():
        print(f"  {k:24s} {v:10.2f}")
    print(f"exit codes: {meta['exit_codes']}")
    print(f"build statuses: {meta['build_statuses']}")
    print(f"manifest counts: {meta['manifest_counts']}")
    print(f"generator stats: {meta['generator_stats']}")
    print("files:")
    for f in ARTIFACT_FILES:
        p = art / f
        print(f"  {str(p):90s} {p.stat().st_size / 1e6:9.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

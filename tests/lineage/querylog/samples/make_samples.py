#!/usr/bin/env python3
"""Write the small query-log sample exports the format contract tests read.

Each file follows its warehouse's documented column names (Snowflake QUERY_HISTORY /
ACCESS_HISTORY, BigQuery INFORMATION_SCHEMA.JOBS, Redshift SYS_QUERY_HISTORY /
SYS_QUERY_TEXT, PostgreSQL csvlog, pg_stat_statements). The "bad" files hold a few
malformed rows on purpose; the tests name those rows by line. Deterministic; standard
library only. The files are committed: run this only to change them, then update the
expected values in test_formats_contract.py.

Usage:  python tests/lineage/querylog/samples/make_samples.py
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write_csv(name: str, header: list[str] | None, rows: list[list[object]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    (HERE / name).write_text(buf.getvalue(), encoding="utf-8")


def write_jsonl(name: str, rows: list[dict[str, object]]) -> None:
    (HERE / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


# --- Snowflake --------------------------------------------------------------------------------

SF_COLUMNS = [
    "QUERY_ID", "QUERY_TEXT", "DATABASE_NAME", "SCHEMA_NAME", "QUERY_TYPE", "SESSION_ID",
    "USER_NAME", "ROLE_NAME", "WAREHOUSE_NAME", "WAREHOUSE_SIZE", "QUERY_TAG",
    "EXECUTION_STATUS", "ERROR_CODE", "ERROR_MESSAGE", "START_TIME", "END_TIME",
    "TOTAL_ELAPSED_TIME", "BYTES_SCANNED", "ROWS_PRODUCED",
]  # fmt: skip

SF_ROWS = [
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f01",
     "SELECT a.account_name, SUM(m.mrr_amount) AS mrr\nFROM ANALYTICS.MARTS.FCT_MRR m\n"
     "JOIN ANALYTICS.MARTS.DIM_ACCOUNTS a ON a.account_id = m.account_id\n"
     "WHERE m.mrr_month = '2026-11-01'\nGROUP BY 1", "ANALYTICS", "MARTS", "SELECT", 4529301,
     "LOOKER_SVC", "BI_READER", "BI_WH", "Small", "looker", "SUCCESS", None, None,
     "2026-11-20 08:15:02.123 -0800", "2026-11-20 08:15:03.001 -0800", 878, 412992, 118],
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f02",
     "INSERT INTO ANALYTICS.REPORTING.WEEKLY_MRR (week, mrr)\n"
     "SELECT DATE_TRUNC('week', mrr_month), SUM(mrr_amount) FROM ANALYTICS.MARTS.FCT_MRR "
     "GROUP BY 1",
     "ANALYTICS", "REPORTING", "INSERT", 4529388, "ETL_SVC", "TRANSFORMER", "ETL_WH", "Medium",
     "airflow", "SUCCESS", None, None, "2026-11-20 16:20:00.000 +0000",
     "2026-11-20 16:20:04.250 +0000", 4250, 1029330, 52],
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f03", "SELECT * FROM ANALYTICS.MARTS.FCT_CHURN LIMIT 10",
     "ANALYTICS", "MARTS", "SELECT", 4529301, "ERIN_KOVAC", "ANALYST", "ANALYST_WH", "X-Small",
     None, "FAIL", "002003",
     "SQL compilation error:\nObject 'ANALYTICS.MARTS.FCT_CHURN' does not exist or not authorized.",
     "2026-11-20 17:01:44.500 +0000", "2026-11-20 17:01:44.610 +0000", 110, 0, 0],
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f04",
     "CREATE OR REPLACE TABLE ANALYTICS.SCRATCH.CHURN_BY_PLAN AS\n"
     "SELECT plan_name, COUNT(*) AS churned FROM ANALYTICS.MARTS.CUSTOMER_CHURN "
     "WHERE is_churned GROUP BY 1",
     "ANALYTICS", "SCRATCH", "CREATE_TABLE_AS_SELECT", 4529301, "ERIN_KOVAC", "ANALYST",
     "ANALYST_WH", "X-Small", None, "SUCCESS", None, None, "2026-11-20 17:05:10.000 +0000",
     "2026-11-20 17:05:12.700 +0000", 2700, 88120, 1],
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f05",
     'SELECT "account_name" FROM ANALYTICS.MARTS.DIM_ACCOUNTS '
     "WHERE industry IN ('Media, Film', 'Retail')",
     "ANALYTICS", "MARTS", "SELECT", 4529410, "TABLEAU_SVC", "BI_READER", "BI_WH", "Small",
     "tableau", "SUCCESS", None, None, "2026-11-21 01:30:00.000 +0100",
     "2026-11-21 01:30:00.420 +0100", 420, 5310, 40],
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f06",
     "MERGE INTO ANALYTICS.REPORTING.CRM_SYNC t USING ANALYTICS.MARTS.DIM_ACCOUNTS s\n"
     "  ON t.account_id = s.account_id\n"
     "WHEN MATCHED THEN UPDATE SET t.segment = s.customer_segment\n"
     "WHEN NOT MATCHED THEN INSERT (account_id, segment) VALUES (s.account_id, s.customer_segment)",
     "ANALYTICS", "REPORTING", "MERGE", 4529555, "HIGHTOUCH_SVC", "REVERSE_ETL", "REPORTING_WH",
     "Small", "hightouch", "SUCCESS", None, None, "2026-11-21 02:00:00.000 +0000",
     "2026-11-21 02:00:05.000 +0000", 5000, 77000, 320],
]  # fmt: skip


def access(objects: list[tuple[str, str, list[str]]]) -> list[dict[str, object]]:
    return [
        {"objectDomain": domain, "objectName": name, "objectId": 1000 + i,
         "columns": [{"columnName": col, "columnId": 5000 + i * 10 + j}
                     for j, col in enumerate(cols)]}
        for i, (name, domain, cols) in enumerate(objects)
    ]  # fmt: skip


AH_COLUMNS = [
    "QUERY_ID", "QUERY_START_TIME", "USER_NAME", "DIRECT_OBJECTS_ACCESSED", "BASE_OBJECTS_ACCESSED",
    "OBJECTS_MODIFIED", "OBJECT_MODIFIED_BY_DDL", "POLICIES_REFERENCED", "PARENT_QUERY_ID",
    "ROOT_QUERY_ID",
]  # fmt: skip

AH_ROWS = [
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f01", "2026-11-20 08:15:02.123 -0800", "LOOKER_SVC",
     access([("ANALYTICS.MARTS.FCT_MRR", "Table", ["MRR_AMOUNT", "MRR_MONTH", "ACCOUNT_ID"]),
             ("ANALYTICS.MARTS.DIM_ACCOUNTS", "Table", ["ACCOUNT_NAME", "ACCOUNT_ID"])]),
     access([("ANALYTICS.MARTS.FCT_MRR", "Table", ["MRR_AMOUNT", "MRR_MONTH", "ACCOUNT_ID"]),
             ("ANALYTICS.MARTS.DIM_ACCOUNTS", "Table", ["ACCOUNT_NAME", "ACCOUNT_ID"])]),
     [], None, [], None, None],
    # Read through a view: the base object is the table behind it; a stage is not an asset.
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f02", "2026-11-20 16:20:00.000 +0000", "ETL_SVC",
     access([("ANALYTICS.MARTS.V_MRR", "View", ["MRR_AMOUNT"]),
             ("@ANALYTICS.RAW.LANDING", "Stage", [])]),
     access([("ANALYTICS.MARTS.FCT_MRR", "Table", ["MRR_MONTH", "MRR_AMOUNT"])]),
     access([("ANALYTICS.REPORTING.WEEKLY_MRR", "Table", ["WEEK", "MRR"])]), None, [], None, None],
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f06", "2026-11-21 02:00:00.000 +0000", "HIGHTOUCH_SVC",
     access([("ANALYTICS.MARTS.DIM_ACCOUNTS", "Table", ["ACCOUNT_ID", "CUSTOMER_SEGMENT"])]),
     access([("ANALYTICS.MARTS.DIM_ACCOUNTS", "Table", ["ACCOUNT_ID", "CUSTOMER_SEGMENT"])]),
     access([("ANALYTICS.REPORTING.CRM_SYNC", "Table", ["ACCOUNT_ID", "SEGMENT"])]), None, [], None,
     None],
    # A query QUERY_HISTORY does not hold: ignored.
    ["01c0a1b2-0602-4f1e-0000-1d2c3b4a5f99", "2026-11-21 03:00:00.000 +0000", "LOOKER_SVC",
     access([("ANALYTICS.MARTS.FCT_MRR", "Table", ["MRR_AMOUNT"])]),
     access([("ANALYTICS.MARTS.FCT_MRR", "Table", ["MRR_AMOUNT"])]), [], None, [], None, None],
]  # fmt: skip


def snowflake() -> None:
    write_csv("snowflake_query_history.csv", SF_COLUMNS, SF_ROWS)
    # JSON lines as SnowSQL / a Python export writes them: ISO times with an offset or Z,
    # one START_TIME as epoch milliseconds.
    iso = {
        0: "2026-11-20T08:15:02.123-08:00",
        1: "2026-11-20T16:20:00Z",
        2: "2026-11-20T17:01:44.500Z",
        3: 1795194310000,  # 2026-11-20 17:05:10 UTC in epoch milliseconds
        4: "2026-11-21T01:30:00.000+01:00",
        5: "2026-11-21T02:00:00Z",
    }
    rows = []
    for i, row in enumerate(SF_ROWS):
        obj = dict(zip(SF_COLUMNS, row, strict=True))
        obj["START_TIME"] = iso[i]
        obj.pop("END_TIME")
        rows.append(obj)
    write_jsonl("snowflake_query_history.jsonl", rows)
    write_csv(
        "snowflake_access_history.csv",
        AH_COLUMNS,
        [[json.dumps(v) if isinstance(v, list) else v for v in row] for row in AH_ROWS],
    )
    bad = (
        "\n".join(
            [
                ",".join(SF_COLUMNS),
                # 2: fine
                '01c0bad0-0000-0000-0000-000000000001,"SELECT 1\nFROM ANALYTICS.MARTS.FCT_MRR",'
                "ANALYTICS,MARTS,SELECT,1,"
                "LOOKER_SVC,BI_READER,BI_WH,Small,looker,SUCCESS,,,2026-11-20 08:00:00.000 +0000,"
                "2026-11-20 08:00:01.000 +0000,1000,10,1",
                # 4: two columns short
                "01c0bad0-0000-0000-0000-000000000002,SELECT 2,ANALYTICS,MARTS,SELECT,1,"
                "LOOKER_SVC,BI_READER,BI_WH,Small,"
                "looker,SUCCESS,,,2026-11-20 08:00:02.000 +0000,2026-11-20 08:00:03.000 +0000,1000",
                # 5: unparsable START_TIME
                "01c0bad0-0000-0000-0000-000000000003,SELECT 3,ANALYTICS,MARTS,SELECT,1,"
                "LOOKER_SVC,BI_READER,BI_WH,Small,"
                "looker,SUCCESS,,,yesterday at noon,2026-11-20 08:00:03.000 +0000,1000,10,1",
                # 6: no QUERY_ID
                ",SELECT 4,ANALYTICS,MARTS,SELECT,1,LOOKER_SVC,BI_READER,BI_WH,Small,looker,"
                "SUCCESS,,,"
                "2026-11-20 08:00:04.000 +0000,2026-11-20 08:00:05.000 +0000,1000,10,1",
                # 7: no QUERY_TEXT
                "01c0bad0-0000-0000-0000-000000000005,,ANALYTICS,MARTS,SELECT,1,"
                "LOOKER_SVC,BI_READER,BI_WH,Small,looker,"
                "SUCCESS,,,2026-11-20 08:00:05.000 +0000,2026-11-20 08:00:06.000 +0000,1000,10,1",
                # 8-9: invalid UTF-8 on the second line of a multi-line statement (bytes
                # patched below)
                '01c0bad0-0000-0000-0000-000000000006,"SELECT name\n'
                "FROM ANALYTICS.MARTS.DIM_USERS WHERE city = 'M@@nchen'\","
                "ANALYTICS,MARTS,SELECT,1,LOOKER_SVC,BI_READER,BI_WH,Small,looker,SUCCESS,,,"
                "2026-11-20 08:00:06.000 +0000,2026-11-20 08:00:07.000 +0000,1000,10,1",
                # 10: fine again, after all that
                "01c0bad0-0000-0000-0000-000000000007,SELECT 7 FROM ANALYTICS.MARTS.FCT_MRR,"
                "ANALYTICS,MARTS,SELECT,1,"
                "ALICE_NGUYEN,ANALYST,ANALYST_WH,X-Small,,SUCCESS,,,2026-11-20 08:00:07.000 +0000,"
                "2026-11-20 08:00:08.000 +0000,1000,10,1",
            ]
        )
        + "\n"
    )
    (HERE / "snowflake_query_history_bad.csv").write_bytes(
        bad.encode("utf-8").replace(b"M@@nchen", b"M\xfcnchen")
    )
    good = json.dumps(dict(zip(SF_COLUMNS, SF_ROWS[0], strict=True)))
    second = json.dumps(dict(zip(SF_COLUMNS, SF_ROWS[1], strict=True)))
    bad_lines = [
        good,  # 1
        # 2: cut
        '{"QUERY_ID": "01c0bad0-0000-0000-0000-0000000000j2", "QUERY_TEXT": "SELECT 2", '
        '"START_TIME": ',
        "",  # 3 blank: skipped
        '["not", "an", "object"]',  # 4
        json.dumps(
            {
                "QUERY_ID": "01c0bad0-0000-0000-0000-0000000000j5",
                "QUERY_TEXT": "SELECT 5",
                "USER_NAME": "X",
                "START_TIME": "2026-02-30 10:00:00",
            }
        ),  # 5 no such day  # fmt: skip
        second,  # 6
    ]
    (HERE / "snowflake_query_history_bad.jsonl").write_text(
        "\n".join(bad_lines) + "\n", encoding="utf-8"
    )


# --- BigQuery ---------------------------------------------------------------------------------

BQ_COLUMNS = [
    "creation_time", "project_id", "project_number", "user_email", "job_id", "job_type",
    "statement_type", "priority", "start_time", "end_time", "query", "state", "reservation_id",
    "total_bytes_processed", "total_slot_ms", "error_result", "cache_hit", "destination_table",
    "referenced_tables", "total_bytes_billed", "transaction_id", "parent_job_id", "default_dataset",
]  # fmt: skip


def table(project: str, dataset: str, name: str) -> dict[str, str]:
    return {"project_id": project, "dataset_id": dataset, "table_id": name}


BQ_ROWS: list[dict[str, object]] = [
    {"creation_time": "2026-11-20 09:00:00.100000 UTC", "project_id": "acme-analytics",
     "project_number": 4815162342, "user_email": "erin.kovac@acme.example",
     "job_id": "bquxjob_5f1c2e3d_18c2a1b0d11", "job_type": "QUERY", "statement_type": "SELECT",
     "priority": "INTERACTIVE", "start_time": "2026-11-20 09:00:00.250000 UTC",
     "end_time": "2026-11-20 09:00:02.750000 UTC",
     "query": "SELECT plan_name, SUM(mrr_amount) AS mrr\nFROM `acme-analytics.marts.fct_mrr`\n"
              "GROUP BY plan_name",
     "state": "DONE", "reservation_id": None, "total_bytes_processed": 10485760,
     "total_slot_ms": 5120, "error_result": None, "cache_hit": False,
     "destination_table": table("acme-analytics", "_8b037a8d2c9e4c1f", "anon4f2e9c1d_8a77"),
     "referenced_tables": [table("acme-analytics", "marts", "fct_mrr")],
     "total_bytes_billed": 10485760, "transaction_id": None, "parent_job_id": None,
     "default_dataset": None},
    {"creation_time": "2026-11-20 10:30:00.000000 UTC", "project_id": "acme-analytics",
     "project_number": 4815162342, "user_email": "airflow@acme-analytics.iam.gserviceaccount.com",
     "job_id": "airflow_weekly_mrr_2026_11_20", "job_type": "QUERY", "statement_type": "INSERT",
     "priority": "BATCH", "start_time": "2026-11-20 10:30:01.000000 UTC",
     "end_time": "2026-11-20 10:30:09.000000 UTC",
     "query": "INSERT INTO reporting.weekly_mrr (week, mrr)\n"
              "SELECT DATE_TRUNC(mrr_month, WEEK), SUM(mrr_amount)\n"
              "FROM marts.fct_mrr m JOIN marts.dim_accounts a USING (account_id)\nGROUP BY 1",
     "state": "DONE", "reservation_id": "acme-analytics:US.etl", "total_bytes_processed": 20971520,
     "total_slot_ms": 20480, "error_result": None, "cache_hit": False,
     "destination_table": table("acme-analytics", "reporting", "weekly_mrr"),
     "referenced_tables": [table("acme-analytics", "marts", "fct_mrr"),
                           table("acme-analytics", "marts", "dim_accounts")],
     "total_bytes_billed": 20971520, "transaction_id": None, "parent_job_id": None,
     "default_dataset": {"project_id": "acme-analytics", "dataset_id": "reporting"}},
    # A load job: not a query, skipped.
    {"creation_time": "2026-11-20 11:00:00.000000 UTC", "project_id": "acme-analytics",
     "project_number": 4815162342, "user_email": "fivetran@acme-analytics.iam.gserviceaccount.com",
     "job_id": "fivetran_load_9d8c7b6a", "job_type": "LOAD", "statement_type": None,
     "priority": "BATCH", "start_time": "2026-11-20 11:00:01.000000 UTC",
     "end_time": "2026-11-20 11:00:30.000000 UTC", "query": None, "state": "DONE",
     "reservation_id": None, "total_bytes_processed": None, "total_slot_ms": 1000,
     "error_result": None, "cache_hit": None,
     "destination_table": table("acme-analytics", "raw_stripe", "invoices"),
     "referenced_tables": [], "total_bytes_billed": None, "transaction_id": None,
     "parent_job_id": None, "default_dataset": None},
    {"creation_time": "2026-11-20 12:15:00.000000 UTC", "project_id": "acme-analytics",
     "project_number": 4815162342, "user_email": "bob.martin@acme.example",
     "job_id": "bquxjob_1a2b3c4d_18c2a1b0e22", "job_type": "QUERY", "statement_type": "SELECT",
     "priority": "INTERACTIVE", "start_time": "2026-11-20 12:15:00.300000 UTC",
     "end_time": "2026-11-20 12:15:00.900000 UTC",
     "query": "SELECT * FROM `acme-analytics.marts.fct_churn` WHERE churn_month = '2026-10-01'",
     "state": "DONE", "reservation_id": None, "total_bytes_processed": 0, "total_slot_ms": 0,
     "error_result": {"reason": "notFound", "location": "acme-analytics.marts.fct_churn",
                      "debug_info": "",
                      "message": "Not found: Table acme-analytics:marts.fct_churn was not found "
                                 "in location US"},
     "cache_hit": False, "destination_table": None, "referenced_tables": [],
     "total_bytes_billed": 0, "transaction_id": None, "parent_job_id": None,
     "default_dataset": None},
    {"creation_time": "2026-11-20 13:45:10.000000 UTC", "project_id": "acme-analytics",
     "project_number": 4815162342, "user_email": "looker@acme-analytics.iam.gserviceaccount.com",
     "job_id": "job_Xk3j9Qm2Lr8vT1pZ", "job_type": "QUERY", "statement_type": "SELECT",
     "priority": "INTERACTIVE", "start_time": "2026-11-20 13:45:10.050000 UTC",
     "end_time": "2026-11-20 13:45:11.050000 UTC",
     "query": "-- Looker Query Context '{\"user_id\":42}'\n"
              "SELECT a.industry, COUNT(*) FROM `acme-analytics`.marts.dim_accounts a\n"
              "WHERE a.industry IN ('Media, Film', 'Retail') GROUP BY 1",
     "state": "DONE",
     "reservation_id": None, "total_bytes_processed": 1048576, "total_slot_ms": 300,
     "error_result": None, "cache_hit": True,
     "destination_table": table("acme-analytics", "_8b037a8d2c9e4c1f", "anon9c0d1e2f_1b22"),
     "referenced_tables": [table("acme-analytics", "marts", "dim_accounts")],
     "total_bytes_billed": 0, "transaction_id": None, "parent_job_id": None,
     "default_dataset": None},
]  # fmt: skip


def bigquery() -> None:
    write_jsonl("bigquery_jobs.jsonl", BQ_ROWS)
    # A CSV export: RECORD columns as TO_JSON_STRING(...) text, epoch-less timestamps.
    write_csv(
        "bigquery_jobs.csv",
        BQ_COLUMNS,
        [
            [json.dumps(r[c]) if isinstance(r[c], (dict, list)) else r[c] for c in BQ_COLUMNS]
            for r in BQ_ROWS
        ],
    )
    bad = [
        json.dumps(BQ_ROWS[0]),  # 1
        json.dumps({**BQ_ROWS[1], "job_id": ""}),  # 2 no job id
        json.dumps(
            {**BQ_ROWS[1], "job_id": "bquxjob_bad_time", "start_time": "20/11/2026 10:30"}
        ),  # 3
        '{"job_id": "bquxjob_truncated", "query": "SELECT 1"',  # 4 broken JSON
        json.dumps(
            {**BQ_ROWS[1], "job_id": "bquxjob_bad_refs", "referenced_tables": ["marts.fct_mrr"]}
        ),  # 5
        json.dumps(BQ_ROWS[4]),  # 6
    ]
    (HERE / "bigquery_jobs_bad.jsonl").write_text("\n".join(bad) + "\n", encoding="utf-8")


# --- Redshift ---------------------------------------------------------------------------------

RS_COLUMNS = [
    "user_id", "query_id", "query_label", "transaction_id", "session_id", "database_name",
    "query_type", "status", "result_cache_hit", "start_time", "end_time", "elapsed_time",
    "queue_time", "execution_time", "error_message", "returned_rows", "returned_bytes",
    "query_text", "redshift_version", "usage_limit", "compute_type", "compile_time",
    "planning_time", "lock_wait_time",
]  # fmt: skip


def long_statement() -> str:
    """A 9,000-odd character dashboard query, as BI tools generate them."""
    columns = ",\n".join(f"  SUM(CASE WHEN plan_name = 'plan_{i:03d}' THEN mrr_amount ELSE 0 END)"
                         f" AS mrr_plan_{i:03d}" for i in range(120))  # fmt: skip
    return (
        "/* looker: explore mrr_by_plan */\nSELECT\n  m.mrr_month,\n"
        + columns
        + "\nFROM analytics.marts.fct_mrr m\n"
        "JOIN analytics.marts.dim_accounts a ON a.account_id = m.account_id\n"
        "WHERE m.mrr_month >= '2025-11-01'\nGROUP BY m.mrr_month\nORDER BY m.mrr_month"
    )


LONG = long_statement()


def redshift() -> None:
    rows = [
        [100, 2811401, "", 90001, 1073815602, "analytics", "SELECT", "success", "f",
         "2026-11-20 08:00:00.123456", "2026-11-20 08:00:01.623456", 1500000, 0, 1400000, "", 12,
         1024, "SELECT account_id, mrr_amount\nFROM marts.fct_mrr\nWHERE mrr_month = '2026-11-01'",
         "1.0.78881", "", "main", 30000, 2000, 0],
        [101, 2811402, "", 90002, 1073815603, "analytics", "SELECT", "success", "f",
         "2026-11-20 08:05:00.000000", "2026-11-20 08:05:04.000000", 4000000, 0, 3900000, "", 24,
         8192, LONG[:4000], "1.0.78881", "", "main", 150000, 9000, 0],
        [102, 2811403, "dbt-run", 90003, 1073815604, "analytics", "CTAS", "success", "f",
         "2026-11-20 08:10:00.000000", "2026-11-20 08:10:09.500000", 9500000, 0, 9400000, "", 0, 0,
         "CREATE TABLE reporting.mrr_snapshot AS SELECT * FROM marts.fct_mrr", "1.0.78881", "",
         "main", 0, 0, 0],
        [100, 2811404, "", 90004, 1073815602, "analytics", "SELECT", "failed", "f",
         "2026-11-20 08:12:00.000000", "2026-11-20 08:12:00.050000", 50000, 0, 0,
         'relation "marts.fct_churn" does not exist', 0, 0, "SELECT * FROM marts.fct_churn",
         "1.0.78881", "", "main", 0, 0, 0],
    ]  # fmt: skip
    write_csv("redshift_sys_query_history.csv", RS_COLUMNS, rows)
    # UNLOAD ... FORMAT JSON writes one object per line, numbers as numbers.
    write_jsonl(
        "redshift_sys_query_history.jsonl",
        [dict(zip(RS_COLUMNS, row, strict=True)) for row in rows],
    )
    text_rows = []
    texts = [(2811401, rows[0][9], rows[0][17]), (2811402, rows[1][9], LONG),
             (2811403, rows[2][9], rows[2][17]), (2811404, rows[3][9], rows[3][17])]  # fmt: skip
    for qid, start, text in texts:
        chunks = [text[i : i + 4000] for i in range(0, len(text), 4000)]
        for seq, chunk in enumerate(chunks):
            text_rows.append([100, qid, 90000 + qid % 10, 1073815602, start, seq, chunk])
    # Exports are rarely in sequence order: shuffle the long statement's chunks.
    long_rows = [r for r in text_rows if r[1] == 2811402]
    others = [r for r in text_rows if r[1] != 2811402]
    write_csv(
        "redshift_sys_query_text.csv",
        ["user_id", "query_id", "transaction_id", "session_id", "start_time", "sequence", "text"],
        others[:1] + list(reversed(long_rows)) + others[1:],
    )
    bad = [
        ",".join(RS_COLUMNS),
        # 2
        "100,2811501,,90101,1073815700,analytics,SELECT,success,f,2026-11-20 09:00:00.000000,"
        "2026-11-20 09:00:01.000000,1000000,0,900000,,1,10,SELECT 1 FROM marts.fct_mrr,"
        "1.0.78881,,main,0,0,0",
        # 3
        "100,2811502,,90102,1073815700,analytics,SELECT,success,f,2026-11-20 09:01:00.000000,"
        "2026-11-20 09:01:01.000000,not-a-number,0,900000,,1,10,SELECT 2 FROM marts.fct_mrr,"
        "1.0.78881,,main,0,0,0",
        # 4: cut short
        "100,2811503,,90103,1073815700,analytics,SELECT,success,f,2026-11-20 09:02:00.000000",
        # 5: no query_id
        "100,,,90104,1073815700,analytics,SELECT,success,f,2026-11-20 09:03:00.000000,"
        "2026-11-20 09:03:01.000000,1000000,0,900000,,1,10,SELECT 4,1.0.78881,,main,0,0,0",
        # 6
        "101,2811505,,90105,1073815701,analytics,SELECT,success,f,2026-11-20 09:04:00.000000,"
        "2026-11-20 09:04:01.000000,1000000,0,900000,,3,10,SELECT 5 FROM marts.dim_accounts,"
        "1.0.78881,,main,0,0,0",
    ]
    (HERE / "redshift_sys_query_history_bad.csv").write_text(
        "\n".join(bad) + "\n", encoding="utf-8"
    )


# --- PostgreSQL csvlog ------------------------------------------------------------------------


def pg_line(time: str, user: str, db: str, pid: int, session: str, line: int, tag: str,
            severity: str, state: str, message: str, query: str = "", detail: str = "",
            app: str = "psql") -> list[object]:  # fmt: skip
    """One csvlog record with PostgreSQL 16's 26 columns."""
    return [
        time, user, db, pid, "10.0.4.17:51234", session, line, tag, "2026-11-20 08:59:58 UTC",
        "3/1201", 0, severity, state, message, detail, "", "", "", "", query, "", "", app,
        "client backend", "", "-4217839562349213111",
    ]  # fmt: skip


# Columns PostgreSQL writes with appendCSVLiteral: always quoted when not null.
PG_QUOTED = {1, 2, 4, 7, 13, 14, 15, 16, 18, 19, 21, 22, 23}


def write_csvlog(name: str, rows: list[list[object]]) -> None:
    def field(i: int, v: object) -> str:
        text = "" if v is None else str(v)
        if i in PG_QUOTED and text:
            return '"' + text.replace('"', '""') + '"'
        return text

    lines = [",".join(field(i, v) for i, v in enumerate(row)) for row in rows]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def postgres_csvlog() -> None:
    s1, s2 = "673da1be.2f1a", "673da1c0.2f40"
    rows = [
        pg_line("2026-11-20 09:00:00.101 UTC", "erin", "analytics", 12058, s1, 1, "authentication",
                "LOG", "00000",
                "connection authorized: user=erin database=analytics application_name=psql"),
        pg_line("2026-11-20 09:00:01.512 UTC", "erin", "analytics", 12058, s1, 2, "idle", "LOG",
                "00000", "statement: SELECT a.account_name, m.mrr_amount\nFROM marts.fct_mrr m\n"
                "JOIN marts.dim_accounts a ON a.account_id = m.account_id\n"
                "WHERE m.mrr_month = '2026-11-01';"),
        pg_line("2026-11-20 09:00:01.530 UTC", "erin", "analytics", 12058, s1, 3, "SELECT", "LOG",
                "00000", "duration: 17.842 ms"),
        pg_line("2026-11-20 09:00:02.000 UTC", "metabase", "analytics", 12090, s2, 1, "SELECT",
                "LOG", "00000",
                "duration: 250.500 ms  execute <unnamed>: SELECT industry, COUNT(*) "
                "FROM marts.dim_accounts WHERE industry = $1 GROUP BY 1",
                detail="parameters: $1 = 'Media'", app="Metabase v0.50"),
        pg_line("2026-11-20 09:00:03.000 UTC", "erin", "analytics", 12058, s1, 4, "idle", "LOG",
                "00000", "statement: SELECT * FROM marts.fct_churn;"),
        pg_line("2026-11-20 09:00:03.001 UTC", "erin", "analytics", 12058, s1, 5, "SELECT",
                "ERROR", "42P01", 'relation "marts.fct_churn" does not exist',
                query="SELECT * FROM marts.fct_churn;"),
        pg_line("2026-11-20 09:00:04.000 UTC", "", "", 11800, "673d9f00.2e18", 7, "", "LOG",
                "00000", "checkpoint complete: wrote 12 buffers (0.1%); "
                "0 WAL file(s) added, 0 removed, 0 recycled"),
        pg_line("2026-11-20 10:00:05.250 CET", "dbt", "analytics", 12101, "673da1c4.2f45", 1,
                "idle", "LOG", "00000", "statement: INSERT INTO reporting.weekly_mrr (week, mrr)\n"
                "SELECT date_trunc('week', mrr_month), sum(mrr_amount) FROM marts.fct_mrr "
                "GROUP BY 1;",
                app="dbt"),
        pg_line("2026-11-20 09:00:06.000 UTC", "metabase", "analytics", 12090, s2, 2, "PARSE",
                "LOG", "00000", "duration: 0.120 ms  parse <unnamed>: SELECT 1"),
    ]  # fmt: skip
    write_csvlog("postgresql-2026-11-20_090000.csv", rows)
    # Bad csvlog: a record cut short, an unknown time zone, and a torn quote is avoided on
    # purpose (it would swallow the rest of the file, as it does in PostgreSQL's own reader).
    bad_rows = [
        pg_line("2026-11-20 09:10:00.000 UTC", "erin", "analytics", 12058, s1, 10, "idle", "LOG",
                "00000", "statement: SELECT 1 FROM marts.fct_mrr;"),
        ["2026-11-20 09:10:01.000 UTC", "erin", "analytics", 12058, "10.0.4.17:51234", s1, 11,
         "idle"],
        pg_line("2026-11-20 09:10:02.000 XYZT", "erin", "analytics", 12058, s1, 12, "idle", "LOG",
                "00000", "statement: SELECT 2 FROM marts.fct_mrr;"),
        pg_line("2026-11-20 09:10:03.000 UTC", "erin", "analytics", 12058, s1, 13, "idle", "LOG",
                "00000", "statement: SELECT account_name\nFROM marts.dim_accounts;"),
        pg_line("2026-11-20 09:10:04.000 UTC", "erin", "analytics", 12058, s1, 14, "idle", "LOG",
                "00000", "statement: SELECT 4 FROM marts.fct_mrr;"),
    ]  # fmt: skip
    write_csvlog("postgres_csvlog_bad.csv", bad_rows)


# --- pg_stat_statements -----------------------------------------------------------------------


def pg_stat_statements() -> None:
    header = ["userid", "usename", "dbid", "datname", "toplevel", "queryid", "query", "calls",
              "total_exec_time", "mean_exec_time", "rows", "shared_blks_hit", "shared_blks_read",
              "captured_at"]  # fmt: skip
    rows = [
        [16384, "metabase", 16390, "analytics", "t", "-4217839562349213111",
         "SELECT industry, COUNT(*) FROM marts.dim_accounts WHERE industry = $1 GROUP BY 1", 1432,
         3580.25, 2.5, 14320, 99120, 210, "2026-11-20 12:00:00+00"],
        [16385, "erin", 16390, "analytics", "t", "8830215547761127590",
         "SELECT a.account_name, m.mrr_amount\nFROM marts.fct_mrr m\n"
         "JOIN marts.dim_accounts a ON a.account_id = m.account_id\nWHERE m.mrr_month = $1",
         57, 1017.1, 17.84, 6612, 5120, 64, "2026-11-20 12:00:00+00"],
        [16386, "dbt", 16390, "analytics", "t", "1200334455667788990",
         "INSERT INTO reporting.weekly_mrr (week, mrr)\n"
         "SELECT date_trunc($1, mrr_month), sum(mrr_amount) FROM marts.fct_mrr GROUP BY 1",
         7, 910.0, 130.0, 364, 2200, 900, "2026-11-20 12:00:00+00"],
    ]  # fmt: skip
    write_csv("pg_stat_statements.csv", header, rows)
    # SELECT row_to_json(s) ... : numbers as numbers, the capture time in ISO form.
    json_rows = []
    for row in rows:
        obj = dict(zip(header, row, strict=True))
        obj["captured_at"] = "2026-11-20T12:00:00+00:00"
        json_rows.append(obj)
    write_jsonl("pg_stat_statements.jsonl", json_rows)
    bad = [
        ",".join(header),
        "16384,metabase,16390,analytics,t,111,SELECT 1 FROM marts.fct_mrr,"
        "10,5.0,0.5,10,1,0,2026-11-20 12:00:00+00",
        "16384,metabase,16390,analytics,t,,SELECT 2 FROM marts.fct_mrr,"
        "10,5.0,0.5,10,1,0,2026-11-20 12:00:00+00",
        "16384,metabase,16390,analytics,t,333,SELECT 3 FROM marts.fct_mrr,"
        "many,5.0,0.5,10,1,0,2026-11-20 12:00:00+00",
        "16384,metabase,16390,analytics,t,444,SELECT 4 FROM marts.fct_mrr,"
        "10,5.0,0.5,10,1,0,2026-11-20 12:00:00+00",
    ]
    (HERE / "pg_stat_statements_bad.csv").write_text("\n".join(bad) + "\n", encoding="utf-8")


if __name__ == "__main__":
    snowflake()
    bigquery()
    redshift()
    postgres_csvlog()
    pg_stat_statements()

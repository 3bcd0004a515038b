from lineage.querylog.fingerprint import fingerprint_key, normalise, query_id_key, redact


def test_statements_differing_only_in_literals_share_a_fingerprint():
    a = normalise("SELECT id, name FROM orders WHERE id = 42 AND name = 'O''Brien'")
    b = normalise("select id,name\n  from ORDERS where id=7 and name='x'")
    assert a == b == "select id , name from orders where id = ? and name = ?"


def test_in_lists_of_any_length_collapse():
    assert normalise("select 1 from t where x in (1, 2, 3)") == normalise(
        "select 9 from t where x in ('a')"
    )


def test_multi_row_values_collapse_to_one_row():
    assert normalise("insert into t values (1,'a'),(2,'b'),(3,'c')") == normalise(
        "INSERT INTO t VALUES (5, 'z')"
    )


def test_numbers_inside_names_are_kept():
    assert (
        normalise("select * from sales_2024 s join t1 on s.id = t1.id")
        == "select * from sales_2024 s join t1 on s.id = t1.id"
    )
    assert normalise("select * from t1") != normalise("select * from t2")


def test_comments_go_but_comment_markers_inside_strings_do_not_break_it():
    assert (
        normalise("select a -- note\nfrom t /* x */ where b = '--not a comment'")
        == "select a from t where b = ?"
    )


def test_redacted_example_keeps_the_layout_and_drops_the_literals():
    text = redact("SELECT *\nFROM users WHERE email = 'jane@example.com' AND age > 30")
    assert "jane@example.com" not in text and "30" not in text
    assert text.startswith("SELECT *\nFROM users WHERE email = ?")


def test_keys_are_signed_64_bit_and_depend_on_the_parse_context():
    key = fingerprint_key("select ? from t", "snowflake", "db", "s")
    assert -(2**63) <= key < 2**63
    assert key != fingerprint_key("select ? from t", "snowflake", "db", "other")
    assert query_id_key("01a-1") != query_id_key("01a-2")


def test_worker_processes_parse_shapes_as_the_main_process_would():
    from lineage.querylog.parsing import ShapeParser, parse_many

    items = [
        (n, f"insert into r.s.t{n} select a, b from x.y.src where c = {n}", "snowflake", "x", "y")
        for n in range(12)
    ]
    items.append((99, "select ((( from", "snowflake", "", ""))
    parser = ShapeParser(2, threshold=0)
    parser.submit(items)
    assert parser.pool is not None  # really in worker processes
    assert sorted(parser.finish(), key=lambda r: r["key"]) == sorted(
        parse_many(items), key=lambda r: r["key"]
    )

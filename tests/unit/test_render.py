"""render.py, the only renderer: one Result in every --output form."""

from __future__ import annotations

import io
import json

import pytest

from awsroles.errors import ExitCode, UsageError
from awsroles.render import FORMATS, Result, Table, check_form, render

PEOPLE = Table(["name", "teams", "keys"], [["alice", "platform", "2"], ["bob", "a|b", "10"], ["all", "", "12"]],
               title="People", align=["left", "left", "right"], bold={2}, sections={2})


def shown(result: Result, fmt: str) -> str:
    buffer = io.StringIO()
    render(result, fmt, buffer)
    return buffer.getvalue()


def test_json_is_the_data_indented_and_json_lines_one_record_per_line() -> None:
    data = {"name": "zoë", "n": [1, 2]}
    assert shown(Result(data), "json") == '{\n  "name": "zoë",\n  "n": [\n    1,\n    2\n  ]\n}\n'
    records = [{"action": "grant", "n": 1}, {"action": "revoke", "n": 2}]
    lines = shown(Result(records, json_lines=True), "json").splitlines()
    assert [json.loads(line) for line in lines] == records and lines[0] == '{"action": "grant", "n": 1}'
    assert shown(Result(records, json_lines=True), "table") == ""  # a stream for programs only


def test_csv_is_the_csv_table_else_the_only_table() -> None:
    flat = Table(["a", "b"], [["1", "x,y"]])
    assert shown(Result(None, tables=[PEOPLE], csv=flat), "csv") == 'a,b\n1,"x,y"\n'
    assert shown(Result(None, tables=[PEOPLE]), "csv").splitlines()[0] == "name,teams,keys"
    for result in (Result({"x": 1}), Result(None, tables=[PEOPLE, flat])):
        with pytest.raises(UsageError, match="no CSV form"):
            shown(result, "csv")


def test_markdown_tables_with_titles_alignment_bold_rows_and_notes_as_a_list() -> None:
    text = shown(Result(None, tables=[PEOPLE, Table(["x"], [["1"]])], notes=["one [note]", "two"]), "md")
    assert text == (
        "## People\n\n"
        "| name | teams | keys |\n"
        "|---|---|---:|\n"
        "| alice | platform | 2 |\n"
        "| bob | a\\|b | 10 |\n"
        "| **all** |  | **12** |\n"
        "\n"
        "| x |\n"
        "|---|\n"
        "| 1 |\n"
        "\n"
        "- one [note]\n"
        "- two\n"
    )
    assert shown(Result(None, csv=Table(["a"], []), notes=["nothing yet"]), "md") == "- nothing yet\n"
    with pytest.raises(UsageError, match="no Markdown form"):
        shown(Result({"x": 1}, notes=["a message"]), "md")


def test_the_table_form_prints_text_literally_never_as_markup() -> None:
    tricky = Table(["[bold]col[/]"], [["[red]x[/] :thumbs_up:"]], title="[i]t[/i]")
    text = shown(Result(None, tables=[tricky], notes=["a [dim]note[/] :smile:"]), "table")
    assert "[bold]col[/]" in text and "[red]x[/] :thumbs_up:" in text and "[i]t[/i]" in text
    assert text.endswith("\na [dim]note[/] :smile:\n")


def test_the_table_form_right_aligns_and_separates_sections() -> None:
    lines = shown(Result(None, tables=[PEOPLE]), "table").splitlines()
    assert lines[0].rstrip() == "People"
    alice, bob, rule, total = lines[3:7]
    assert alice.endswith("  2") and bob.endswith(" 10") and total.endswith(" 12")
    assert "┼" in rule and "alice" not in rule


def test_a_table_in_a_pipe_or_a_file_has_no_trailing_spaces() -> None:
    wide = Table(["name", "a long column heading"], [["x", "1"]], title="Short")
    lines = shown(Result(None, tables=[wide, wide]), "table").splitlines()
    assert lines[0] == "Short"  # rich pads a title to the table's width
    assert all(line == line.rstrip() for line in lines) and "" in lines  # a blank line between tables


def test_ready_text_is_the_table_form_and_comes_before_the_notes() -> None:
    result = Result({"A": "1"}, text="export A=1\n", notes=["done"])
    assert shown(result, "table") == "export A=1\ndone\n"
    assert json.loads(shown(result, "json")) == {"A": "1"}


def test_a_form_a_command_lacks_is_a_usage_error_naming_the_ones_it_has() -> None:
    check_form("json", FORMATS)
    with pytest.raises(UsageError) as caught:
        check_form("csv", ("table", "json"), "awsroles plan")
    assert str(caught.value) == "awsroles plan has no CSV form; use --output table or json"
    assert caught.value.exit_code == ExitCode.USAGE
    with pytest.raises(UsageError) as caught:
        check_form("md", ("table",), "awsroles demo")
    assert str(caught.value) == "awsroles demo has no Markdown form; use --output table"


def test_csv_cells_never_run_as_formulas_in_a_spreadsheet() -> None:
    from awsroles.render import Table, to_csv

    text = to_csv(Table(["reason", "amount"], [["=HYPERLINK(\"http://evil\")", "-61.20"], ["@SUM(A1)", -3],
                                               ["+1-555", "ok"], ["-x", "INC-1234"]]))
    assert text.splitlines() == ["reason,amount", "\"'=HYPERLINK(\"\"http://evil\"\")\",-61.20", "'@SUM(A1),-3",
                                 "'+1-555,ok", "'-x,INC-1234"]

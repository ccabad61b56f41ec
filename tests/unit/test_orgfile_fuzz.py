"""Property tests: the org-file parser never crashes, and always answers in the same shape.

Whatever it is given (random text, mangled examples, random bytes), ``parse_org`` and
``check_org`` return either ``(None, problems with an error)`` or ``(Org, problems without
errors)``; every problem is one line, names a file and a plausible line; and the answer is the
same every time.
"""

from __future__ import annotations

import configparser
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from awsroles.errors import Problem
from awsroles.iam.checks import check_org, parse_org
from awsroles.org.ini import new_parser, read_ini
from awsroles.org.model import Org
from tests.conftest import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ini"))
EXAMPLE_TEXTS = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLE_FILES}

# The autouse environment fixture is function-scoped; it only sets variables, so sharing it
# between the examples of one test is harmless.
def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


def assert_well_formed(text: str, file: str, org: Org | None, problems: list[Problem]) -> None:
    errors = [p for p in problems if p.is_error]
    if org is None:
        assert errors, "no model but no error either"
    else:
        assert isinstance(org, Org)
        assert not errors, "a model despite errors"
    line_count = text.count("\n") + 1
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file
        assert problem.severity in ("error", "warning")
        assert isinstance(problem.line, int) and problem.line >= 0
        if problem.file == file:
            assert problem.line <= line_count + 1, (problem, line_count)
        shown = str(problem)
        assert "\n" not in shown and "\r" not in shown
        assert len(shown.splitlines()) == 1, shown
        assert "Traceback" not in shown
        assert problem.message.strip()


def parse_twice(text: str, file: str, base_dir: Path) -> tuple[Org | None, list[Problem]]:
    first = parse_org(text, file, base_dir)
    second = parse_org(text, file, base_dir)
    assert first == second, "parsing is not deterministic"
    assert_well_formed(text, file, *first)
    return first


# -- (a) arbitrary text -----------------------------------------------------------------------

# Text made of the characters that matter to the INI reader, so random input gets past the
# first line more often than uniformly random text does.
INI_ALPHABET = st.sampled_from(list("[]=;#:, \t\n\r-_./@") + list("orgaccountidrolteamsuserdevprod0123456789"))
INI_WORDS = st.sampled_from(
    [
        "[org]\n", "[account ops]\n", "[account dev]\n", "[role admin]\n", "[team t]\n", "[user alice]\n",
        "[DEFAULT]\n", "name = acme\n", "ops_account = ops\n", "id = 111111111111\n", "id = 222222222222\n",
        "environment = dev\n", "members = alice\n", "dev = admin\n", "managed = arn:aws:iam::aws:policy/X\n",
        "policies = deny-iam-writes.json\n", "max_session = 2h\n", "  continued\n", "; comment\n", "\n",
        "policy_dir = ../policies\n", "= value\n", "mfa = optional\n", "console = yes\n", "tags = a=b\n",
        # indented keys and headers, and lines where the two comment prefixes compete
        "  name = b\n", "  [team u]\n", "\tdev = admin\n", "[role a;b ;c] #d\n", "a;b ;c = d #e\n",
        "k = v;w ;x #y\n", "x = 1 #a ;b\n", "= value\n  name = b\n",
    ]
)
INI_LIKE_TEXT = st.tuples(
    st.sampled_from(["", "[org]\n", "[team t]\nmembers = a\n"]),
    st.lists(st.one_of(INI_WORDS, st.text(INI_ALPHABET, max_size=12)), max_size=40).map("".join),
).map("".join)


@fuzz(300)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text: str) -> None:
    parse_twice(text, "fuzz.ini", EXAMPLES)


@fuzz(400)
@given(INI_LIKE_TEXT)
def test_ini_like_text_never_crashes(text: str) -> None:
    parse_twice(text, "fuzz.ini", EXAMPLES)


# -- (b) mangled examples ---------------------------------------------------------------------

ODD_CHARACTERS = st.one_of(
    st.sampled_from(list("[]=;# \t\r\n\x00\x0b\x0c\x1c\x85\u2028\ufeff\\'\",é€𝔘")),
    st.characters(),
)


@st.composite
def mangled_example(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(sorted(EXAMPLE_TEXTS)))
    lines = EXAMPLE_TEXTS[name].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        action = draw(
            st.sampled_from(["delete", "duplicate", "swap", "truncate", "insert", "replace", "indent", "dedent",
                             "move", "blank"])
        )
        line = lines[i]
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(j, line)
        elif action == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "move":
            lines.insert(j, lines.pop(i))
        elif action == "truncate":
            lines[i] = line[: draw(st.integers(0, len(line)))]
        elif action == "insert":
            at = draw(st.integers(0, len(line)))
            lines[i] = line[:at] + draw(st.text(ODD_CHARACTERS, min_size=1, max_size=5)) + line[at:]
        elif action == "replace" and line:
            at = draw(st.integers(0, len(line) - 1))
            lines[i] = line[:at] + draw(ODD_CHARACTERS) + line[at + 1 :]
        elif action == "indent":
            lines[i] = draw(st.sampled_from([" ", "  ", "\t", "    "])) + line
        elif action == "dedent":
            lines[i] = line.lstrip(" \t")
        elif action == "blank":
            lines[i] = "\n"
    return name, "".join(lines)


def test_examples_are_there_to_mangle() -> None:
    assert "classic.ini" in EXAMPLE_TEXTS
    for name, text in EXAMPLE_TEXTS.items():
        org, problems = parse_org(text, name, EXAMPLES)
        assert org is not None, [str(p) for p in problems]


@fuzz(500)
@given(mangled_example())
def test_mangled_examples_never_crash(example: tuple[str, str]) -> None:
    name, text = example
    parse_twice(text, f"examples/{name}", EXAMPLES)


# -- the line scan and configparser agree ------------------------------------------------------


@fuzz(400)
@given(st.one_of(INI_LIKE_TEXT, mangled_example().map(lambda example: example[1])))
def test_line_scan_agrees_with_configparser(text: str) -> None:
    """Every section and key configparser reads is found by our scan, at a line that holds it."""
    document = read_ini(text, "f.ini")
    parser = new_parser()
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError:
        assert document.sections == [] and document.problems
        return
    except configparser.ParsingError:
        assert document.problems
    lines = text.split("\n")
    assert [s.name for s in document.sections] == parser.sections()
    for section in document.sections:
        assert lines[section.line - 1].strip().startswith(f"[{section.name}]")
        assert sorted(section.keys) == sorted(k for k in parser.options(section.name) if k)
        for key in section.keys.values():
            assert key.value == parser.get(section.name, key.name)
            assert lines[key.line - 1].strip().startswith(key.name), (key, lines[key.line - 1])
            assert key.value.split("\n")[0] in lines[key.line - 1], (key, lines[key.line - 1])


# -- (c) random bytes through check_org -------------------------------------------------------


@st.composite
def mangled_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(EXAMPLE_TEXTS[draw(st.sampled_from(sorted(EXAMPLE_TEXTS)))].encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        data[at : at + draw(st.integers(0, 3))] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


FILE_CONTENT = st.one_of(
    st.binary(max_size=300),
    mangled_bytes(),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf[org]\n", b"\xff\xfe[\x00o\x00", b"[org]\n\x00"]),
)


@fuzz(300)
@given(FILE_CONTENT)
def test_random_bytes_never_crash_check_org(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "org.ini"
        path.write_bytes(data)
        first = check_org(path)
        assert check_org(path) == first, "checking is not deterministic"
    org, problems = first
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        assert org is None
        assert len(problems) == 1 and "not valid UTF-8" in problems[0].message
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # check_org reads with universal newlines
    assert_well_formed(text, str(path), org, problems)

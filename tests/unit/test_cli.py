"""The CLI layer, in-process: options, rendering, exit codes, error mapping."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from awsroles import __version__
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.creds.store import KEYS, SESSIONS, SecretStore
from awsroles.errors import ExitCode
from awsroles.render import FORMATS
from tests.conftest import EXAMPLES, REPO

CLASSIC = str(EXAMPLES / "classic.ini")


def invoke(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    app = App(stdout=out, stderr=err)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):  # click's own --help/--version
        code = run(list(argv), app)
    return code, out.getvalue(), err.getvalue()


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out.strip() == f"awsroles {__version__}"


def test_validate_ok_before_and_after_the_command_name() -> None:
    for argv in (["--file", CLASSIC, "validate"], ["validate", "--file", CLASSIC], ["validate", "-f", CLASSIC]):
        code, out, err = invoke(*argv)
        assert code == ExitCode.OK, err
        assert "valid: 4 accounts, 3 environments, 3 roles, 2 teams, 2 users" in out


def test_validate_finds_the_file_through_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSROLES_FILE", CLASSIC)
    assert invoke("validate")[0] == ExitCode.OK


def test_validate_default_file_is_awsroles_ini_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke("validate")
    assert code == ExitCode.USAGE
    assert err.splitlines()[0] == "awsroles.ini: no such file (use --file or $AWSROLES_FILE)"
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    (tmp_path / "awsroles.ini").write_text(text)
    assert invoke("validate")[0] == ExitCode.OK


def test_validate_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("[org]\nname = x\nops_account = ops\n[account ops]\nid = 12\n")
    code, out, _ = invoke("-f", str(bad), "-o", "json", "validate")
    assert code == ExitCode.USAGE
    data = json.loads(out)
    assert data["valid"] is False
    assert data["problems"] == [
        {"file": str(bad), "line": 5, "severity": "error", "message": "account id '12' is not 12 digits"},
        {"file": str(bad), "line": 3, "severity": "error", "message": "ops_account: undefined account 'ops'"},
    ] or {p["line"] for p in data["problems"]} >= {5}


def test_validate_strict_fails_on_warnings(tmp_path: Path) -> None:
    org = tmp_path / "org.ini"
    org.write_text("[org]\nname = x\nops_account = ops\n[account ops]\nid = 111111111111\n[user alice]\n")
    code, _, err = invoke("-f", str(org), "validate")
    assert code == ExitCode.OK
    assert f"{org}:6: warning: user 'alice' is in no team" in err
    code, _, err = invoke("-f", str(org), "validate", "--strict")
    assert code == ExitCode.USAGE


def test_commands_that_need_the_org_report_its_errors_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("[org]\nname = x\nops_account = ops\n[acount ops]\nid = 111111111111\n")
    code, out, err = invoke("-f", str(bad), "access")
    assert code == ExitCode.USAGE
    assert out == ""
    assert f"{bad}:4: unknown section [acount ops] (did you mean 'account ops'?)" in err
    assert "Traceback" not in err


def test_access_table_json_csv() -> None:
    code, out, _ = invoke("-f", CLASSIC, "access")
    assert code == 0
    lines = out.splitlines()
    assert "dev" in lines[0] and "stage" in lines[0] and "prod" in lines[0]
    alice = next(line for line in lines if line.startswith("alice"))
    bob = next(line for line in lines if line.startswith("bob"))
    assert alice.count("admin") == 3
    assert "developer, readonly" in bob and "admin" not in bob

    code, out, _ = invoke("-f", CLASSIC, "access", "-o", "json", "--env", "prod")
    assert json.loads(out) == [{
        "user": "alice", "environment": "prod", "role": "admin", "team": "platform",
        "account_id": "444444444444", "role_arn": "arn:aws:iam::444444444444:role/awsroles/admin",
    }]

    code, out, _ = invoke("-f", CLASSIC, "access", "-o", "csv", "--user", "bob")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["environment"], r["role"], r["team"]) for r in rows] == [
        ("dev", "developer", "backend"), ("dev", "readonly", "backend"),
    ]


def test_access_by_team() -> None:
    code, out, _ = invoke("-f", CLASSIC, "access", "--by", "team")
    assert code == 0
    assert any(line.startswith("platform") for line in out.splitlines())
    assert not any(line.startswith("alice") for line in out.splitlines())


def test_access_unknown_filter_is_a_usage_error() -> None:
    code, _out, err = invoke("-f", CLASSIC, "access", "--env", "prd")
    assert code == ExitCode.USAGE
    assert err.strip() == "awsroles: error: unknown environment 'prd' (did you mean 'prod'?)"


def test_bad_option_is_a_usage_error() -> None:
    code, _, err = invoke("access", "--nope")
    assert code == ExitCode.USAGE
    assert "No such option" in err


def test_export_policies_is_byte_stable_and_reports_changes(tmp_path: Path) -> None:
    out_dir = tmp_path / "policies"
    code, out, _ = invoke("-f", CLASSIC, "-o", "json", "export", "policies", str(out_dir))
    assert code == 0
    first = json.loads(out)
    assert "dev/roles/admin.trust.json" in first["files"]
    assert first["changed"] == first["files"]
    snapshot = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    code, out, _ = invoke("-f", CLASSIC, "-o", "json", "export", "policies", str(out_dir))
    assert json.loads(out)["changed"] == []
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == snapshot


def test_export_removes_stale_files_and_keeps_foreign_ones(tmp_path: Path) -> None:
    org = tmp_path / "org.ini"
    text = (EXAMPLES / "classic.ini").read_text().replace("../policies", str(REPO / "policies"))
    org.write_text(text)
    out_dir = tmp_path / "out"
    assert invoke("-f", str(org), "export", "policies", str(out_dir))[0] == 0
    (out_dir / "NOTES.md").write_text("mine\n")
    assert (out_dir / "prod/roles/admin.trust.json").is_file()
    org.write_text(text.replace("prod = admin\n", ""))
    assert invoke("-f", str(org), "export", "policies", str(out_dir))[0] == 0
    assert not (out_dir / "prod").exists()
    assert (out_dir / "NOTES.md").read_text() == "mine\n"


def test_export_refuses_to_overwrite_files_it_did_not_write(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    (out_dir / "dev" / "roles").mkdir(parents=True)
    mine = out_dir / "dev" / "roles" / "admin.trust.json"
    mine.write_text("my own notes\n")
    code, _, err = invoke("-f", CLASSIC, "export", "policies", str(out_dir))
    assert code == ExitCode.USAGE
    assert "were not written by awsroles; nothing was written (use --force to overwrite)" in err
    assert mine.read_text() == "my own notes\n"
    assert sorted(p.name for p in out_dir.rglob("*") if p.is_file()) == ["admin.trust.json"]
    assert invoke("-f", CLASSIC, "export", "policies", str(out_dir), "--force")[0] == 0
    assert json.loads(mine.read_text())["Statement"][0]["Sid"] == "AssumeFromOpsAccount"


def test_csv_where_there_is_no_table_is_a_usage_error() -> None:
    code, _, _err = invoke("-f", CLASSIC, "-o", "csv", "validate")
    assert code == ExitCode.USAGE


def every_command() -> Iterator[tuple[list[str], click.Command]]:
    """(words, command) for the root, every group and every command."""
    from awsroles.cli.app import cli

    def walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):  # a lazy group: its commands are listed, not in .commands
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, [*path, name]
                yield from walk(sub, [*path, name])

    return walk(cli, [])


def test_every_command_and_every_group_has_help_with_an_example() -> None:
    seen = set()
    for path, _command in every_command():
        code, out, _ = invoke(*path, "--help")
        assert code == 0, path
        assert "Example" in out, f"awsroles {' '.join(path)} --help has no example"
        seen.add(" ".join(path))
    assert {"export", "profiles", "team", "users", "users mfa", "users keys", "sandbox"} <= seen  # groups too


def test_every_command_and_group_takes_the_global_options() -> None:
    for path, command in every_command():
        options = {opt for param in command.params for opt in param.opts}
        assert {"-f", "--file", "-o", "--output", "-v", "--verbose"} <= options, path
        output = next(p for p in command.params if "--output" in p.opts)
        assert isinstance(output.type, click.Choice) and set(output.type.choices) <= set(FORMATS), path


def test_the_global_options_between_a_group_and_its_command(tmp_path: Path) -> None:
    """``awsroles users -f FILE -o json list`` is ``awsroles -f FILE -o json users list``."""
    code, out, _ = invoke("export", "-f", CLASSIC, "-o", "json", "policies", str(tmp_path / "out"))
    assert code == 0 and isinstance(json.loads(out), dict)
    code, _, err = invoke("users", "-o", "csv", "create", "carol", "--team", "backend", "--yes")
    assert code == ExitCode.USAGE and "users create has no CSV form" in err  # checked by the command, before it runs


def test_the_same_output_forms_everywhere() -> None:
    tables = {"access", "access review", "costs", "requests", "status", "users list", "users show"}
    messages = {"exec": FORMATS, "demo": ("table",), "completion": ("table",), "users mfa enroll": ("table",),
                "sandbox mfa-code": ("table",), "shell-init": ("table",)}
    for path, command in every_command():
        if isinstance(command, click.Group):
            continue
        output = next(p for p in command.params if "--output" in p.opts)
        assert isinstance(output.type, click.Choice)
        name = " ".join(path)
        expected = FORMATS if name in tables else messages.get(name, ("table", "json"))
        assert tuple(output.type.choices) == tuple(expected), name


def test_a_form_a_command_lacks_is_refused_before_it_does_anything() -> None:
    code, out, err = invoke("-o", "csv", "users", "create", "carol", "--team", "backend", "--yes")
    assert (code, out) == (ExitCode.USAGE, "")
    assert err == "awsroles: error: awsroles users create has no CSV form; use --output table or json\n"
    code, _, err = invoke("users", "create", "carol", "--team", "backend", "-o", "md")
    assert code == ExitCode.USAGE and "'md' is not one of 'table', 'json'" in err
    code, _, err = invoke("-f", CLASSIC, "-o", "md", "validate")
    assert code == ExitCode.USAGE and "has no Markdown form" in err


def test_markdown_wherever_there_is_a_table() -> None:
    code, out, _ = invoke("-f", CLASSIC, "access", "-o", "md")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("| user | dev |") and set(lines[1]) == {"|", "-"}
    assert any(line.startswith("| alice | admin |") for line in lines)
    code, out, _ = invoke("-f", CLASSIC, "access", "--user", "nobody-here", "-o", "md")
    assert code == ExitCode.USAGE  # an unknown user is refused, in every form
    code, out, _ = invoke("-f", CLASSIC, "access", "--user", "bob", "--env", "prod", "-o", "md")
    assert (code, out) == (0, "- nobody matches\n")


def test_verbose_after_the_command_name_too() -> None:
    import logging

    logger = logging.getLogger("awsroles")
    before = logger.level
    try:
        for argv in (["-vv", "-f", CLASSIC, "validate"], ["-f", CLASSIC, "validate", "-vv"],
                     ["-v", "-f", CLASSIC, "validate", "-v"]):
            app = App(stdout=io.StringIO(), stderr=io.StringIO())
            assert run(argv, app) == 0
            assert app.verbose == 2 and logger.level == logging.DEBUG, argv
    finally:
        logger.setLevel(before)


def _exec_params(*argv: str) -> tuple[dict[str, object], App]:
    """How ``awsroles exec ARGV`` is parsed (nothing is run)."""
    from awsroles.cli.app import cli

    app = App()
    root = click.Context(cli, obj=app)
    command = cli.get_command(root, "exec")
    assert command is not None
    return command.make_context("exec", list(argv), parent=root).params, app


def test_exec_takes_the_global_options_and_leaves_the_commands_own_alone() -> None:
    params, app = _exec_params("-v", "-o", "json", "prod", "--role", "admin", "-f", CLASSIC,
                               "aws", "s3", "ls", "--role", "x", "-v", "-o", "text", "-f", "y", "--nest")
    assert (params["environment"], params["role"], params["nest"]) == ("prod", "admin", False)
    assert params["command"] == ("aws", "s3", "ls", "--role", "x", "-v", "-o", "text", "-f", "y", "--nest")
    assert (app.verbose, app.output, app.file) == (1, "json", CLASSIC)
    params, app = _exec_params("--role=admin", "-vv", "dev", "--nest", "--", "ls", "-v", "--", "x")
    assert (params["environment"], params["role"], params["nest"]) == ("dev", "admin", True)
    assert params["command"] == ("ls", "-v", "--", "x") and app.verbose == 2
    params, _ = _exec_params("dev")
    assert params["command"] == ()
    params, _ = _exec_params("-r", "admin", "dev", "-")
    assert (params["role"], params["command"]) == ("admin", ("-",))


def test_internal_errors_are_one_line_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import awsroles.cli.access as access_module

    def boom(*_a, **_k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(access_module, "access_list", boom)
    code, _, err = invoke("-f", CLASSIC, "access")
    assert code == ExitCode.FAILURE
    assert err.strip() == "awsroles: internal error: RuntimeError: kaboom (run with -v for details)"


def test_a_file_error_anywhere_is_one_line_with_the_path_and_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import awsroles.cli.access as access_module

    def unreadable(*_a, **_k):
        raise PermissionError(13, "Permission denied", "/somewhere/file.json")

    monkeypatch.setattr(access_module, "access_list", unreadable)
    code, _, err = invoke("-f", CLASSIC, "access")
    assert code == ExitCode.FAILURE
    assert err.strip() == "awsroles: error: /somewhere/file.json: Permission denied"


# -- logout: what it removed, in every form --------------------------------------------------------------


ALICE_KEY = "111111111111/alice"
ALICE_SESSIONS = ["role/444444444444/admin/alice", "mfa/111111111111/alice"]


@pytest.fixture
def alice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SecretStore:
    """Alice set up with a plaintext store holding her key, a TOTP seed and two sessions, and two
    sessions in the fast cache; returns her store."""
    from datetime import datetime, timedelta, timezone

    from awsroles.creds import userconfig
    from awsroles.creds.factory import open_user_store
    from awsroles.creds.fastcache import FastCache
    from awsroles.creds.model import Credentials

    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    (tmp_path / "run").mkdir()
    userconfig.save(userconfig.UserConfig(user_name="alice", user_arn="arn:aws:iam::111111111111:user/alice",
                                          ops_account_id="111111111111", store="plaintext", totp_in_store=True))
    store = open_user_store("plaintext")
    soon = Credentials("ASIAEXAMPLE", "s3cr3t", "t0ken", datetime.now(timezone.utc) + timedelta(hours=1))
    store.set(KEYS, ALICE_KEY, Credentials("AKIAALICE", "secret").to_json())
    store.set(KEYS, f"totp/{ALICE_KEY}", "JBSWY3DPEHPK3PXP")
    for name in ALICE_SESSIONS:
        store.set(SESSIONS, name, soon.to_json())
    cache = FastCache.default()
    cache.put("prod", "admin", ALICE_SESSIONS[0], soon)
    cache.put("dev", "readonly", "role/222222222222/readonly/alice", soon)
    return store


def test_logout_json_says_what_it_removed_and_keeps_the_key(alice: SecretStore) -> None:
    code, out, err = invoke("logout", "-o", "json")
    assert (code, err) == (0, "")
    assert json.loads(out) == {"user": "alice", "store": alice.name, "sessions_forgotten": 2,
                               "stored_sessions_removed": sorted(ALICE_SESSIONS), "cache_files_removed": 2,
                               "access_key_deleted": False}
    assert alice.keys(SESSIONS) == [] and alice.get(KEYS, ALICE_KEY) is not None
    assert "s3cr3t" not in out and "t0ken" not in out
    code, out, _ = invoke("logout", "-o", "json")  # nothing left: the same object, with nothing in it
    assert json.loads(out) == {"user": "alice", "store": alice.name, "sessions_forgotten": 0,
                               "stored_sessions_removed": [], "cache_files_removed": 0, "access_key_deleted": False}


def test_logout_table_form_keeps_its_text(alice: SecretStore) -> None:
    assert invoke("logout") == (0, "forgot 2 cached session(s)\n", "")
    assert invoke("logout", "--all", "--yes") == (0, "forgot 0 cached session(s)\n"
                                                     "deleted the stored access key of alice\n", "")


def test_logout_all_json_says_the_key_was_deleted(alice: SecretStore) -> None:
    code, out, _ = invoke("logout", "--all", "--yes", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["sessions_forgotten"], data["access_key_deleted"]) == (2, True)
    assert alice.get(KEYS, ALICE_KEY) is None and alice.get(KEYS, f"totp/{ALICE_KEY}") is None


def test_logout_all_asks_first(alice: SecretStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO())  # no terminal, no --yes: refused, nothing printed
    code, out, err = invoke("logout", "--all", "-o", "json")
    assert (code, out) == (ExitCode.USAGE, "") and "pass --yes" in err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr(click, "confirm", lambda question, **_: asked.append(question) or False)
    code, out, err = invoke("logout", "--all", "-o", "json")
    assert (code, err) == (0, "kept the key\n")
    assert asked == [f"Delete the access key of alice from {alice.name}?"]
    assert json.loads(out)["access_key_deleted"] is False and alice.get(KEYS, ALICE_KEY) is not None


def test_setup_without_a_terminal_says_how_to_give_the_key() -> None:
    """`awsroles setup </dev/null` (CI, a pipe): a usage error that says what to pass, not 'aborted'."""
    code, out, err = invoke("-f", CLASSIC, "setup")
    assert (code, out) == (ExitCode.USAGE, "")
    assert "no terminal to ask for your access key" in err and "--access-key-id" in err and "--secret-stdin" in err
    assert "aborted" not in err and len(err.splitlines()) == 1


class _Keyboard(io.StringIO):
    """A terminal where the person types ``typed``, then presses Ctrl-C (``ctrl_c``) or nothing more (EOF)."""

    def __init__(self, typed: str = "", ctrl_c: bool = False) -> None:
        super().__init__(typed)
        self.ctrl_c = ctrl_c

    def isatty(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        line = super().readline()
        if not line and self.ctrl_c:
            raise KeyboardInterrupt
        return line


@pytest.mark.parametrize(("keyboard", "said"), [(_Keyboard(ctrl_c=True), "awsroles: interrupted"),
                                                (_Keyboard(), "awsroles: aborted")])
def test_ctrl_c_at_a_prompt_says_interrupted_and_end_of_input_aborted(
        keyboard: _Keyboard, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both exit 130 (docs/exit-codes.md), each with its own line; nothing is set up."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setattr("sys.stdin", keyboard)
    code, out, err = invoke("setup", "--file", CLASSIC, "--store", "plaintext")
    assert code == ExitCode.INTERRUPTED == 130
    assert err.endswith(f"Access key id: {said}\n") and "Traceback" not in err and out == ""
    assert not (tmp_path / "config").exists()

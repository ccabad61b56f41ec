"""Shell completion in-process: the checked-in scripts, the dynamic callbacks, the lazy click group.
What a completion request imports as a whole process: ``tests/e2e/test_completion_processes.py``."""

from __future__ import annotations

import configparser
import io
from contextlib import redirect_stdout
from pathlib import Path

import click
import pytest
from click.shell_completion import ShellComplete

from awsroles.cli import cli
from awsroles.cli.app import COMMANDS, App, LazyGroup
from awsroles.cli.completion import SHELLS, completion_script
from awsroles.cli.fastcomplete import COMPLETE_VAR, COMPLETERS, answer
from awsroles.cli.fastcomplete import complete as fast_complete
from awsroles.creds.userconfig import RoleGrant, UserConfig, save
from awsroles.org.skim import OrgNames, read_names
from tests.conftest import EXAMPLES, REPO
from tests.unit.test_cli import invoke

SCRIPTS = {"bash": "awsroles.bash", "zsh": "_awsroles", "fish": "awsroles.fish"}
CLASSIC = EXAMPLES / "classic.ini"


def _grant(environment: str, role: str) -> RoleGrant:
    return RoleGrant(environment, role, "111111111111", f"arn:aws:iam::111111111111:role/{role}", 3600)


ALICE = UserConfig("alice", "arn:aws:iam::100000000000:user/alice", "100000000000",
                   grants=(_grant("prod", "admin"), _grant("prod", "readonly"), _grant("stage", "developer")))


@pytest.fixture
def alice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> UserConfig:
    """A user config with grants in prod and stage only, in a private AWSROLES_CONFIG_DIR."""
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "config"))
    save(ALICE)
    return ALICE


def complete(line: str) -> list[str]:
    """What click offers for ``line`` (the last word, possibly empty, is the one being completed),
    checked against what the fast path offers when it answers."""
    words = line.split(" ")
    comp = ShellComplete(cli, {"obj": App()}, "awsroles", COMPLETE_VAR)
    offered = [item.value for item in comp.get_completions(words[1:-1], words[-1])]
    fast = fast_complete(words[1:-1], words[-1])
    assert fast is None or [value for value, _ in fast] == offered, line
    return offered


@pytest.mark.parametrize("shell", SHELLS)
def test_checked_in_scripts_are_the_generated_ones(shell: str) -> None:
    path = REPO / "completions" / SCRIPTS[shell]
    code, out, _ = invoke("completion", shell)
    assert code == 0
    assert out == completion_script(shell)
    assert path.read_text() == out, (
        f"{path} is out of date: run `awsroles completion {shell} > completions/{SCRIPTS[shell]}`")
    assert COMPLETE_VAR in out


def test_completion_rejects_an_unknown_shell() -> None:
    code, _, err = invoke("completion", "tcsh")
    assert code == 2 and "tcsh" in err


def test_command_names() -> None:
    assert complete("awsroles lo") == ["login", "logout"]
    assert complete("awsroles users k") == ["keys"]
    assert complete("awsroles users keys ") == ["create", "delete", "rotate"]


def test_environments_are_the_persons_own(alice: UserConfig) -> None:
    assert complete("awsroles login ") == ["prod", "stage"]
    assert complete("awsroles exec st") == ["stage"]


@pytest.mark.parametrize(("line", "roles"), [
    ("awsroles login prod --role ", ["admin", "readonly"]),
    ("awsroles login prod -r r", ["readonly"]),
    ("awsroles login stage --role ", ["developer"]),
    ("awsroles env --duration 900 prod --role ", ["admin", "readonly"]),
    ("awsroles login --role ", []),  # no environment yet: no guess
    ("awsroles login dev --role ", []),  # no grant there
])
def test_roles_are_only_those_the_person_may_assume_there(alice: UserConfig, line: str, roles: list[str]) -> None:
    assert complete(line) == roles


def test_nothing_before_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path))
    assert complete("awsroles login ") == []
    assert complete("awsroles login prod --role ") == []


def test_team_user_environment_and_role_names_from_the_org_file(monkeypatch: pytest.MonkeyPatch) -> None:
    from awsroles.org.parse import load_org

    org = load_org(CLASSIC)
    teams = sorted(t.name for t in org.teams)
    users = sorted(u.name for u in org.users)
    path = str(CLASSIC)
    assert complete(f"awsroles -f {path} grant ") == teams
    assert complete(f"awsroles grant -f {path} ") == teams  # --file after the command name
    assert complete(f"awsroles -f {path} grant {teams[0]} ") == sorted(org.environments)
    assert complete(f"awsroles -f {path} grant {teams[0]} prod ") == sorted(r.name for r in org.roles)
    team = next(t for t in org.teams if t.grants)
    granted = sorted({g.role for g in team.grants if g.environment == team.grants[0].environment})
    assert complete(f"awsroles -f {path} revoke {team.name} {team.grants[0].environment} ") == granted
    assert complete(f"awsroles -f {path} team add {teams[0]} ") == users
    assert complete(f"awsroles -f {path} users show ") == users
    assert complete(f"awsroles -f {path} users keys rotate ") == users
    monkeypatch.setenv("AWSROLES_FILE", path)
    assert complete("awsroles team remove ") == teams


def test_revoke_offers_what_the_team_holds_there() -> None:
    path = str(CLASSIC)
    assert complete(f"awsroles -f {path} revoke backend dev ") == ["developer", "readonly"]
    assert complete(f"awsroles -f {path} revoke backend prod ") == []  # backend holds nothing in prod
    assert complete(f"awsroles -f {path} revoke nobody dev ") == ["admin", "developer", "readonly"]


def test_names_from_the_org_file_recorded_at_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    save(UserConfig("alice", "arn", "100000000000", org_file=str(CLASSIC)))
    assert complete("awsroles users show ") == ["alice", "bob"]


def test_a_broken_org_file_completes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("[org\n")
    assert complete(f"awsroles -f {bad} grant ") == []
    assert complete(f"awsroles -f {tmp_path / 'missing.ini'} grant ") == []
    binary = tmp_path / "binary.ini"
    binary.write_bytes(b"\xff\xfe[team x]\n")
    assert complete(f"awsroles -f {binary} grant ") == []


def test_an_org_file_that_does_not_validate_still_completes_its_names(tmp_path: Path) -> None:
    """The names are read with configparser alone: a file half-way through an edit (here an undefined
    role, a team key that is no environment, and a line that is no key) still completes."""
    org = tmp_path / "org.ini"
    org.write_text(CLASSIC.read_text().replace("dev = developer, readonly", "dev = developer, nosuchrole\nqa = admin")
                   + "\n[user carol]\nthis line is not a key\n")
    from awsroles.org.parse import check_org

    assert check_org(org)[0] is None  # the validator refuses it
    assert complete(f"awsroles -f {org} grant ") == ["backend", "platform"]
    assert complete(f"awsroles -f {org} users show ") == ["alice", "bob", "carol"]
    assert complete(f"awsroles -f {org} revoke backend dev ") == ["developer", "nosuchrole"]
    assert complete(f"awsroles -f {org} revoke backend qa ") == ["admin"]


def _names_by_configparser(text: str) -> OrgNames | None:
    """The reference: every section through configparser, as the validator reads the file."""
    from awsroles.org.ini import new_parser

    parser = new_parser()
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError:
        return None
    except configparser.ParsingError:
        pass
    kinds: dict[str, set[str]] = {"account": set(), "role": set(), "user": set()}
    teams = {}
    requests: list[str] = []
    for section in parser.sections():
        kind, _, name = section.strip().partition(" ")
        if not name.strip():
            continue
        if kind == "account":
            kinds["account"].update((parser.get(section, "environment", fallback="") or "").replace(",", " ").split())
        elif kind in kinds:
            kinds[kind].add(name.strip())
        elif kind == "team":
            teams[name.strip()] = {k: tuple((v or "").replace(",", " ").split()) for k, v in parser.items(section)}
        elif kind == "request" and not parser.has_option(section, "status"):
            requests.append(name.strip())
    return OrgNames(*(tuple(sorted(kinds[k])) for k in ("account", "role", "user")), teams, tuple(requests))


TRICKY = """\
; a comment
[org]
name = x ; inline comment

[account  dev ]
environment = dev   ; the environment
[role admin] ; a comment
max_session = 1h
    [user hidden-by-indent]
[role  spaced   name ]
[role odd];no space before the comment
[user a] ; see [user b]
[user c]]
[user d] trailing words
[user e]
email = e@example.com
  continued = value

[team t]
members = a,
  c
dev = admin,
    developer
[team t]
prod = admin
[user e]
[userx y]
[user]
[request r-1]
user = a
[request  r-2 ]
status = denied
"""


@pytest.mark.parametrize("text", [
    CLASSIC.read_text(), (EXAMPLES / "large.ini").read_text(), TRICKY, TRICKY.replace("\n", "\r\n"),
    "[user a]\nx\n[team t]\n", "junk\n[user a]\n", "",
], ids=["classic", "large", "tricky", "crlf", "bad-line", "no-header", "empty"])
def test_read_names_reads_what_configparser_reads(tmp_path: Path, text: str) -> None:
    """Skipping the bodies of [user] and [role] sections changes nothing configparser would read."""
    path = tmp_path / "org.ini"
    path.write_bytes(text.encode())
    assert read_names(path) == _names_by_configparser(text.replace("\r\n", "\n"))


def test_read_names_of_a_large_org(tmp_path: Path) -> None:
    from bench.org_scale import generate

    text = generate(2000, 30, 20, 40)
    names = _names_by_configparser(text)
    assert names is not None and len(names.users) == 2000 and len(names.teams) == 40
    path = tmp_path / "large.ini"
    path.write_text(text)
    assert read_names(path) == names


# -- the fast path: click's answer without click ---------------------------------------------------


def _click_reply(shell: str, environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> bytes:
    from click.shell_completion import get_completion_class

    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    cls = get_completion_class(shell)
    assert cls is not None
    return cls(cli, {"obj": App()}, "awsroles", COMPLETE_VAR).complete().encode() + b"\n"


def _environ(shell: str, line: str) -> dict[str, str]:
    """The variables each shell's completion function (completions/) sets for ``line``."""
    words = line.split(" ")
    if shell == "fish":  # the words up to the cursor, and the word being completed
        return {COMPLETE_VAR: "fish_complete", "COMP_WORDS": line, "COMP_CWORD": words[-1]}
    return {COMPLETE_VAR: f"{shell}_complete", "COMP_WORDS": "\n".join(words), "COMP_CWORD": str(len(words) - 1)}


# Every dynamic completion, the command names, and lines the fast path must leave to click.
ANSWERED = [
    "awsroles ", "awsroles lo", "awsroles users ", "awsroles users keys ", "awsroles sandbox ",
    "awsroles login ", "awsroles login pr", "awsroles login prod --role ", "awsroles login prod -r r",
    "awsroles login --role admin ", "awsroles -v login ", "awsroles login -v prod --role ",
    "awsroles exec ", "awsroles exec stage --role ", "awsroles env ", "awsroles env prod --role ",
    "awsroles env --duration 900 prod --role ", "awsroles console prod --role ",
    "awsroles credential-process prod --role ",
    "awsroles grant ", "awsroles grant b", "awsroles grant backend ", "awsroles grant backend stage ",
    "awsroles grant backend stage admin ", "awsroles grant -o json backend ",
    "awsroles revoke ", "awsroles revoke backend ", "awsroles revoke backend dev ", "awsroles revoke nobody dev ",
    "awsroles users show ", "awsroles users show alice ", "awsroles users -f FILE show ",
    "awsroles users -o json keys rotate ",
    "awsroles users disable ", "awsroles users offboard ",
    "awsroles users keys rotate ", "awsroles users keys create ", "awsroles users keys delete ",
    "awsroles users mfa enroll ", "awsroles users mfa reset ",
    "awsroles team add ", "awsroles team add backend ", "awsroles team add backend alice ",
    "awsroles team remove ", "awsroles team remove platform ",
    "awsroles -o ", "awsroles plan -o ", "awsroles costs --metric ", "awsroles costs --source c",
    "awsroles -f FILE grant ", "awsroles grant -f FILE ", "awsroles --file FILE revoke backend dev ",
    "awsroles validate ", "awsroles access --user ", "awsroles access -t ", "awsroles access --env p",
    "awsroles access --by team --role ", "awsroles users create carol --team ", "awsroles -f ",
    "awsroles users create ", "awsroles users create carol --email ",
]
LEFT_TO_CLICK = [
    "awsroles -", "awsroles login --", "awsroles login prod --role=", "awsroles login prod --role=ad",
    "awsroles exec prod aws ", "awsroles exec prod -- aws ", "awsroles login -vv prod --role ",
    "awsroles nosuch ", "awsroles export terraform ", "awsroles login prod --nosuch ", "awsroles grant _",
    "awsroles costs --group-by ",
]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("line", ANSWERED + LEFT_TO_CLICK)
def test_the_fast_path_answers_what_click_answers(alice: UserConfig, monkeypatch: pytest.MonkeyPatch,
                                                   shell: str, line: str) -> None:
    if "FILE" in line:
        line = line.replace("FILE", str(CLASSIC))
    else:
        monkeypatch.setenv("AWSROLES_FILE", str(CLASSIC))
    environ = _environ(shell, line)
    fast = answer(environ)
    if line in LEFT_TO_CLICK:
        assert fast is None, line
        return
    assert fast is not None, f"the fast path left {line!r} to click"
    assert fast == _click_reply(shell, environ, monkeypatch)


def test_the_fast_path_offers_names(alice: UserConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only agreement: the answers carry the names (so an empty reply on both sides would fail)."""
    monkeypatch.setenv("AWSROLES_FILE", str(CLASSIC))
    assert answer(_environ("bash", "awsroles login prod --role ")) == b"plain,admin\nplain,readonly\n"
    assert answer(_environ("bash", "awsroles revoke backend dev ")) == b"plain,developer\nplain,readonly\n"
    zsh = answer(_environ("zsh", "awsroles lo"))
    assert zsh is not None and zsh.startswith(b"plain\nlogin\n") and b"\nplain\nlogout\n" in zsh


def test_the_checked_in_command_tree_is_the_generated_one() -> None:
    from awsroles.cli import completion_spec
    from awsroles.cli.complete import build_spec, spec_source

    path = REPO / "awsroles" / "cli" / "completion_spec.py"
    assert path.read_text() == spec_source(build_spec(cli)), (
        f"{path} is out of date: run `python -m awsroles.cli.complete > awsroles/cli/completion_spec.py`")
    assert completion_spec.SPEC["login"]["options"]["--role"][2] == "my_roles"


def test_every_dynamic_completion_is_a_kind_the_fast_path_knows() -> None:
    from awsroles.cli.complete import build_spec

    kinds = {completer for node in build_spec(cli).values()
             for completer in [*(o[2] for o in node["options"].values()), *(a[2] for a in node["arguments"])]
             if isinstance(completer, str) and completer}
    assert kinds == set(COMPLETERS)


# -- the lazy group ------------------------------------------------------------------------------


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> dict[str, click.Command]:
    ctx = click.Context(group)
    found: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, (*path, name)
        found[" ".join((*path, name))] = command
        if isinstance(command, click.Group):
            found |= _walk(command, (*path, name))
    return found


def test_every_command_in_the_table_is_a_command_of_that_name_in_that_module() -> None:
    commands = _walk(cli)
    for full_name, target in COMMANDS.items():
        module, _, _attribute = target.partition(":")
        command = commands[full_name]
        assert command.name == full_name.rsplit(" ", 1)[-1], full_name
        assert command.callback is not None and command.callback.__module__ == f"awsroles.cli.{module}", full_name


def test_the_table_is_the_only_registry() -> None:
    """Modules define commands; they do not add them to a group defined elsewhere. So every
    command is in COMMANDS, or defined in the same module as the group that holds it."""
    commands = _walk(cli)
    assert set(COMMANDS) <= set(commands)
    for full_name, command in commands.items():
        if full_name in COMMANDS:
            continue
        parent = commands[full_name.rsplit(" ", 1)[0]]
        assert parent.callback is not None and command.callback is not None
        assert command.callback.__module__ == parent.callback.__module__, full_name
    for group in (cli, commands["users"], commands["users mfa"], commands["users keys"]):
        assert isinstance(group, LazyGroup) and not group.commands, group.name  # nothing registered itself


def test_a_lazy_group_refuses_a_table_entry_that_is_not_a_command() -> None:
    group = LazyGroup(lazy_subcommands={"bad": "app:App"})
    with pytest.raises(TypeError, match=r"awsroles\.cli\.app:App is not a click command"):
        group.get_command(click.Context(group), "bad")


def test_help_still_lists_every_command() -> None:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code, out, _ = invoke("--help")
    assert code == 0
    for name in (n for n in COMMANDS if " " not in n):
        assert f"\n  {name} " in out, name



def test_the_config_names_reader_agrees_with_the_user_config(alice: UserConfig, tmp_path: Path) -> None:
    """Tab completion reads the person's grants without userconfig (and its dataclasses): the same names."""
    from awsroles.creds.confignames import read_names as config_names
    from awsroles.creds.userconfig import load

    names = config_names()
    assert names is not None
    assert names.grants == [(g.environment, g.role) for g in load().grants]
    assert names.environments == ALICE.environments == ["prod", "stage"]
    assert names.roles_in("prod") == ALICE.roles_in("prod") == ["admin", "readonly"]
    damaged = tmp_path / "damaged.ini"
    damaged.write_text("[user]\nname = x\n[grant prod]\n")  # a grant section without a role
    assert config_names(str(damaged)) is None
    assert config_names(str(tmp_path / "missing.ini")) is None


def test_org_names_and_each_orgs_own_roles_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two orgs set up: `--org <TAB>` offers them, and with `--org globex` on the line the
    environments and roles offered are globex's, on the fast path and in click alike."""
    import dataclasses

    monkeypatch.setenv("AWSROLES_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("AWSROLES_ORG", raising=False)
    save(dataclasses.replace(ALICE, org_name="acme"))
    globex = tmp_path / "config" / "orgs" / "globex"
    globex.mkdir(parents=True)
    save(dataclasses.replace(ALICE, org_name="globex", grants=(_grant("qa", "tester"),)), globex / "config.ini")
    assert complete("awsroles login --org ") == ["acme", "globex"]
    assert complete("awsroles login --org g") == ["globex"]
    assert complete("awsroles login ") == ["prod", "stage"]
    monkeypatch.delenv("AWSROLES_ORG", raising=False)
    assert fast_complete(["login", "--org", "globex"], "") == [("qa", "")]
    assert fast_complete(["login", "--org", "globex", "qa", "--role"], "") == [("tester", "")]
    assert fast_complete(["login", "--org", "acme"], "") == [("prod", ""), ("stage", "")]
    assert complete("awsroles login --org globex qa --role ") == ["tester"]


def test_approve_and_deny_complete_the_requests_not_decided_yet(tmp_path: Path) -> None:
    org = tmp_path / "org.ini"
    request = "\n[request {}]\nuser = bob\nenvironment = prod\nrole = admin\nduration = 1h\nreason = x\n" \
              "requested_at = 2026-11-30T01:02:00Z\n"
    org.write_text(CLASSIC.read_text() + request.format("r-20261130-0102-bob-prod")
                   + request.format("r-20261130-0103-bob-prod") + "status = denied\n")
    assert complete(f"awsroles -f {org} approve ") == ["r-20261130-0102-bob-prod"]
    assert complete(f"awsroles -f {org} deny r-") == ["r-20261130-0102-bob-prod"]

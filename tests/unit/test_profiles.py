"""``profiles sync``: the AWS config file keeps everything it had, and botocore uses what we write."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.compat import compat_shell_split
from filelock import FileLock

from awsroles.creds.profile_specs import MANAGED_KEY, credential_process_command, desired_profiles
from awsroles.creds.profile_text import ConfigFileError, ProfileConflictError, SyncResult, apply_profiles
from awsroles.creds.profiles import default_config_file, sync_profiles
from awsroles.errors import ExitCode, UsageError
from awsroles.org.entries import Grant

GRANTS = (Grant("dev", "admin"), Grant("dev", "developer"), Grant("prod", "readonly"))
NAMES = ("acme-dev-admin", "acme-dev-developer", "acme-prod-readonly")

# A config file as people really have them: comments of both kinds, nested keys, odd spacing,
# sso-session and services sections, a profile with its own credential_process, no final newline.
EXISTING = """\
# My AWS config. Do not lose this comment.
;   nor this one

[default]
region=eu-west-1
output = json
s3 =
    max_concurrent_requests = 20
    addressing_style = path

; personal account, keys in the keyring
[profile personal]
credential_process = /usr/local/bin/other-tool get personal   # not ours
region   :   eu-central-1


[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
# — unicode comment, trailing spaces   \n\
[services local]
s3 =
  endpoint_url = http://127.0.0.1:9000
[profile work]
sso_session = corp
sso_account_id = 999999999999
sso_role_name = Admin"""


def sync(config: Path, grants: tuple[Grant, ...] = GRANTS, **kwargs: Any) -> SyncResult:
    options: dict[str, Any] = {"org": "acme", "region": "us-east-1", "config_file": config}
    options.update(kwargs)
    return sync_profiles(grants, **options)


@pytest.fixture
def config(isolated_environment: Path) -> Path:
    return isolated_environment / ".aws" / "config"


def write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    path.chmod(mode)


def botocore_profiles(path: Path) -> dict[str, dict[str, str]]:
    from botocore.configloader import load_config

    return load_config(str(path))["profiles"]  # type: ignore[no-any-return]


# -- keeping what was there ----------------------------------------------------------------------


def test_comments_and_unrelated_profiles_survive_exactly(config: Path) -> None:
    write(config, EXISTING)
    result = sync_profiles(GRANTS, org="acme", region="us-east-1", config_file=config)
    assert result.added == NAMES and result.written
    text = config.read_text(encoding="utf-8")
    # Everything that was there is still there, byte for byte, and ours comes after it.
    assert text.startswith(EXISTING + "\n\n[profile acme-dev-admin]\n")
    profiles = botocore_profiles(config)
    assert profiles["personal"]["credential_process"] == "/usr/local/bin/other-tool get personal   # not ours"
    assert profiles["default"]["s3"] == {"max_concurrent_requests": "20", "addressing_style": "path"}
    assert profiles["acme-prod-readonly"] == {
        MANAGED_KEY: "acme",
        "credential_process": "awsroles credential-process prod --role readonly",
        "region": "us-east-1",
    }
    # Revoking everything gives back the original file (bar the final newline it lacked).
    result = sync_profiles((), org="acme", region="us-east-1", config_file=config)
    assert result.removed == NAMES
    assert config.read_text(encoding="utf-8") == EXISTING + "\n"


def test_second_sync_changes_nothing(config: Path) -> None:
    write(config, EXISTING)
    sync(config)
    before = config.read_bytes()
    inode = config.stat().st_ino
    result = sync_profiles(GRANTS, org="acme", region="us-east-1", config_file=config)
    assert result.unchanged == NAMES
    assert not result.changed and not result.written
    assert config.read_bytes() == before
    assert config.stat().st_ino == inode  # not even rewritten


def test_revoked_profiles_are_removed_and_the_next_sections_comment_stays(config: Path) -> None:
    write(config, "[default]\nregion = eu-west-1\n")
    sync(config)
    # Someone adds their own profile after ours, with a comment above it.
    with config.open("a", encoding="utf-8") as handle:
        handle.write("\n# my own profile, keep this comment\n[profile mine]\nregion = eu-north-1\n")
    result = sync(config, grants=(Grant("dev", "admin"),))
    assert result.removed == ("acme-dev-developer", "acme-prod-readonly")
    assert result.unchanged == ("acme-dev-admin",)
    text = config.read_text(encoding="utf-8")
    assert "acme-dev-developer" not in text and "acme-prod-readonly" not in text
    assert "\n\n# my own profile, keep this comment\n[profile mine]\nregion = eu-north-1\n" in text
    assert set(botocore_profiles(config)) == {"default", "acme-dev-admin", "mine"}


def test_update_touches_only_our_keys(config: Path) -> None:
    sync(config)
    text = config.read_text(encoding="utf-8").replace(
        "[profile acme-dev-admin]\n", "[profile acme-dev-admin]\n# pinned output\noutput = table\n"
    )
    write(config, text)
    result = sync(config, region="eu-west-2", command="/opt/aws roles/bin/awsroles")
    assert result.updated == NAMES
    profile = botocore_profiles(config)["acme-dev-admin"]
    assert profile["output"] == "table"
    assert profile["region"] == "eu-west-2"
    assert profile["credential_process"] == "'/opt/aws roles/bin/awsroles' credential-process dev --role admin"
    assert "# pinned output\n" in config.read_text(encoding="utf-8")


def test_a_deleted_key_of_a_managed_profile_is_put_back_inside_it(config: Path) -> None:
    write(config, "")
    sync(config, grants=(Grant("dev", "admin"),))
    text = config.read_text(encoding="utf-8").replace("region = us-east-1\n", "")
    write(config, text + "\n# about the next one\n[profile next]\nregion = x\n")
    assert sync(config, grants=(Grant("dev", "admin"),)).updated == ("acme-dev-admin",)
    text = config.read_text(encoding="utf-8")
    assert "--role admin\nregion = us-east-1\n\n# about the next one\n[profile next]" in text


def test_two_orgs_keep_their_own_profiles(config: Path) -> None:
    sync(config)
    sync(config, org="globex", grants=(Grant("dev", "admin"),))
    assert sync(config, grants=()).removed == NAMES
    assert set(botocore_profiles(config)) == {"globex-dev-admin"}


# -- refusing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["[profile acme-dev-admin]", '[profile "acme-dev-admin"]', "[profile   acme-dev-admin]"]
)
def test_an_unmanaged_profile_with_the_same_name_is_never_overwritten(config: Path, header: str) -> None:
    write(config, f"# hand-made\n{header}\nregion = eu-west-1\n")
    before = config.read_bytes()
    with pytest.raises(ProfileConflictError) as caught:
        sync(config)
    assert "'acme-dev-admin'" in str(caught.value)
    assert str(config) in str(caught.value)
    assert "nothing was written" in str(caught.value)
    assert caught.value.names == ("acme-dev-admin",)
    assert caught.value.exit_code == ExitCode.USAGE
    assert config.read_bytes() == before


def test_a_profile_managed_for_another_org_is_a_conflict(config: Path) -> None:
    sync(config, org="globex", template="acme-{environment}-{role}")
    before = config.read_bytes()
    with pytest.raises(ProfileConflictError, match="'acme-dev-admin' \\(and 2 more"):
        sync(config)
    assert config.read_bytes() == before


def test_unparseable_file_is_left_alone_and_the_error_shows_no_line_content(config: Path) -> None:
    write(config, "[default]\nregion = eu-west-1\nAKIAEXAMPLESECRETLINE\n")
    before = config.read_bytes()
    with pytest.raises(ConfigFileError) as caught:
        sync(config)
    assert "line(s) 3" in str(caught.value)
    assert "AKIAEXAMPLESECRETLINE" not in str(caught.value)
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    assert config.read_bytes() == before


def test_duplicate_section_is_reported(config: Path) -> None:
    write(config, "[default]\nregion = a\n[default]\nregion = b\n")
    with pytest.raises(ConfigFileError, match=r":3: section \[default\] appears twice"):
        sync(config)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{org}-{account}-{role}", "bad profile name template"),
        ("{org} {environment} {role}", "may only contain"),
        ("{org}-{role}", "the same profile name 'acme-admin'"),
        ("default", "never writes the default profile"),
        ("{0}", "bad profile name template"),
    ],
)
def test_bad_templates(config: Path, template: str, message: str) -> None:
    grants = (Grant("dev", "admin"), Grant("prod", "admin"))
    with pytest.raises(UsageError, match=message):
        sync(config, grants=grants, template=template)
    assert not config.exists()


def test_lock_held_elsewhere_times_out_without_writing(config: Path) -> None:
    write(config, "[default]\n")
    holder = FileLock(f"{config}.lock")
    with holder, pytest.raises(ConfigFileError, match="another process holds"):
        sync(config, lock_timeout=0.2)
    assert config.read_text(encoding="utf-8") == "[default]\n"


# -- the file: links, modes, dry run, line endings -------------------------------------------------


def test_symlinked_config_keeps_the_link_and_updates_the_target(config: Path, tmp_path: Path) -> None:
    target = tmp_path / "dotfiles" / "aws-config"
    write(target, "[default]\nregion = eu-west-1\n", mode=0o640)
    config.parent.mkdir(parents=True, exist_ok=True)
    config.symlink_to(target)
    result = sync(config)
    assert config.is_symlink() and Path(os.readlink(config)) == target
    assert result.path == target
    assert "[profile acme-dev-admin]" in target.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert (target.parent / "aws-config.lock").exists()
    assert not list(config.parent.glob("*.lock"))
    assert sorted(p.name for p in target.parent.iterdir()) == ["aws-config", "aws-config.lock"]  # no temp left


def test_new_file_is_0600_in_a_0700_directory(config: Path) -> None:
    assert not config.parent.exists()
    sync(config)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(f"{config}.lock").stat().st_mode) == 0o600


def test_existing_mode_is_kept(config: Path) -> None:
    write(config, "[default]\n", mode=0o644)
    sync(config)
    assert stat.S_IMODE(config.stat().st_mode) == 0o644


def test_dry_run_creates_and_writes_nothing(config: Path) -> None:
    result = sync(config, dry_run=True)
    assert result.added == NAMES and result.dry_run and not result.written
    assert not config.parent.exists()
    write(config, EXISTING)
    result = sync(config, dry_run=True, grants=())
    assert not result.changed
    assert config.read_text(encoding="utf-8") == EXISTING
    assert not Path(f"{config}.lock").exists()


def test_nothing_to_write_creates_no_file(config: Path) -> None:
    result = sync(config, grants=())
    assert not result.written
    assert not config.exists()


def test_crlf_file_stays_crlf() -> None:
    original = "[default]\r\nregion = eu-west-1\r\n"
    profiles = desired_profiles(GRANTS[:1], org="acme", region="us-east-1")
    text, _ = apply_profiles(original, profiles, org="acme")
    assert text.startswith(original)
    assert text.count("\r\n") == text.count("\n")
    again, result = apply_profiles(text, profiles, org="acme")
    assert again == text and result.unchanged == ("acme-dev-admin",)


def test_default_config_file_follows_aws_config_file(tmp_path: Path) -> None:
    assert default_config_file({"AWS_CONFIG_FILE": str(tmp_path / "c")}) == tmp_path / "c"
    assert default_config_file({"HOME": "/home/x"}) == Path("/home/x/.aws/config")
    assert default_config_file({"HOME": "/home/x", "AWS_CONFIG_FILE": "~/cfg"}) == Path("/home/x/cfg")


def test_result_as_dict(config: Path) -> None:
    data = sync(config).as_dict()
    assert json.loads(json.dumps(data)) == {
        "path": str(config), "added": list(NAMES), "updated": [], "removed": [], "unchanged": [], "dry_run": False,
        "written": True,
    }


# -- the command line botocore runs -----------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "awsroles",
        "/opt/my tools/awsroles",
        "/home/o'brien/bin/awsroles",
        'C:\\Program Files\\awsroles\\awsroles.exe',
        ["/usr/bin/python3", "-m", "awsroles"],
        ["/opt/py 3/python", "-X", "frozen_modules=off", "-m", "awsroles"],
    ],
)
@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_credential_process_splits_back_into_the_same_argv(command: str | list[str], platform: str) -> None:
    line = credential_process_command(command, "prod", "admin", platform=platform)
    program = [command] if isinstance(command, str) else command
    assert compat_shell_split(line, platform=platform) == [*program, "credential-process", "prod", "--role", "admin"]


def test_credential_process_refuses_what_breaks_the_file() -> None:
    with pytest.raises(UsageError, match="line break"):
        credential_process_command("/bin/aws\nroles", "dev", "admin")
    with pytest.raises(UsageError, match="comment"):
        credential_process_command("/home/me/my #tools/awsroles", "dev", "admin")
    with pytest.raises(UsageError, match="empty"):
        credential_process_command([], "dev", "admin")


FAKE_CREDENTIAL_PROCESS = """\
import json, sys
_, verb, environment, flag, role = sys.argv
if verb != "credential-process" or flag != "--role":
    sys.exit(2)
print(json.dumps({
    "Version": 1,
    "AccessKeyId": "ASIA" + environment.upper() + role.upper(),
    "SecretAccessKey": "secret-for-" + role,
    "SessionToken": "token-" + environment + "-" + role,
    "Expiration": "2099-01-01T00:00:00Z",
}))
"""


def test_botocore_really_uses_the_written_profile(
    isolated_environment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    script = tmp_path / "my tools" / "fake awsroles.py"
    script.parent.mkdir()
    script.write_text(FAKE_CREDENTIAL_PROCESS, encoding="utf-8")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    # The default path: $AWS_CONFIG_FILE, set by the autouse fixture.
    write(isolated_environment / ".aws" / "config", EXISTING)
    result = sync_profiles(GRANTS, org="acme", region="eu-west-2", command=[sys.executable, str(script)])
    assert result.path == isolated_environment / ".aws" / "config"

    session = boto3.Session(profile_name="acme-prod-readonly")
    assert session.region_name == "eu-west-2"
    credentials = session.get_credentials()
    assert credentials.method == "custom-process"
    frozen = credentials.get_frozen_credentials()
    assert frozen.access_key == "ASIAPRODREADONLY"
    assert frozen.secret_key == "secret-for-readonly"
    assert frozen.token == "token-prod-readonly"
    # The unrelated profiles are still readable by botocore.
    assert boto3.Session(profile_name="personal").region_name == "eu-central-1"

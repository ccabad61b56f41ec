"""``awsroles users mfa enroll|reset`` and ``awsroles users keys create|rotate|delete``.

Admins act with their own AWS credentials (the ops account, as ``awsroles apply``); ``--self``
acts with the person's own stored key. Every write goes to the audit log, never with a secret.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.cli.complete import complete_users
from awsroles.errors import ExitCode, UsageError
from awsroles.render import Result

if TYPE_CHECKING:
    from awsroles.creds.store import SecretStore
    from awsroles.creds.userconfig import UserConfig
    from awsroles.people.audit import Auditor

log = logging.getLogger(__name__)


@dataclass
class _Admin:
    iam: Any
    actor: str
    account: str
    region: str | None

    @property
    def audit(self) -> Auditor:
        from awsroles.people.audit import Auditor

        return Auditor(self.actor, self.account)


def _admin(app: App, profile: str | None) -> _Admin:
    from awsroles.cli.planview import engine_for

    engine = engine_for(app, profile, 1)
    return _Admin(engine.iam(engine.org.ops), engine.aws.whoami().arn, engine.org.ops.id, engine.org.region)


def _yourself(config: UserConfig) -> _Admin:
    """You, on your own key: IAM in ops through your MFA session (the self-service policy lets
    everyone manage their own access keys once signed in with MFA). No admin credentials needed."""
    from awsroles.aws import for_credentials
    from awsroles.cli.vending import make_vendor

    session = make_vendor().mfa_session()  # asks for a code (on the terminal) when none is cached
    aws = for_credentials(session, config.region)
    return _Admin(aws.client("iam"), config.user_arn, config.ops_account_id, config.region)


def _own_config(name: str | None = None) -> UserConfig | None:
    """Your user config when NAME is you (None when not set up or someone else)."""
    from awsroles.creds import userconfig

    try:
        config = userconfig.load()
    except userconfig.NotSetUp:
        return None
    return config if name is None or config.user_name == name else None


def _store(config: UserConfig) -> SecretStore:
    from awsroles.creds.factory import open_user_store

    return open_user_store(config.store, prompter=lambda m: str(click.prompt(m, hide_input=True, err=True)))


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("no terminal to confirm on: pass --yes")
    if not click.confirm(question, err=True):
        raise click.Abort()


# -- MFA -------------------------------------------------------------------------------------


def _read_codes(code1: str | None, code2: str | None) -> tuple[str, str]:
    if code1 and code2:
        return code1, code2
    if code1 or code2:
        raise UsageError("pass both --code1 and --code2, or neither")
    if sys.stdin.isatty():
        first = str(click.prompt("First code from your authenticator", err=True)).strip()
        second = str(click.prompt("The next code (wait for it to change)", err=True)).strip()
        return first, second
    first, second = sys.stdin.readline().strip(), sys.stdin.readline().strip()
    if not (first and second):
        raise UsageError("expected two codes on standard input, one per line")
    return first, second


@click.command("enroll")
@common_options(forms=("table",))  # interactive: the QR code and the codes are for a person
@click.argument("name", shell_complete=complete_users)
@click.option("--self", "myself", is_flag=True, help="Enrol yourself, with your own stored key (awsroles setup); "
              "only where the org file says mfa_enrollment = self.")
@click.option("--qr", "qr_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the QR code to FILE (.png or .svg).")
@click.option("--store-seed", is_flag=True, help="With --self, opt in: keep the seed in your store so codes are "
              "generated for you (weakens MFA to one factor).")
@click.option("--code1", metavar="CODE", help="The first code (scripts; else prompted, or read from stdin).")
@click.option("--code2", metavar="CODE", help="The next code.")
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")
@pass_app
def mfa_enroll(app: App, name: str, myself: bool, qr_file: Path | None, store_seed: bool, code1: str | None,
               code2: str | None, profile: str | None) -> int:
    """Create a virtual MFA device for NAME and enable it with two consecutive codes.

    Shows the device as a QR code in the terminal and as its otpauth:// URI (both secret: do
    not share them), then reads two consecutive codes from the authenticator app: prompted on
    a terminal, else two lines on standard input, or --code1/--code2.

    \b
    Example:
      awsroles users mfa enroll bob --qr bob-mfa.png
      awsroles users mfa enroll alice --self
      awsroles users mfa enroll alice --self --store-seed
    """
    from awsroles.people import mfa as usermfa

    if store_seed and not myself:
        raise UsageError("--store-seed only works with --self: the seed goes to your own store")
    if qr_file is not None and qr_file.suffix.lower() not in usermfa.QR_SUFFIXES:
        raise UsageError(f"{qr_file}: the QR code file must end in .png or .svg")
    org = app.load_org()
    config: UserConfig | None = None
    if myself:
        usermfa.check_self_enrolment(org, name)
        config = _own_config()
        if config is None:
            raise UsageError("--self needs your own key: run `awsroles setup` first")
        if config.user_name != name:
            raise UsageError(f"--self enrols you ({config.user_name}), not {name}")
        from awsroles.aws import for_credentials
        from awsroles.creds.model import Credentials
        from awsroles.creds.store import KEYS

        text = _store(config).get(KEYS, config.key_name)
        if not text:
            raise UsageError(f"no access key stored for {config.user_name}: run `awsroles setup`")
        aws = for_credentials(Credentials.from_json(text), config.region)
        who = _Admin(aws.client("iam"), config.user_arn, config.ops_account_id, config.region)
    else:
        who = _admin(app, profile)

    def codes(uri: str) -> tuple[str, str]:
        click.echo(usermfa.qr_text(uri), file=app.stdout, nl=False)
        click.echo(f"Scan the QR code, or add this URI to your authenticator (keep it secret):\n{uri}",
                   file=app.stdout)
        if qr_file is not None:
            usermfa.write_qr(uri, qr_file)
            click.echo(f"QR code written to {qr_file} (secret: delete it once scanned)", file=app.stdout)
        return _read_codes(code1, code2)

    enrolment = usermfa.enroll(who.iam, name, codes=codes, issuer=f"AWS {org.name}".strip())
    who.audit.record("users.mfa.enroll", name,
                     {"serial": enrolment.serial, "self": myself, "automatic_codes": store_seed})
    app.say(f"MFA device {enrolment.serial} enabled for {name}")
    if config is not None:
        from awsroles.creds import userconfig
        from awsroles.creds.store import KEYS

        if store_seed:
            app.warn("warning: with the TOTP seed in your store, anyone with your unlocked session has both "
                     "factors; prefer an authenticator app or a hardware key")
            _store(config).set(KEYS, f"totp/{config.key_name}", enrolment.seed)
        userconfig.save(dataclasses.replace(config, mfa_serial=enrolment.serial,
                                            totp_in_store=store_seed or config.totp_in_store))
        app.say("Your awsroles settings now use this device" + (" and generate codes for you" if store_seed else ""))
    return ExitCode.OK


@click.command("reset")
@common_options
@click.argument("name", shell_complete=complete_users)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")
@pass_app
def mfa_reset(app: App, name: str, yes: bool, profile: str | None) -> int:
    """Remove NAME's MFA devices (a lost phone): deactivate them and delete the virtual ones.

    NAME then has no MFA until they enrol again.

    \b
    Example:
      awsroles users mfa reset bob --yes
    """
    from awsroles.people import mfa as usermfa

    admin = _admin(app, profile)
    _confirm(f"Remove every MFA device of {name}?", yes)
    removed = usermfa.reset(admin.iam, name)
    admin.audit.record("users.mfa.reset", name, {"serials": removed})
    notes = [f"removed MFA device {serial} of {name}" for serial in removed] or [f"{name} has no MFA device"]
    app.render(Result({"user": name, "removed": removed}, notes=notes))
    return ExitCode.OK


# -- access keys -------------------------------------------------------------------------------


def _new_key(name: str, access_key_id: str, secret: str | None, more: dict[str, object] | None = None,
             notes: list[str] | None = None) -> Result:
    """A new access key: its secret shown this once (None: it went to your store, not shown)."""
    data: dict[str, object] = {"UserName": name, "AccessKeyId": access_key_id}
    if secret is None:
        data["Stored"] = True
        shown = notes or []
    else:
        data["SecretAccessKey"] = secret
        shown = [*(notes or []), f"AccessKeyId:     {access_key_id}", f"SecretAccessKey: {secret}"]
    return Result({**data, **(more or {})}, notes=shown)


def _store_key(config: UserConfig, access_key_id: str, secret: str) -> None:
    from awsroles.creds.model import Credentials
    from awsroles.creds.store import KEYS

    _store(config).set(KEYS, config.key_name, Credentials(access_key_id, secret).to_json())


@click.command("create")
@common_options
@click.argument("name", shell_complete=complete_users)
@click.option("--store", "store_it", is_flag=True, help="Your own user only: put the key straight into your store "
              "(replacing the one there) instead of printing it.")
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")
@pass_app
def keys_create(app: App, name: str, store_it: bool, profile: str | None) -> int:
    """Create an access key for NAME (at most two per user); the secret is shown once.

    \b
    Example:
      awsroles users keys create bob
      awsroles users keys create alice --store
    """
    from awsroles.people import keys as userkeys

    config = _own_config(name) if store_it else None
    if store_it and config is None:
        raise UsageError(f"--store only works for your own user (awsroles setup), not {name}")
    admin = _admin(app, profile)
    key = userkeys.create_key(admin.iam, name)
    admin.audit.record("users.keys.create", name, {"id": key.access_key_id, "stored": store_it})
    if config is not None:
        _store_key(config, key.access_key_id, key.secret)
        app.render(_new_key(name, key.access_key_id, None,
                            notes=[f"access key {key.access_key_id} created for {name} and stored in your store"]))
        return ExitCode.OK
    app.render(_new_key(name, key.access_key_id, key.secret,
                        notes=[f"access key created for {name}; the secret is shown this once:"]))
    return ExitCode.OK


@click.command("rotate")
@common_options(org=True)
@click.argument("name", shell_complete=complete_users)
@click.option("--delete-old/--keep-old", "delete_old", default=None,
              help="Delete the old key now, or leave it Inactive for a grace period (default: ask on a "
                   "terminal, else keep).")
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")
@pass_app
def keys_rotate(app: App, name: str, delete_old: bool | None, profile: str | None) -> int:
    """Replace NAME's access key: create a new one, check it works, deactivate the old one.

    For your own user the new key replaces the one in your store, only once it works, and your own
    credentials are enough (through your MFA session; --profile uses admin credentials instead);
    for others the new secret is shown once. If the new key does not work it is deleted and the
    old one stays active.

    \b
    Example:
      awsroles users keys rotate bob --delete-old
      awsroles users keys rotate alice --keep-old
    """
    from awsroles.people import keys as userkeys

    config = _own_config(name)
    if config is not None and profile is None:  # your own key: your own credentials, no admin needed
        admin = _yourself(config)
    else:
        admin = _admin(app, profile)
        if config is not None and config.ops_account_id != admin.account:
            config = None
    if delete_old is None:
        delete_old = sys.stdin.isatty() and click.confirm("Delete the old key once the new one works?",
                                                          default=False, err=True)
    on_verified = (lambda key: _store_key(config, key.access_key_id, key.secret)) if config is not None else None
    try:
        result = userkeys.rotate(admin.iam, name, verify=userkeys.sts_verifier(admin.region),
                                 grace_delete=delete_old, on_verified=on_verified)
    except userkeys.RotationStopped as stopped:  # the new key works: its secret exists nowhere else
        admin.audit.record("users.keys.rotate", name, {"new_id": stopped.new.access_key_id, "stopped": stopped.failed,
                                                      "stored": config is not None})
        if config is None:
            app.render(_new_key(name, stopped.new.access_key_id, stopped.new.secret,
                                notes=[f"new access key for {name} works; the secret is shown this once:"]))
        raise
    admin.audit.record("users.keys.rotate", name,
                       {"new_id": result.new.access_key_id, "old_id": result.old_key_id,
                        "old_deleted": result.old_deleted, "stored": config is not None})
    if config is not None:
        from awsroles.cli.vending import make_vendor

        make_vendor().forget_mfa_session()  # it came from the old key: the next login uses the new one
        shown = _new_key(name, result.new.access_key_id, None,
                         notes=[f"new access key {result.new.access_key_id} works and is in your store"],
                         more={"OldAccessKeyId": result.old_key_id, "OldDeleted": result.old_deleted})
    else:
        shown = _new_key(name, result.new.access_key_id, result.new.secret,
                         notes=[f"new access key for {name} works; the secret is shown this once:"],
                         more={"OldAccessKeyId": result.old_key_id, "OldDeleted": result.old_deleted})
    if result.old_deleted:
        shown.notes.append(f"old key {result.old_key_id} deactivated and deleted")
    else:
        shown.notes.append(f"old key {result.old_key_id} is Inactive (kept for a grace period): delete it with "
                           f"`awsroles users keys delete {name} {result.old_key_id}`")
    app.render(shown)
    return ExitCode.OK


@click.command("delete")
@common_options
@click.argument("name", shell_complete=complete_users)
@click.argument("key_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--profile", metavar="NAME", help="AWS profile with ops (admin) credentials.")
@pass_app
def keys_delete(app: App, name: str, key_id: str, yes: bool, profile: str | None) -> int:
    """Delete NAME's access key KEY_ID.

    \b
    Example:
      awsroles users keys delete bob AKIAIOSFODNN7EXAMPLE --yes
    """
    from awsroles.people import keys as userkeys

    admin = _admin(app, profile)
    _confirm(f"Delete {name}'s access key {key_id}?", yes)
    userkeys.delete_key(admin.iam, name, key_id)
    admin.audit.record("users.keys.delete", name, {"id": key_id})
    app.render(Result({"UserName": name, "AccessKeyId": key_id, "Deleted": True},
                      notes=[f"deleted access key {key_id} of {name}"]))
    return ExitCode.OK

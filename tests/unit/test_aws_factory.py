"""awsroles.aws.for_org / for_credentials: the one way commands build an Aws (no network here:
a before-send hook stops every request and reports where it would go and how it is signed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from awsroles.aws import for_credentials, for_org
from awsroles.cli import run
from awsroles.cli.app import App
from awsroles.creds.model import Credentials
from awsroles.org.parse import load_org
from tests.conftest import EXAMPLES


class Sent(Exception):
    def __init__(self, url: str, key: str, region: str):
        super().__init__(url)
        self.url, self.key, self.region = url, key, region


def _stop(session: Any) -> None:
    def before_send(request: Any, **_: Any) -> None:
        auth = request.headers.get("Authorization", b"").decode()
        key, _day, region, *_ = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        raise Sent(request.url, key, region)

    session.register("before-send", before_send)


def _sent(aws: Any) -> Sent:
    with pytest.raises(Sent) as caught:
        aws.client("sts").get_caller_identity()
    return caught.value


@pytest.fixture
def no_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)


def test_the_region_asked_for_then_the_orgs_then_the_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    org = load_org(EXAMPLES / "classic.ini")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert for_org(org).base_session.region_name == org.region
    assert for_org(org, region="eu-west-3").base_session.region_name == "eu-west-3"
    assert for_org(None).base_session.region_name == "ap-south-1"


def test_a_profiles_region_when_there_is_no_org(no_region: None, isolated_environment: Path) -> None:
    config = isolated_environment / ".aws" / "config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[profile admin]\nregion = eu-central-1\n")
    assert for_org(None, "admin").base_session.region_name == "eu-central-1"


def test_no_region_anywhere_signs_as_botocore_does_for_global_endpoints(no_region: None) -> None:
    """A custom endpoint (the sandbox, a VPC endpoint) with no region configured: botocore alone
    cannot sign (NoRegionError); for_org takes the region botocore uses for the global endpoints."""
    sent = _sent(for_org(None, hooks=[_stop]))  # AWS_ENDPOINT_URL is set by tests/conftest.py
    assert sent.url.startswith("http://127.0.0.1:9")
    assert sent.region == "us-east-1"


def test_import_works_with_no_region_configured(no_region: None, tmp_path: Path) -> None:
    """It gets as far as AWS (unreachable here: exit 7), instead of failing for want of a region."""
    app = App(stdout=open(tmp_path / "out", "w"), stderr=open(tmp_path / "err", "w"))  # noqa: SIM115
    code = run(["import", "-O", "-", "--account", "dev=222222222222"], app)
    app.stderr.close()
    err = (tmp_path / "err").read_text()
    assert "region" not in err.lower(), err
    assert code == 7, err


def test_for_credentials_signs_with_those_keys_in_that_region() -> None:
    creds = Credentials("ASIAFACTORYTEST", "secret", "token")
    sent = _sent(for_credentials(creds, "eu-north-1", hooks=[_stop]))
    assert (sent.key, sent.region) == ("ASIAFACTORYTEST", "eu-north-1")
    assert for_credentials(creds, "eu-north-1").max_attempts == 3  # a person is waiting


def test_every_aws_reads_the_service_models_through_one_loader() -> None:
    """Models are parsed once per process (aws._shared_loader), accounts' sessions included; a
    service's name is checked in its own folder, and an unknown one is still refused by name."""
    import botocore.exceptions

    first = for_credentials(Credentials("AKIAFIRST", "secret", None), "us-east-1")
    second = for_credentials(Credentials("AKIASECOND", "secret", None), "eu-west-1")
    loader = first.base_session._session.get_component("data_loader")
    assert second.base_session._session.get_component("data_loader") is loader
    known = loader.list_available_services("service-2")
    assert "iam" in known and "sts" in known and "no-such-service" not in known and "ec2" in list(known)
    assert first.client("iam").meta.service_model.service_name == "iam"
    with pytest.raises(botocore.exceptions.UnknownServiceError, match=r"Valid service names are: .*\biam\b"):
        first.client("no-such-service")


def test_a_command_that_calls_aws_never_imports_boto3() -> None:
    """aws.py's promise: clients come from botocore alone, so no awsroles process pays for boto3.
    Every module is imported but the sandbox server's (moto, which runs in its own process, uses it)."""
    script = ("import importlib, pkgutil, sys\n"
              "import awsroles\n"
              "for m in pkgutil.walk_packages(awsroles.__path__, 'awsroles.'):\n"
              "    if not m.name.startswith(('awsroles.sandbox.server', 'awsroles.__main__')):\n"
              "        importlib.import_module(m.name)\n"
              "from awsroles.aws import Aws, AwsSettings\n"
              "aws = Aws(AwsSettings(region='us-east-1', endpoint_url='http://127.0.0.1:1'))\n"
              "aws.client('iam'); aws.client('organizations')\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 's3transfer')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    assert done.stdout.strip() == "[]"

"""Benchmark: the cached path of `awsroles credential-process` against awsume and the AWS CLI.

    .venv/bin/python bench/credential_process.py [--runs 30] [--write-docs]

`awsroles credential-process ENV --role ROLE` runs on every AWS CLI call, so its cache hit is the
hot path. This times whole processes (median and p90 of --runs runs after 3 warm-ups, the commands
taken in turn so drift hits them alike) and their peak RSS (GNU time's %M, in 5 separate runs):

- the floor: `python -c pass` with the interpreter running this script (the project's venv);
- awsroles, as the console script and as `python -m awsroles`, answering from a seeded fast cache
  (checked: the credential JSON comes out, and `-X importtime` shows neither boto3 nor botocore);
- the same for a person of an IAM Identity Center org (`identity = identity-center` in their user
  config, role sessions from the portal's GetRoleCredentials): the same fast cache answers;
- the same console script from a regular (non-editable) install in a plain venv, and that venv's
  `python -c pass`: the editable install's finder makes the project venv's floor twice as slow;
- awsume (PyPI), which caches only MFA sessions (GetSessionToken, in ~/.awsume/cache/
  aws-credentials-<source key id>), never role sessions: its offline cache hit is the MFA
  session of the source profile; the role profile, from that cached MFA session, always calls
  AssumeRole, answered here by a local stub (so that row is a lower bound of the real thing);
- the AWS CLI v1 (PyPI `awscli`, which vendors botocore as awscli.botocore): botocore resolving
  the cached assume-role profile from ~/.aws/cli/cache (the JSONFileCache the CLI installs), the
  CLI's own session set-up plus that resolution, and `aws sts get-caller-identity` against a
  local stub (the whole CLI; the stub checks that the cached role credentials signed the call);
- the same AWS CLI v1 for the Identity Center job: an sso-session profile (`sso_session`,
  `sso_account_id`, `sso_role_name`) whose sign-in is cached in ~/.aws/sso/cache/<sha1 of the
  session name>.json. The AWS CLI v1 keeps the role credentials GetRoleCredentials returns only in
  memory (the v2 adds a JSONFileCache on ~/.aws/cli/cache for its SSO provider, in
  awscli/customizations/sso; v1 has no such module): so botocore resolving the profile from that
  file cache, installed as v2 does and seeded (a lower bound, offline), and the CLI's session
  set-up plus the resolution as v1 really runs it, GetRoleCredentials answered by a local stub
  (which checks the cached sign-in's access token was sent).

Peers go into throwaway virtualenvs under $TMPDIR/awsroles-bench-venvs (kept, so a second run is
fast), built from the same interpreter. The rows that must not touch the network run with
AWS_ENDPOINT_URL=http://127.0.0.1:9, so an AWS call would fail the run loudly. Exit status 1 when
a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from awsroles.creds import userconfig  # noqa: E402
from awsroles.creds.fastcache import FastCache  # noqa: E402
from awsroles.creds.model import Credentials  # noqa: E402
from awsroles.creds.sso_token import SharedCache, SsoToken  # noqa: E402
from awsroles.creds.userconfig import IDENTITY_CENTER, RoleGrant, UserConfig  # noqa: E402
from bench.docs import write_section  # noqa: E402

VENVS = Path(tempfile.gettempdir()) / "awsroles-bench-venvs"
PEERS = {"awsume": "awsume==4.5.4", "awscli": "awscli==1.46.3"}  # the versions whose caches are seeded below
WARMUPS = 3
MEMORY_RUNS = 5
NO_NETWORK = "http://127.0.0.1:9"  # nothing listens: any AWS call fails the run

USER, OPS_ACCOUNT, PROD_ACCOUNT = "alice", "111111111111", "444444444444"
ROLE_ARN = f"arn:aws:iam::{PROD_ACCOUNT}:role/awsroles/admin"
MFA_SERIAL = f"arn:aws:iam::{OPS_ACCOUNT}:mfa/{USER}"
ROLE_KEY = "ASIAAWSROLESCACHED01"  # what awsroles has cached for prod/admin
CLI_ROLE_KEY = "ASIACLICACHEDROLE001"  # what the AWS CLI has cached for the same role
MFA_SESSION_KEY = "ASIAAWSUMEMFASESS001"  # awsume's cached MFA session
STUB_ROLE_KEY = "ASIASTUBASSUMEDROLE1"  # what the stub STS returns from AssumeRole
LONG_TERM_KEY = "AKIAOPSLONGTERMKEY01"
# Identity Center: the sign-in as `awsroles setup` names it (awsroles.creds.setup.session_name) and the AWS CLI's
# sso-session profile for the same role (the permission set `admin` in the prod account).
SSO_SESSION, SSO_REGION = "awsroles-bench", "us-east-1"
START_URL = "https://d-9067000000.awsapps.com/start"
SSO_ACCESS_TOKEN = "bench-sso-access-token"  # the cached sign-in (~/.aws/sso/cache)
IC_ROLE_KEY = "ASIAAWSROLESSSOCACHE"  # what awsroles has cached for prod/admin, through Identity Center
CLI_SSO_KEY = "ASIACLISSOCACHEDROLE"  # what the SSO provider's file cache holds for the same role
STUB_SSO_KEY = "ASIASTUBSSOROLECREDS"  # what the stub portal returns from GetRoleCredentials

AWS_CONFIG = f"""\
[profile ops]
region = us-east-1
mfa_serial = {MFA_SERIAL}

[profile prod-admin]
role_arn = {ROLE_ARN}
source_profile = ops
role_session_name = {USER}
region = us-east-1

[profile prod-admin-sso]
sso_session = {SSO_SESSION}
sso_account_id = {PROD_ACCOUNT}
sso_role_name = admin
region = us-east-1

[sso-session {SSO_SESSION}]
sso_start_url = {START_URL}
sso_region = {SSO_REGION}
sso_registration_scopes = sso:account:access
"""
AWS_CREDENTIALS = f"[ops]\naws_access_key_id = {LONG_TERM_KEY}\naws_secret_access_key = long-term-secret\n"

_PRINT = ('print(json.dumps({"Version": 1, "AccessKeyId": c.access_key, "SecretAccessKey": c.secret_key, '
          '"SessionToken": c.token}))\n')
CLI_RESOLVE = (
    "import json, os\n"
    "import awscli  # the alias that makes the CLI's vendored awscli.botocore importable as botocore\n"
    "import botocore.session\n"
    "from botocore.credentials import JSONFileCache\n"
    "session = botocore.session.Session(profile='prod-admin')\n"
    "provider = session.get_component('credential_provider').get_provider('assume-role')\n"
    "provider.cache = JSONFileCache(os.path.expanduser('~/.aws/cli/cache'))  # as awscli.customizations.assumerole\n"
    "c = session.get_credentials().get_frozen_credentials()\n" + _PRINT
)
CLI_SSO_RESOLVE = (
    "import json, os\n"
    "import awscli  # as above\n"
    "import botocore.session\n"
    "from botocore.credentials import JSONFileCache\n"
    "session = botocore.session.Session(profile='prod-admin-sso')\n"
    "provider = session.get_component('credential_provider').get_provider('sso')\n"
    "provider.cache = JSONFileCache(os.path.expanduser('~/.aws/cli/cache'))  # as the v2's awscli.customizations.sso\n"
    "c = session.get_credentials().get_frozen_credentials()\n" + _PRINT
)


def cli_session(profile: str) -> str:
    """The AWS CLI v1's own session set-up, then the profile's credentials, printed."""
    return (
        "import argparse, json\n"
        "from awscli.clidriver import create_clidriver\n"
        "driver = create_clidriver()\n"
        f"driver.session.set_config_variable('profile', {profile!r})\n"
        "driver._emit_session_event(argparse.Namespace(command='configure'))  # installs the assume-role file cache\n"
        "c = driver.session.get_credentials().get_frozen_credentials()\n" + _PRINT
    )


@dataclass
class Case:
    label: str
    argv: list[str]
    env: dict[str, str]
    expect: str  # must appear in stdout
    peer: str = ""  # "" for the floor and awsroles rows
    versus: Case | None = None  # a peer row: the awsroles row doing the same job ("awsroles faster by")
    editable: bool = False  # runs on the project venv (editable install); else on a plain venv
    walls: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def p90(self) -> float:
        ordered = sorted(self.walls)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]

    @property
    def rss(self) -> str:
        return f"{statistics.median(self.rss_kib) / 1024:.1f} MiB" if self.rss_kib else "n/a"


# --- the throwaway virtualenvs -------------------------------------------------------------------


def peer_venv(name: str, spec: str) -> tuple[Path, str]:
    """A venv holding ``spec`` (built once, reused while the spec is the same); its bin dir and version."""
    venv = VENVS / name
    stamp = venv / ".bench-installed"
    if not (stamp.is_file() and stamp.read_text() == spec):
        shutil.rmtree(venv, ignore_errors=True)
        print(f"building {venv} ({spec}) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", spec],
                             capture_output=True, text=True)
        if pip.returncode:
            sys.exit(f"pip install {spec} failed:\n{pip.stdout}{pip.stderr}")
        stamp.write_text(spec)
    version = subprocess.run([str(venv / "bin" / "python"), "-c",
                              f"import importlib.metadata as m; print(m.version({name!r}))"],
                             check=True, capture_output=True, text=True).stdout.strip()
    return venv / "bin", version


def installed_awsroles() -> Path:
    """awsroles as users get it: a regular (non-editable) install in a throwaway venv; its bin dir.

    The project's venv has an editable install, whose path finder is imported by site at every
    start, pathlib and re with it: that makes its `python -c pass` about twice as slow as a plain
    venv's, so the ratio to the floor is measured here as well. Built from a copy of the current
    source (no build files in the repo); reinstalled, without touching the dependencies, when the
    source changes.
    """
    venv = VENVS / "awsroles"
    stamp = venv / ".bench-installed"
    sources = sorted([*(REPO / "awsroles").rglob("*.py"), REPO / "setup.cfg", REPO / "pyproject.toml",
                      REPO / "bin" / "awsroles"])
    digest = hashlib.sha256(b"".join(str(p.relative_to(REPO)).encode() + p.read_bytes() for p in sources)).hexdigest()
    if stamp.is_file() and stamp.read_text() == digest:
        return venv / "bin"
    fresh = not (venv / "bin" / "awsroles").is_file()
    if fresh:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing the current awsroles into {venv} ...", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(REPO / "awsroles", src / "awsroles", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(REPO / "bin", src / "bin")  # the command (setup.cfg: scripts)
        for name in ("setup.cfg", "pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, src / name)
        pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                              *([] if fresh else ["--no-deps", "--force-reinstall"]), str(src)],
                             capture_output=True, text=True)
    if pip.returncode:
        sys.exit(f"pip install awsroles failed:\n{pip.stdout}{pip.stderr}")
    stamp.write_text(digest)
    return venv / "bin"


# --- a local STS and portal stub, for the rows that make a call --------------------------------


class StubSts(ThreadingHTTPServer):
    calls: list[tuple[str, str]]  # (Action, access key id that signed it; GetRoleCredentials: the access token)


class _StubHandler(BaseHTTPRequestHandler):
    server: StubSts

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        action = parse_qs(body).get("Action", [""])[0]
        signer = re.search(r"Credential=([A-Z0-9]+)/", self.headers.get("Authorization", ""))
        self.server.calls.append((action, signer.group(1) if signer else ""))
        ns = 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"'
        meta = "<ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata>"
        if action == "GetCallerIdentity":
            result = (f"<Arn>arn:aws:sts::{PROD_ACCOUNT}:assumed-role/admin/{USER}</Arn>"
                      f"<UserId>AROASTUB:{USER}</UserId><Account>{PROD_ACCOUNT}</Account>")
        elif action == "AssumeRole":
            expiry = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            result = (f"<Credentials><AccessKeyId>{STUB_ROLE_KEY}</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
                      f"<SessionToken>t</SessionToken><Expiration>{expiry}</Expiration></Credentials>"
                      f"<AssumedRoleUser><AssumedRoleId>AROASTUB:{USER}</AssumedRoleId>"
                      f"<Arn>arn:aws:sts::{PROD_ACCOUNT}:assumed-role/admin/{USER}</Arn></AssumedRoleUser>")
        else:
            self.send_error(400, f"the stub does not answer {action!r}")
            return
        self._reply(f"<{action}Response {ns}><{action}Result>{result}</{action}Result>{meta}</{action}Response>",
                    "text/xml")

    def do_GET(self) -> None:
        """The portal's GetRoleCredentials: ``GET /federation/credentials?account_id=&role_name=``, the
        sign-in's access token in ``x-amz-sso_bearer_token``."""
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        self.server.calls.append(("GetRoleCredentials", self.headers.get("x-amz-sso_bearer_token", "")))
        if url.path != "/federation/credentials" or query != {"account_id": [PROD_ACCOUNT], "role_name": ["admin"]}:
            self.send_error(400, f"the stub does not answer GET {self.path}")
            return
        expiry_ms = int((time.time() + 3600) * 1000)
        self._reply(json.dumps({"roleCredentials": {"accessKeyId": STUB_SSO_KEY, "secretAccessKey": "s",
                                                    "sessionToken": "t", "expiration": expiry_ms}}),
                    "application/json")

    def _reply(self, text: str, content_type: str) -> None:
        payload = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@contextmanager
def stub_sts() -> Iterator[StubSts]:
    server = StubSts(("127.0.0.1", 0), _StubHandler)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- seeding the caches ------------------------------------------------------------------------


def seed_awsroles(env: Mapping[str, str]) -> None:
    """A user config granting prod/admin and a fast-cache entry for it, as tests/unit/test_creds_local.py does."""
    config = UserConfig(user_name=USER, user_arn=f"arn:aws:iam::{OPS_ACCOUNT}:user/awsroles/{USER}",
                        ops_account_id=OPS_ACCOUNT, org_name="bench", mfa_serial=MFA_SERIAL,
                        grants=(RoleGrant("prod", "admin", PROD_ACCOUNT, ROLE_ARN, 3600),))
    _seed(env, config, ROLE_KEY)


def seed_awsroles_identity_center(env: Mapping[str, str]) -> None:
    """The same for a person of an IAM Identity Center org, as `awsroles setup` writes it
    (awsroles.creds.setup.setup_identity_center): no IAM user or ops account, the sign-in's start URL,
    region and name, and a grant naming its permission set; the fast-cache entry as
    awsroles.creds.sso_vend leaves it after GetRoleCredentials."""
    config = UserConfig(user_name=USER, user_arn="", ops_account_id="", org_name="bench", mfa_required=False,
                        identity=IDENTITY_CENTER, start_url=START_URL, sso_region=SSO_REGION, sso_session=SSO_SESSION,
                        grants=(RoleGrant("prod", "admin", PROD_ACCOUNT, "", 3600, permission_set="admin"),))
    path = _seed(env, config, IC_ROLE_KEY)
    if not userconfig.load(path).identity_center:
        sys.exit(f"{path}: not read back as an Identity Center user config")


def _seed(env: Mapping[str, str], config: UserConfig, access_key: str) -> Path:
    path = userconfig.save(config, userconfig.config_path(env))
    expiry = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    FastCache.default(env, org="bench").put(
        "prod", "admin", f"role/{PROD_ACCOUNT}/admin/{USER}",  # awsroles.creds.vend.Vendor.role_session_name
        Credentials(access_key, "cached-secret", "cached-token", expiry))
    return path


def seed_peers(home: Path) -> None:
    aws = home / ".aws"
    (aws / "cli" / "cache").mkdir(parents=True)
    (aws / "config").write_text(AWS_CONFIG)
    (aws / "credentials").write_text(AWS_CREDENTIALS)
    # awsume: the MFA session of the source profile (awsumepy/lib/cache.py: naive local time, no T).
    awsume_cache = home / ".awsume" / "cache"
    awsume_cache.mkdir(parents=True, mode=0o700)
    local_expiry = (datetime.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    (awsume_cache / f"aws-credentials-{LONG_TERM_KEY}").write_text(json.dumps(
        {"AccessKeyId": MFA_SESSION_KEY, "SecretAccessKey": "mfa-secret", "SessionToken": "mfa-token",
         "Expiration": local_expiry, "Region": "us-east-1"}))
    # The AWS CLI: botocore's BaseAssumeRoleCredentialFetcher._create_cache_key: sha1 of the sorted JSON of
    # the AssumeRole arguments (RoleArn, and RoleSessionName when the profile sets it), ":" and "/" made safe.
    args = json.dumps({"RoleArn": ROLE_ARN, "RoleSessionName": USER}, sort_keys=True)
    key = hashlib.sha1(args.encode()).hexdigest().replace(":", "_").replace("/", "_")
    expiry = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (aws / "cli" / "cache" / f"{key}.json").write_text(json.dumps(
        {"Credentials": {"AccessKeyId": CLI_ROLE_KEY, "SecretAccessKey": "cli-secret", "SessionToken": "cli-token",
                         "Expiration": expiry},
         "AssumedRoleUser": {"AssumedRoleId": f"AROAEXAMPLE:{USER}",
                             "Arn": f"arn:aws:sts::{PROD_ACCOUNT}:assumed-role/admin/{USER}"}}))
    seed_cli_sso(aws)


def seed_cli_sso(aws: Path) -> None:
    """The sso-session profile's sign-in and role credentials, where botocore looks for them.

    The sign-in: ~/.aws/sso/cache/<sha1 of the session name>.json (botocore's SSOTokenProvider), written by
    awsroles' own SharedCache (the format `aws sso login` and `awsroles setup --share-sso-login` share), 8 hours
    left so nothing refreshes it. The role credentials: the SSO provider's cache entry, keyed by
    SSOCredentialFetcher._create_cache_key: sha1 of the minified, sorted JSON of accountId, roleName and
    sessionName (startUrl instead for a profile without an sso-session), ":" and "/" made safe. Only the file
    cache the AWS CLI v2 installs reads it; the v1 keeps them in memory and asks the portal every time.
    """
    now = datetime.now(timezone.utc).replace(microsecond=0)
    SharedCache(aws / "sso" / "cache").write(SSO_SESSION, SsoToken(
        start_url=START_URL, region=SSO_REGION, access_token=SSO_ACCESS_TOKEN, expires_at=now + timedelta(hours=8),
        refresh_token="bench-refresh-token", client_id="bench-client", client_secret="bench-client-secret",
        registration_expires_at=now + timedelta(days=90)))
    args = json.dumps({"accountId": PROD_ACCOUNT, "roleName": "admin", "sessionName": SSO_SESSION},
                      sort_keys=True, separators=(",", ":"))
    key = hashlib.sha1(args.encode()).hexdigest().replace(":", "_").replace("/", "_")
    expiry = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (aws / "cli" / "cache" / f"{key}.json").write_text(json.dumps(
        {"ProviderType": "sso",
         "Credentials": {"AccessKeyId": CLI_SSO_KEY, "SecretAccessKey": "cli-sso-secret",
                         "SessionToken": "cli-sso-token", "Expiration": expiry, "AccountId": PROD_ACCOUNT}}))


# --- measuring ---------------------------------------------------------------------------------


def run_once(case: Case, out: Path, prefix: Sequence[str] = ()) -> tuple[float, str]:
    """Wall time and stdout of one run; exits on a failure (an STS call would be one)."""
    with open(out, "w+b") as stdout, open(out.with_suffix(".err"), "w+b") as stderr:
        start = time.perf_counter()
        code = subprocess.call([*prefix, *case.argv], stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                               env=case.env)
        wall = time.perf_counter() - start
        stdout.seek(0)
        stderr.seek(0)
        text, err = stdout.read().decode(), stderr.read().decode()
    if code != 0 or case.expect not in text:
        sys.exit(f"{case.label}: exit {code}, expected {case.expect!r} in stdout\n"
                 f"stdout: {text[:500]}\nstderr: {err[-1500:]}")
    return wall, text


def measure(cases: Sequence[Case], runs: int, scratch: Path) -> None:
    """Wall times: the commands in turn, so that drift and noise hit every row alike."""
    for i in range(WARMUPS + runs):
        for n, case in enumerate(cases):
            wall, _ = run_once(case, scratch / f"out{n}")
            if i >= WARMUPS:
                case.walls.append(wall)


def measure_memory(cases: Sequence[Case], runs: int, scratch: Path) -> bool:
    """Peak RSS through GNU time (%M), apart from the timed runs.

    Not ru_maxrss from wait4 here: a child forked from this (large) process keeps the parent's
    high-water mark across exec, so every row would read as this script's own size.
    """
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.is_file():
        return False
    report = scratch / "rss"
    for _ in range(runs):
        for n, case in enumerate(cases):
            run_once(case, scratch / f"mem{n}", [str(gnu_time), "-f", "%M", "-o", str(report)])
            case.rss_kib.append(int(report.read_text().split()[-1]))
    return True


def import_profile(argv: Sequence[str], env: Mapping[str, str], repeat: int = 5) -> dict[str, tuple[float, float, int]]:
    """``-X importtime`` of a command: module -> (median self ms, median cumulative ms, depth)."""
    samples: dict[str, list[tuple[int, int, int]]] = {}
    for _ in range(repeat):
        result = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], capture_output=True, text=True,
                                env=dict(env), check=True)
        for line in result.stderr.splitlines():
            match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
            if match:
                self_us, cumulative_us, indent, name = match.groups()
                samples.setdefault(name, []).append((int(self_us), int(cumulative_us), len(indent) // 2))
    return {name: (statistics.median(s[0] for s in values) / 1000, statistics.median(s[1] for s in values) / 1000,
                   values[0][2]) for name, values in samples.items()}


# --- the report --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per command, after 3 warm-ups")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    began = time.perf_counter()

    python = Path(sys.executable)
    console_script = python.parent / "awsroles"
    if not console_script.is_file():
        sys.exit(f"no awsroles console script next to {python}: run this with the project's venv python")
    awsume_bin, awsume_version = peer_venv("awsume", PEERS["awsume"])
    cli_bin, cli_version = peer_venv("awscli", PEERS["awscli"])
    wheel_bin = installed_awsroles()

    with tempfile.TemporaryDirectory(prefix="awsroles-bench-") as tmp, stub_sts() as stub:
        root = Path(tmp)
        home, scratch = root / "home", root / "out"
        for d in (home, scratch, root / "run", root / "run-ic"):
            d.mkdir(mode=0o700)
        # A clean environment for every row: no PYTHONDONTWRITEBYTECODE and the like, no XDG_* overrides.
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(home)}
        ours = {**base, "AWSROLES_CONFIG_DIR": str(root / "awsroles"), "XDG_RUNTIME_DIR": str(root / "run")}
        # No $XDG_RUNTIME_DIR (ssh, containers, sudo -u, CI): the key in a private folder on the real
        # /dev/shm (a fresh one under it, so no real key is touched), as awsroles does by default there.
        shm = Path(tempfile.mkdtemp(prefix="awsroles-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None))
        ours_shm = {**base, "AWSROLES_CONFIG_DIR": str(root / "awsroles-shm"), "AWSROLES_SHM_DIR": str(shm)}
        ours_ic = {**base, "AWSROLES_CONFIG_DIR": str(root / "awsroles-ic"), "XDG_RUNTIME_DIR": str(root / "run-ic")}
        aws = {**base, "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
               "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"), "AWS_EC2_METADATA_DISABLED": "true"}
        offline = {**aws, "AWS_ENDPOINT_URL": NO_NETWORK}
        stubbed = {**aws, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{stub.server_address[1]}"}
        seed_awsroles(ours)
        seed_awsroles(ours_shm)
        seed_awsroles_identity_center(ours_ic)
        seed_peers(home)

        ours_argv = ["credential-process", "prod", "--role", "admin", "--org", "bench"]  # as profiles sync writes it
        floor = Case("project venv: `python -c pass` (its floor)", [str(python), "-c", "pass"], base, "",
                     editable=True)
        script = Case("project venv: `awsroles credential-process prod --role admin`",
                      [str(console_script), *ours_argv], ours, ROLE_KEY, editable=True)
        module = Case("project venv: `python -m awsroles credential-process prod --role admin`",
                      [str(python), "-m", "awsroles", *ours_argv], ours, ROLE_KEY, editable=True)
        plain = Case("regular install: `python -c pass` (its floor)", [str(wheel_bin / "python"), "-c", "pass"], base,
                     "")
        installed = Case("regular install: `awsroles credential-process prod --role admin`",
                         [str(wheel_bin / "awsroles"), *ours_argv], ours, ROLE_KEY)
        script_shm = Case("project venv, no $XDG_RUNTIME_DIR (key in /dev/shm): `awsroles credential-process ...`",
                          [str(console_script), *ours_argv], ours_shm, ROLE_KEY, editable=True)
        installed_shm = Case(
            "regular install, no $XDG_RUNTIME_DIR (key in /dev/shm): `awsroles credential-process ...`",
            [str(wheel_bin / "awsroles"), *ours_argv], ours_shm, ROLE_KEY)
        ic_script = Case("project venv, Identity Center sign-in: `awsroles credential-process prod --role admin`",
                         [str(console_script), *ours_argv], ours_ic, IC_ROLE_KEY, editable=True)
        ic_installed = Case("regular install, Identity Center sign-in: `awsroles credential-process prod --role admin`",
                            [str(wheel_bin / "awsroles"), *ours_argv], ours_ic, IC_ROLE_KEY)
        cli_sso = "AWS CLI, sso-session profile"
        cases = [
            floor, script, module, plain, installed, script_shm, installed_shm, ic_script, ic_installed,
            Case("awsume: `awsumepy ops -s`, cached MFA session, no network",
                 [str(awsume_bin / "awsumepy"), "ops", "-s"], offline, MFA_SESSION_KEY, peer="awsume", versus=script),
            Case("awsume: `awsumepy prod-admin -s`, cached MFA session + AssumeRole (local stub)",
                 [str(awsume_bin / "awsumepy"), "prod-admin", "-s"], stubbed, STUB_ROLE_KEY, peer="awsume",
                 versus=script),
            Case("AWS CLI v1: botocore resolves the cached assume-role profile, no network",
                 [str(cli_bin / "python"), "-c", CLI_RESOLVE], offline, CLI_ROLE_KEY, peer="AWS CLI", versus=script),
            Case("AWS CLI v1: CLI session set-up + the same resolution, no network",
                 [str(cli_bin / "python"), "-c", cli_session("prod-admin")], offline, CLI_ROLE_KEY, peer="AWS CLI",
                 versus=script),
            Case("AWS CLI v1: `aws sts get-caller-identity --profile prod-admin` (local stub)",
                 [str(cli_bin / "aws"), "sts", "get-caller-identity", "--profile", "prod-admin"], stubbed,
                 PROD_ACCOUNT, peer="AWS CLI", versus=script),
            Case("AWS CLI v1, Identity Center: botocore resolves the sso-session profile from the file cache the "
                 "AWS CLI v2 installs (v1 has none), no network",
                 [str(cli_bin / "python"), "-c", CLI_SSO_RESOLVE], offline, CLI_SSO_KEY, peer=cli_sso,
                 versus=ic_script),
            Case("AWS CLI v1, Identity Center: CLI session set-up + the sso-session profile, cached sign-in, "
                 "GetRoleCredentials (local stub: v1 keeps role credentials in memory only)",
                 [str(cli_bin / "python"), "-c", cli_session("prod-admin-sso")], stubbed, STUB_SSO_KEY, peer=cli_sso,
                 versus=ic_script),
        ]
        for case in (script, module, installed, script_shm, installed_shm, ic_script, ic_installed):
            data = json.loads(run_once(case, scratch / "check")[1])  # the credential_process JSON, Version 1
            if data.get("Version") != 1 or data.get("AccessKeyId") != case.expect or "Expiration" not in data:
                sys.exit(f"{case.label}: not the credential_process JSON: {sorted(data)}")
        measure(cases, args.runs, scratch)
        if not measure_memory(cases, MEMORY_RUNS, scratch):
            print("no /usr/bin/time (apt package `time`): peak RSS not measured", file=sys.stderr)
        calls = list(stub.calls)

        # What the stub saw, once per run of each row: awsume's AssumeRole signed with its cached MFA session;
        # the CLI's one STS call signed with the cached role credentials (so no AssumeRole of its own); the CLI's
        # GetRoleCredentials with the cached sign-in's access token (so no sign-in of its own). Nothing else.
        each = WARMUPS + args.runs + (MEMORY_RUNS if floor.rss_kib else 0)
        expected = Counter({("AssumeRole", MFA_SESSION_KEY): each, ("GetCallerIdentity", CLI_ROLE_KEY): each,
                            ("GetRoleCredentials", SSO_ACCESS_TOKEN): each})
        if Counter(calls) != expected:
            sys.exit(f"the stub saw unexpected calls: {sorted(Counter(calls).items())}")

        # The hot path must not import boto3 or botocore, however awsroles is started.
        profiles = {label: import_profile(argv, ours) for label, argv in
                    (("console script", [str(python), str(console_script), *ours_argv]),
                     ("-m", [str(python), "-m", "awsroles", *ours_argv]),
                     ("regular install", [str(wheel_bin / "python"), str(wheel_bin / "awsroles"), *ours_argv]))}
        profiles["no runtime dir"] = import_profile([str(python), str(console_script), *ours_argv], ours_shm)
        profiles["identity center"] = import_profile([str(python), str(console_script), *ours_argv], ours_ic)
        profiles["identity center, regular install"] = import_profile(
            [str(wheel_bin / "python"), str(wheel_bin / "awsroles"), *ours_argv], ours_ic)
        shutil.rmtree(shm, ignore_errors=True)
        heavy = sorted({m for p in profiles.values() for m in p if m.split(".")[0] in ("boto3", "botocore")})
        if heavy:
            sys.exit(f"the cached credential-process imported {heavy}")
        plain_floor = import_profile([str(wheel_bin / "python"), "-c", "pass"], base)

    # The targets (issues 13 and 17): within 1.5x of `python -c pass` in the README's install (the project venv,
    # editable), within 2x on a regular install; with and without $XDG_RUNTIME_DIR; through Identity Center too.
    limits = [(script, floor, "console script", 1.5), (module, floor, "`python -m awsroles`", 1.5),
              (script_shm, floor, "console script", 1.5), (ic_script, floor, "console script", 1.5),
              (installed, plain, "console script", 2.0), (installed_shm, plain, "console script", 2.0),
              (ic_installed, plain, "console script", 2.0)]
    report, passed = render(cases, (floor, plain), limits, profiles["regular install"], plain_floor, awsume_version,
                            cli_version, args.runs)
    print(report)
    print(f"\n(total {time.perf_counter() - began:.0f} s)")
    if args.write_docs:
        _write_docs(report)
    sys.exit(0 if passed else 1)


def render(cases: Sequence[Case], floors: tuple[Case, Case], limits: Sequence[tuple[Case, Case, str, float]],
           hot: Mapping[str, tuple[float, float, int]], floor_modules: Mapping[str, tuple[float, float, int]],
           awsume_version: str, cli_version: str, runs: int) -> tuple[str, bool]:
    floor, plain = floors
    peers = list(dict.fromkeys(c.peer for c in cases if c.peer))
    best = {peer: min((c for c in cases if c.peer == peer), key=lambda c: c.median) for peer in peers}
    table = ["| command (cache hit) | median | p90 | peak RSS | vs its floor | awsroles faster by |",
             "|---|---|---|---|---|---|"]
    for case in cases:
        faster = f"{case.median / case.versus.median:.1f}x" if case.versus else ""
        base = floor if case.editable else plain
        table.append(f"| {case.label} | {case.median * 1000:.1f} ms | {case.p90 * 1000:.1f} ms | "
                     f"{case.rss} | {case.median / base.median:.1f}x | {faster} |")

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    def label(case: Case) -> str:
        return case.label.split(":")[0]

    # The targets (issues 13 and 17), as main lists them; each peer's fastest row against the awsroles row doing
    # the same job.
    checks = [(f"{label(case)}, {how}: within {limit:g}x of its floor: {case.median / base.median:.2f}x",
               case.median <= limit * base.median) for case, base, how, limit in limits]
    for peer, case in best.items():
        ours = case.versus
        assert ours is not None  # every peer row names the awsroles row doing its job
        checks.append((f"at least 4x faster than {peer} (its fastest row; awsroles: {label(ours)}): "
                       f"{case.median / ours.median:.1f}x", case.median >= 4 * ours.median))
    targets = [f"- {verdict(ok)}: {text}" for text, ok in checks]

    extra = {name: v for name, v in hot.items() if name not in floor_modules}
    top_level = sorted(((n, v) for n, v in extra.items() if v[2] == 0), key=lambda item: -item[1][1])
    by_self = sorted(extra.items(), key=lambda item: -item[1][0])[:8]
    imports = [f"Imports beyond the floor on the hot path, regular install (`-X importtime`, median of 5, inflated by "
               "the tracing): "
               f"{len(extra)} modules, {sum(v[0] for v in extra.values()):.1f} ms in all. "
               "Top level, cumulative: " + ", ".join(f"`{n}` {v[1]:.1f} ms" for n, v in top_level[:6]) + ". "
               "Most expensive by themselves: " + ", ".join(f"`{n}` {v[0]:.1f} ms" for n, v in by_self) + "."]
    report = "\n".join([
        f"{runs} runs per command after {WARMUPS} warm-ups, taken in turn; awsume {awsume_version}, "
        f"awscli {cli_version}, every command on the same interpreter. \"vs its floor\": the project venv rows "
        "against the project venv's `python -c pass`, every other row (all in plain venvs) against a plain venv's; "
        "\"awsroles faster by\": against the project venv's console script (the Identity Center peer rows: against "
        "its Identity Center row). "
        f"Peak RSS: median of {MEMORY_RUNS} separate runs under GNU time (%M).",
        "", *table, "", *targets, "", *imports,
    ])
    return report, all(ok for _, ok in checks)


def _write_docs(report: str) -> None:
    write_section("credential_process", report)


if __name__ == "__main__":
    main()

"""AWS console URLs: federated sign-in from temporary credentials.

Federated sign-in follows "Enable custom identity broker access to the AWS console" (IAM User
Guide): ``GET {federation}?Action=getSigninToken&Session={"sessionId", "sessionKey",
"sessionToken"}`` returns ``{"SigninToken": ...}``, and ``{federation}?Action=login&Issuer=...
&Destination=...&SigninToken=...`` signs the browser in. The sign-in URL is valid for 15 minutes
and is itself a credential: treat it like one.

**SessionDuration.** The console session lasts as long as the credentials unless
``SessionDuration`` (900 to 43,200 seconds) is sent. AWS documents it only for credentials from an
``AssumeRole*`` call made with an IAM user's *long-term* keys; with ``GetFederationToken``
credentials the request fails, and for roles assumed with temporary credentials (role chaining:
awsroles' usual path, a role assumed from the MFA session) the federation call is documented to
fail too. So :func:`signin_url` sends it only when asked (``duration``), checks the range, and
otherwise leaves the console session to the credentials' own expiry, which always works.

**Secrets.** The session JSON travels only in the one request to the federation endpoint, over
HTTPS (plain HTTP is accepted for loopback test endpoints only). Errors name the HTTP status and
the endpoint's host, never the request URL or the response body, and are raised outside the
``except`` block so that no exception holding the URL is chained to them.

**No switch-role link.** The console's "Switch role" page assumes a role without setting a source
identity, and every awsroles trust policy requires ``sts:SourceIdentity`` to be the caller's IAM
user name, so AWS refuses every such switch. awsroles offers only the federated sign-in above: its
role session comes from awsroles, with the source identity set.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from awsroles.creds.model import Credentials
from awsroles.errors import AwsrolesError, UsageError

MIN_SESSION_DURATION = 900
MAX_SESSION_DURATION = 43200
TIMEOUT = 15.0


@dataclass(frozen=True)
class PartitionEndpoints:
    """Where a partition signs in and where its console lives."""

    signin: str  # scheme and host, no trailing slash
    console: str  # with a trailing slash

    @property
    def federation(self) -> str:
        return f"{self.signin}/federation"


PARTITIONS: dict[str, PartitionEndpoints] = {
    "aws": PartitionEndpoints("https://signin.aws.amazon.com", "https://console.aws.amazon.com/"),
    "aws-us-gov": PartitionEndpoints("https://signin.amazonaws-us-gov.com", "https://console.amazonaws-us-gov.com/"),
    "aws-cn": PartitionEndpoints("https://signin.amazonaws.cn", "https://console.amazonaws.cn/"),
}



class ConsoleSigninError(AwsrolesError):
    """The federation endpoint did not give a sign-in token. Never carries the session."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


def endpoints(partition: str) -> PartitionEndpoints:
    try:
        return PARTITIONS[partition]
    except KeyError:
        raise UsageError(f"unknown partition {partition!r} (known: {', '.join(PARTITIONS)})") from None


def console_home(partition: str = "aws", region: str | None = None) -> str:
    """The console's home page, optionally in ``region``."""
    base = endpoints(partition).console
    if region is None:
        return base
    return f"{base}console/home?{urllib.parse.urlencode({'region': region})}"


_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def destination(partition: str = "aws", *, region: str | None = None, service: str | None = None,
                path: str | None = None) -> str:
    """Where the console opens: a ``path`` under the partition's console (``/cloudwatch/home#alarms``,
    or a whole console URL), else ``service``'s home (``s3``, ``ec2``, ...), else the console's
    home, in ``region`` when given. Anything that would leave the partition's console is refused:
    the sign-in URL must never send a signed-in browser elsewhere."""
    home = endpoints(partition).console  # "https://console.aws.amazon.com/"
    if region is not None and not _REGION.fullmatch(region):
        raise UsageError(f"{region!r} is not an AWS region name (like eu-west-1)")
    if path is not None:
        if service is not None:
            raise UsageError("give --service or --destination, not both")
        parts = urllib.parse.urlsplit(path if "://" in path else urllib.parse.urljoin(home, path.lstrip("/")))
        allowed = urllib.parse.urlsplit(home).hostname or ""
        host = parts.hostname or ""
        if parts.scheme != "https" or not (host == allowed or host.endswith("." + allowed)):
            raise UsageError(f"--destination must be a page of the AWS console ({home}), not {path!r}")
        url = urllib.parse.urlunsplit(parts)
        if region is not None and "region=" not in parts.query:
            url = _with_region(url, region)
        return url
    if service is not None:
        if not _SERVICE.fullmatch(service):
            raise UsageError(f"{service!r} is not a console service name (like s3, ec2, iam)")
        return _with_region(f"{home}{service}/home", region) if region else f"{home}{service}/home"
    return console_home(partition, region)


def _with_region(url: str, region: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [*urllib.parse.parse_qsl(parts.query), ("region", region)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _check_endpoint(endpoint: str) -> str:
    """HTTPS, or HTTP to a loopback address (a test double); returns the host for messages."""
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return host
    if parts.scheme == "http":
        try:
            if ipaddress.ip_address(host).is_loopback:
                return host
        except ValueError:
            pass
    raise UsageError(f"the federation endpoint must be an https:// URL (got {parts.scheme}://{host})")


def _default_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener()


def signin_token(
    credentials: Credentials,
    *,
    duration: int | None = None,
    endpoint: str | None = None,
    partition: str = "aws",
    opener: urllib.request.OpenerDirector | None = None,
    timeout: float = TIMEOUT,
) -> str:
    """Exchange temporary credentials for a console sign-in token (``getSigninToken``)."""
    if not credentials.session_token:
        raise UsageError("console sign-in needs temporary credentials (a session token); long-term keys cannot sign in")
    if duration is not None and not MIN_SESSION_DURATION <= duration <= MAX_SESSION_DURATION:
        raise UsageError(
            f"console session duration must be between {MIN_SESSION_DURATION} and {MAX_SESSION_DURATION} "
            f"seconds (got {duration})"
        )
    federation = endpoint or endpoints(partition).federation
    host = _check_endpoint(federation)
    session = json.dumps({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key,
        "sessionToken": credentials.session_token,
    })
    query: dict[str, str] = {"Action": "getSigninToken"}
    if duration is not None:
        query["SessionDuration"] = str(duration)
    query["Session"] = session
    request = urllib.request.Request(
        f"{federation}?{urllib.parse.urlencode(query)}", headers={"Accept": "application/json"}
    )

    # Every failure is turned into a message inside the except blocks and raised after them, so the
    # urllib exception (which holds the URL, and with it the session) is not chained to ours.
    failure: str | None = None
    status: int | None = None
    body = b""
    try:
        with (opener or _default_opener()).open(request, timeout=timeout) as response:
            status = response.status
            body = response.read(65536)
    except urllib.error.HTTPError as e:
        status = e.code
        failure = f"getSigninToken at {host} failed: HTTP {e.code} {e.reason}"
        e.close()
    except urllib.error.URLError as e:
        reason = e.reason.strerror if isinstance(e.reason, OSError) and e.reason.strerror else type(e.reason).__name__
        failure = f"cannot reach {host} for console sign-in: {reason}"
    except TimeoutError:
        failure = f"{host} did not answer within {timeout:g}s"
    except OSError as e:
        failure = f"cannot reach {host} for console sign-in: {e.strerror or type(e).__name__}"
    except http.client.HTTPException as e:
        failure = f"getSigninToken at {host} failed: {type(e).__name__}"
    del request, session
    if failure is not None:
        raise ConsoleSigninError(failure, status=status)
    if status != 200:
        raise ConsoleSigninError(f"getSigninToken at {host} failed: HTTP {status}", status=status)

    token: object = None
    try:
        token = json.loads(body.decode("utf-8")).get("SigninToken")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise ConsoleSigninError(f"getSigninToken at {host} answered without a SigninToken", status=status)
    return token


def login_url(
    token: str,
    *,
    destination: str | None = None,
    issuer: str | None = "awsroles",
    endpoint: str | None = None,
    partition: str = "aws",
) -> str:
    """The ``Action=login`` URL for a sign-in token (valid for 15 minutes)."""
    federation = endpoint or endpoints(partition).federation
    _check_endpoint(federation)
    query: dict[str, str] = {"Action": "login"}
    if issuer:
        query["Issuer"] = issuer
    query["Destination"] = destination or endpoints(partition).console
    query["SigninToken"] = token
    return f"{federation}?{urllib.parse.urlencode(query)}"


def signin_url(
    credentials: Credentials,
    *,
    destination: str | None = None,
    issuer: str | None = "awsroles",
    duration: int | None = None,
    endpoint: str | None = None,
    partition: str = "aws",
    opener: urllib.request.OpenerDirector | None = None,
    timeout: float = TIMEOUT,
) -> str:
    """A URL that signs a browser into the console with ``credentials`` (temporary ones).

    ``destination`` defaults to the partition's console home, ``endpoint`` to the partition's
    federation endpoint (``https://signin.aws.amazon.com/federation`` for ``aws``).
    ``duration``: see the module docstring; None (the default) omits ``SessionDuration``.
    ``opener`` is a :class:`urllib.request.OpenerDirector` (tests pass their own).
    """
    token = signin_token(
        credentials, duration=duration, endpoint=endpoint, partition=partition, opener=opener, timeout=timeout
    )
    return login_url(token, destination=destination, issuer=issuer, endpoint=endpoint, partition=partition)


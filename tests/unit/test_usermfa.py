"""usermfa and userkeys without AWS: the otpauth URI, the QR code, and secrets kept out of reprs."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from awsroles.errors import UsageError
from awsroles.people.keys import NewKey, RotateResult
from awsroles.people.mfa import Enrolment, otpauth_uri, qr_text, write_qr

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_otpauth_uri_follows_the_key_uri_format() -> None:
    uri = otpauth_uri(SEED, "bob", "AWS classic")
    assert uri == f"otpauth://totp/AWS%20classic:bob?secret={SEED}&issuer=AWS%20classic"
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parse_qs(parts.query) == {"secret": [SEED], "issuer": ["AWS classic"]}
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP) and parsed.secret == SEED and parsed.name == "bob"
    assert parsed.issuer == "AWS classic"


def test_qr_text_is_a_block_drawing() -> None:
    text = qr_text(otpauth_uri(SEED, "bob"))
    lines = text.splitlines()
    assert len(lines) > 10 and all(lines)
    assert set(text) <= set("█▀▄ \n")
    assert SEED not in text


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_write_qr_png_and_svg_private(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = write_qr(otpauth_uri(SEED, "bob"), tmp_path / f"bob{suffix}")
    assert path.read_bytes().startswith(magic)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_write_qr_refuses_other_suffixes(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.png or \.svg"):
        write_qr("otpauth://totp/x", tmp_path / "bob.jpg")


def test_reprs_hide_secrets() -> None:
    uri = otpauth_uri(SEED, "bob")
    enrolment = Enrolment("arn:aws:iam::111111111111:mfa/bob", uri, SEED)
    key = NewKey("AKIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    for text in (repr(enrolment), str(enrolment), repr(key), repr(RotateResult(key, "AKIAOLD", True))):
        assert SEED not in text and "wJalrXUtnFEMI" not in text and "otpauth" not in text
    assert "arn:aws:iam::111111111111:mfa/bob" in repr(enrolment) and "AKIAEXAMPLE" in repr(key)

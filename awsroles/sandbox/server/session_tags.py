"""``AssumeRole``'s session tags, checked as STS checks them: moto takes any and keeps none.

STS API Reference, "Tag" (https://docs.aws.amazon.com/STS/latest/APIReference/API_Tag.html): a
key is 1 to 128 characters, a value 0 to 256, both of ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]`` (letters,
separators such as spaces, numbers, and ``_ . : / = + - @``); "AssumeRole"
(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html): at most 50 tags. A
request that breaks one is refused with ``ValidationError``, nothing issued. (``awsroles login
--break-glass`` passes its reason as the tag ``awsroles:reason`` and checks it first; this is how
the sandbox shows what AWS would answer to anything else.)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

KEY_MAX, VALUE_MAX, TAGS_MAX = 128, 256, 50
PUNCTUATION = "_.:/=+-@"


def _allowed(char: str) -> bool:
    return unicodedata.category(char)[0] in "LZN" or char in PUNCTUATION


def tags_problem(tags: Sequence[tuple[str, str]]) -> str | None:
    """What STS would say about these (key, value) session tags, or None when it takes them."""
    if len(tags) > TAGS_MAX:
        return f"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have " \
               f"length less than or equal to {TAGS_MAX}"
    for n, (key, value) in enumerate(tags, 1):
        if not 1 <= len(key) <= KEY_MAX or not all(_allowed(c) for c in key):
            return f"1 validation error detected: Value '{key}' at 'tags.{n}.member.key' failed to satisfy " \
                   f"constraint: Member must have length between 1 and {KEY_MAX} and satisfy regular expression " \
                   "pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
        if len(value) > VALUE_MAX or not all(_allowed(c) for c in value):
            return f"1 validation error detected: Value '{value}' at 'tags.{n}.member.value' failed to satisfy " \
                   f"constraint: Member must have length less than or equal to {VALUE_MAX} and satisfy regular " \
                   "expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
    return None


def patch_session_tags() -> Callable[[], None]:
    """STS ``AssumeRole`` refuses session tags STS would refuse (see the module docstring)."""
    from moto.sts import responses as sts_responses
    from moto.sts.exceptions import STSValidationError

    original = sts_responses.TokenResponse.assume_role

    def assume_role(self: Any) -> Any:
        given = self._get_params().get("Tags") or []
        tags = [(str(t.get("Key", "")), str(t.get("Value", ""))) for t in given if isinstance(t, dict)]
        problem = tags_problem(tags)
        if problem is not None:
            raise STSValidationError(problem)
        return original(self)

    setattr(sts_responses.TokenResponse, "assume_role", assume_role)  # noqa: B010  (a patch)

    def undo() -> None:
        setattr(sts_responses.TokenResponse, "assume_role", original)  # noqa: B010

    return undo

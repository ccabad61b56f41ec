"""The org file's INI dialect: the configparser settings every reader of it shares.

The validator's reader (:mod:`awsroles.org.ini`) and tab completion's skimmer
(:mod:`awsroles.org.skim`) both parse with :func:`new_parser`. Imports configparser only: tab
completion runs on every <TAB> and must not pay for the validator.
"""

from __future__ import annotations

import configparser

COMMENT_PREFIXES = ("#", ";")
# A section that cannot occur in a file (headers are one line), so [DEFAULT] is an ordinary
# (and, for us, unknown) section instead of silently leaking keys into every other section.
NO_DEFAULT_SECTION = "\n awsroles: no default section \n"


def new_parser() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(
        delimiters=("=",),
        comment_prefixes=COMMENT_PREFIXES,
        inline_comment_prefixes=COMMENT_PREFIXES,
        strict=False,
        empty_lines_in_values=False,
        default_section=NO_DEFAULT_SECTION,
        interpolation=None,
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    return parser

"""Asking the person at the terminal, even when awsroles' own output is captured.

The AWS CLI and every SDK run ``awsroles credential-process`` with its stdout and stderr captured,
so a prompt written there is never seen: the person waits on a silent terminal. Like ssh and
gpg, awsroles asks on the controlling terminal, ``/dev/tty``, which is the person's screen and
keyboard whatever happened to stdin, stdout and stderr. Without one (CI, a service, a GUI
launcher) there is nobody to ask: callers then use a configured program (``mfa_command``) or
fail with one line saying how to log in first.
"""

from __future__ import annotations

import getpass
import os

TTY = "/dev/tty"


def available() -> bool:
    """Whether this process has a controlling terminal to ask on."""
    try:
        fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def say(message: str) -> None:
    """``message`` on the controlling terminal."""
    fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, message.encode())
    finally:
        os.close(fd)


def ask(message: str) -> str:
    """``message``, then one line typed at the controlling terminal (shown as typed)."""
    fd = os.open(TTY, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, f"{message}: ".encode())
        line = b""
        while not line.endswith(b"\n"):  # a terminal in canonical mode hands over whole lines
            chunk = os.read(fd, 1024)
            if not chunk:
                raise EOFError("the terminal was closed")
            line += chunk
    finally:
        os.close(fd)
    return line.decode(errors="replace").rstrip("\r\n")


def ask_secret(message: str) -> str:
    """``message``, then one line typed at the controlling terminal without echo (getpass reads
    and writes ``/dev/tty`` itself when there is one)."""
    return getpass.getpass(message if message.endswith(" ") else f"{message}: ")

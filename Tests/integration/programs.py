"""The real external programs the tests drive. `make test` installs every one of them
(scripts/install-deps.sh test), so a missing program is a failure, never a skip that would hide it."""

import shutil

import pytest


def program(name: str) -> str:
    """The path of NAME on PATH (or in /usr/sbin); fails the test when it is not installed."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{name} is not installed: run `make test` (scripts/install-deps.sh test installs it)")
    return path

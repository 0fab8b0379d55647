"""Shared fixtures. A test that needs a system tool skips on a developer machine without it, but fails in CI."""

import os
import shutil

import pytest


def require_tool(name: str) -> str:
    """The tool's path; skip when it is missing, except in CI (CI=true), where that is a failure."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run installs it (make system)")
        pytest.skip(f"{name} is not installed (make system installs it)")
    return path

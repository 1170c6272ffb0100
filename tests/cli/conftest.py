"""Fixtures shared by the command tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_bad_input import SMALL, run


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished run folder and a finished two-job sweep folder, to break in copies."""
    root = tmp_path_factory.mktemp("finished")
    result = run(["escalation", *SMALL, "hydra.run.dir=run"], cwd=root)
    assert result.returncode == 0
    sweep = ["escalation", "-m", "policy.troops=none,combat", *SMALL, "hydra.sweep.dir=sweep"]
    result = run(sweep, cwd=root)
    assert result.returncode == 0
    return root

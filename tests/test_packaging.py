"""A regular (wheel) install finds every packaged config, outside the source tree."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    (found,) = out.glob("escalation-*.whl")
    return found


def test_wheel_ships_every_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packaged = {
        n.removeprefix("escalation/conf/") for n in names if n.startswith("escalation/conf/")
    }
    on_disk = {str(p.relative_to(ROOT / "conf")) for p in (ROOT / "conf").rglob("*.yaml")}
    assert on_disk <= packaged
    assert "__init__.py" in packaged
    assert "escalation/cli/app.py" in names


def test_wheel_install_runs_every_scenario_from_outside_the_source_tree(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Install the wheel itself; borrow the already-installed dependencies through a .pth file
    # (the project's editable-install hook lives in a .pth there and is not processed this way).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            purelib,
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    Path(purelib, "borrowed-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    where = subprocess.run(
        [str(python), "-c", "import escalation.conf; print(escalation.conf.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert where.startswith(purelib)
    run = tmp_path / "work"
    run.mkdir()
    script = "import sys; sys.argv[0] = 'escalation'; from escalation.cli.app import main; main()"
    for scenario in ("status_quo", "history"):
        result = subprocess.run(
            [
                str(python),
                "-c",
                script,
                f"scenario={scenario}",
                "sim.replicates=20",
                "sim.figures=false",
                f"hydra.run.dir={scenario}",
            ],
            cwd=run,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0
        summary = json.loads((run / scenario / "summary.json").read_text())
        assert summary["scenario"] == scenario


def test_wheel_ships_the_batched_sweeper_where_hydra_discovers_it(wheel, tmp_path):
    names = set(zipfile.ZipFile(wheel).namelist())
    plugin = "hydra_plugins/escalation_batched_sweeper/"
    assert {f"{plugin}__init__.py", f"{plugin}config.py", f"{plugin}batched_sweeper.py"} <= names
    assert "hydra_plugins/__init__.py" not in names  # a namespace package, shared with others
    target = tmp_path / "installed"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    subprocess.run([*pip, str(target), str(wheel)], check=True, timeout=300)
    # Hydra's own plugin scan, without importing escalation first.
    script = (
        "from hydra.core.plugins import Plugins; from hydra.plugins.sweeper import Sweeper; "
        "print(sorted(c.__name__ for c in Plugins.instance().discover(Sweeper)))"
    )
    found = subprocess.run(
        [sys.executable, "-S", "-c", script],
        env={"PYTHONPATH": os.pathsep.join([str(target), *site.getsitepackages()])},
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert found.strip() == "['BasicSweeper', 'BatchedSweeper']"

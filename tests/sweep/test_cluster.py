"""Sweeps beyond one machine: the Ray and submitit launchers give the basic launcher's tables.

Needs the cluster extra (``pip install -e '.[cluster]'``, which ``make test`` installs). Ray runs
on loopback only: a head on 127.0.0.1 with 2 CPUs, stopped whatever happens.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

pytest.importorskip("hydra_plugins.hydra_ray_launcher", reason="needs the cluster extra")
pytest.importorskip("hydra_plugins.hydra_submitit_launcher", reason="needs the cluster extra")

BIN = Path(sys.executable).parent
SWEEP = (
    "policy.troops=none,combat",
    "policy.posture=red_lines,ambiguity",
    "sim.replicates=30",
    "sim.months=6",
)


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "RAY_ADDRESS")}
    env.update(
        HOME=str(home),  # Ray writes its authentication token under ~/.ray
        RAY_USAGE_STATS_ENABLED="0",
        # keep every Ray process on loopback (else Ray swaps 127.0.0.1 for the machine's address)
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
    )
    return env


def escalation(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "escalation"), "-m", *SWEEP, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("basic")
    result = escalation("hydra.sweep.dir=sweep", cwd=cwd, env=environment(cwd))
    assert result.returncode == 0
    return cwd / "sweep"


@pytest.fixture
def ray_head(tmp_path):
    env = environment(tmp_path)
    address = f"127.0.0.1:{free_port()}"
    start = [
        str(BIN / "ray"),
        "start",
        "--head",
        "--node-ip-address=127.0.0.1",
        f"--port={address.split(':')[1]}",
        "--num-cpus=2",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    try:
        started = subprocess.run(start, env=env, capture_output=True, text=True, timeout=180)
        assert started.returncode == 0
        yield address, env
    finally:
        subprocess.run(
            [str(BIN / "ray"), "stop", "--force"], env=env, capture_output=True, timeout=120
        )


def same_tables(folder: Path, reference: Path) -> None:
    for name in ("outcomes.csv", "summary.csv"):
        assert (folder / name).read_bytes() == (reference / name).read_bytes()


def test_ray_launcher_on_a_loopback_head_gives_the_basic_launchers_tables(
    ray_head, basic, tmp_path
):
    address, env = ray_head
    result = escalation(
        "hydra/launcher=ray_cluster",
        f"hydra.launcher.ray.init.address={address}",
        "hydra.sweep.dir=ray",
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0
    assert "Gathered 4 of 4 jobs (120 replicates)" in result.stdout
    same_tables(tmp_path / "ray", basic)


def test_submitit_local_gives_the_basic_launchers_tables(basic, tmp_path):
    result = escalation(
        "hydra/launcher=submitit_local",
        "hydra.sweep.dir=submitit",
        cwd=tmp_path,
        env=environment(tmp_path),
    )
    assert result.returncode == 0
    same_tables(tmp_path / "submitit", basic)


def test_relative_sweep_folder_is_made_absolute_for_remote_jobs(basic):
    saved = OmegaConf.load(basic / "multirun.yaml")
    assert Path(saved.hydra.sweep.dir) == basic
    assert Path(saved.hydra.sweep.dir).is_absolute()


def launcher_config(cwd: Path, *overrides: str):
    """The composed ``hydra.launcher`` node, as ``escalation ... --cfg hydra`` prints it."""
    result = subprocess.run(
        [str(BIN / "escalation"), *overrides, "--cfg", "hydra", "--package", "hydra.launcher"],
        cwd=cwd,
        env=environment(cwd),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    return OmegaConf.create(result.stdout)


def test_slurm_launcher_config_has_documented_settings(tmp_path):
    launcher = launcher_config(tmp_path, "hydra/launcher=slurm", "hydra.launcher.partition=cpu")
    assert launcher._target_.endswith("SlurmLauncher")
    assert (launcher.partition, launcher.timeout_min, launcher.cpus_per_task) == ("cpu", 30, 1)
    assert launcher.mem_gb == 2


def test_ray_launcher_config_turns_the_dashboard_off(tmp_path):
    init = launcher_config(tmp_path, "hydra/launcher=ray_cluster").ray.init
    assert init.include_dashboard is False
    assert init.address is None
    assert init.object_store_memory is None

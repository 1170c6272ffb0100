"""The batched sweeper and the swept keys: identical tables, a column per varying key, progress."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_module

from escalation.config.schema import register_configs
from escalation.sweep.progress import point_label, varying_keys

BIN = Path(sys.executable).parent
# A group (scenario), a lever and a fixed-value uncertainty shorthand: 8 points.
POINTS = (
    "scenario=status_quo,troops",
    "policy.posture=red_lines,ambiguity",
    "uncertainty.red_line_threshold=5.5,7",
    "sim.replicates=30",
    "sim.months=8",
)


def escalation(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [str(BIN / "escalation"), "-m", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    cwd = tmp_path_factory.mktemp("sweeps")
    done = {}
    for name, sweeper in (
        ("basic", "hydra/sweeper=basic"),
        ("batched", "hydra/sweeper=batched"),
        ("chunked", "hydra.sweeper.chunk=3"),
    ):
        extra = [sweeper] if name != "chunked" else ["hydra/sweeper=batched", sweeper]
        result = escalation(cwd, *POINTS, *extra, f"hydra.sweep.dir={name}")
        assert result.returncode == 0
        done[name] = (cwd / name, result.stdout)
    return done


@pytest.mark.parametrize("name", ["batched", "chunked"])
def test_batched_sweeper_gathers_tables_identical_to_the_basic_sweepers(sweeps, name):
    basic, _ = sweeps["basic"]
    folder, _ = sweeps[name]
    for table in ("outcomes.csv", "summary.csv"):
        assert (folder / table).read_bytes() == (basic / table).read_bytes()
    for job in range(8):
        ours = json.loads((folder / str(job) / "summary.json").read_text())
        theirs = json.loads((basic / str(job) / "summary.json").read_text())
        assert ours["overrides"] == theirs["overrides"]
        assert ours["config"] == theirs["config"]
        assert (folder / str(job) / ".hydra" / "config.yaml").is_file()


def test_chunks_are_launched_as_hydra_jobs_of_their_own(sweeps):
    chunks = sorted(p.name for p in (sweeps["chunked"][0] / ".chunks").iterdir())
    assert chunks == ["0", "1", "2"]  # 8 points, 3 per chunk
    assert sorted(p.name for p in (sweeps["batched"][0] / ".chunks").iterdir()) == ["0"]


def test_every_varying_key_is_a_column_and_tells_the_rows_apart(sweeps):
    summary = pd.read_csv(sweeps["batched"][0] / "summary.csv")
    assert list(summary.columns[:10]) == [
        "job",
        "scenario",
        "replicates",
        "months",
        "seed",
        "instructors",
        "troops",
        "deep_strikes",
        "posture",
        "uncertainty.red_line_threshold",
    ]
    assert sorted(summary["uncertainty.red_line_threshold"].unique()) == [5.5, 7.0]
    keys = ["scenario", "posture", "uncertainty.red_line_threshold"]
    assert not summary.duplicated(keys).any()
    outcomes = pd.read_csv(sweeps["batched"][0] / "outcomes.csv")
    assert outcomes.columns[5] == "uncertainty.red_line_threshold"
    # the shorthand fixes the assumption: every replicate drew exactly that value
    assert (outcomes["red_line_threshold"] == outcomes["uncertainty.red_line_threshold"]).all()


def test_each_job_names_its_keys_count_and_eta_in_its_progress_line(sweeps):
    _, stdout = sweeps["batched"]
    lines = [line for line in stdout.splitlines() if line.startswith("[job ")]
    assert len(lines) == 8
    # points that differ only in their policy run together (as worlds of one model), so the
    # lines come a group at a time, each naming its job
    (job_1,) = [line for line in lines if line.startswith("[job 1/8] ")]
    assert job_1.startswith(
        "[job 1/8] instructors=outside troops=none deep_strikes=limited posture=red_lines "
        "scenario=status_quo uncertainty.red_line_threshold=7: P(NATO-Russia war) "
    )
    assert re.search(r"\(\d+\.\d s, ETA \d+ s\)$", lines[0])
    assert re.search(r"\(\d+\.\d s\)$", lines[-1])
    assert len(set(line.split(":")[0] for line in lines)) == 8


def test_a_job_narrative_is_titled_with_its_own_policy(sweeps):
    summary = json.loads((sweeps["batched"][0] / "3" / "summary.json").read_text())
    assert summary["title"] == (
        "status_quo job 3: instructors=outside troops=none deep_strikes=limited "
        "posture=ambiguity scenario=status_quo uncertainty.red_line_threshold=7"
    )


def test_every_sweep_uses_the_batched_sweeper_unless_told_otherwise():
    register_configs()
    presets = ("policy_grid", "deep_strikes", "instructors_step", "ambiguity_vs_red_lines")
    with initialize_config_module(config_module="escalation.conf", version_base="1.3"):
        for overrides in ([], *([f"sweep={preset}"] for preset in presets)):
            cfg = compose("config", overrides=overrides, return_hydra_config=True)
            assert cfg.hydra.sweeper._target_.endswith("BatchedSweeper")
        basic = compose(
            "config",
            overrides=["sweep=policy_grid", "hydra/sweeper=basic"],
            return_hydra_config=True,
        )
        assert basic.hydra.sweeper._target_.endswith("BasicSweeper")


def test_varying_keys_and_labels_name_only_what_differs():
    jobs = [["a=1", "policy.troops=none", "b=x"], ["a=1", "policy.troops=combat", "b=y"]]
    assert varying_keys(jobs) == ["policy.troops", "b"]
    config = {"policy": {"instructors": "none", "troops": "combat", "deep_strikes": "limited"}}
    assert point_label(config, jobs[1], ["policy.troops", "b"]) == (
        "instructors=none troops=combat deep_strikes=limited posture=None b=y"
    )


@pytest.mark.parametrize("name", ["batched", "chunked"])
def test_each_point_records_its_config_and_overrides_as_hydra_writes_them(sweeps, name):
    folder, _ = sweeps[name]
    basic, _ = sweeps["basic"]
    for job in range(8):
        for file in ("config.yaml", "overrides.yaml"):
            ours = (folder / str(job) / ".hydra" / file).read_text(encoding="utf-8")
            assert ours == (basic / str(job) / ".hydra" / file).read_text(encoding="utf-8")


def test_point_yaml_is_omegaconfs_for_strings_that_read_as_other_types():
    from omegaconf import OmegaConf

    from escalation.sweep.batched import to_yaml

    container = {
        "a": "1.0",
        "b": "true",
        "c": "2024-10",
        "d": "Élysée",
        "e": [1, "2", None, 0.5],
        "f": {"g": "null", "h": "", "i": "yes"},
    }
    assert to_yaml(container) == OmegaConf.to_yaml(OmegaConf.create(container))


def test_a_chunk_uses_sim_workers_processes_only_under_the_basic_launcher(monkeypatch):
    from omegaconf import OmegaConf

    from escalation.run import processes
    from escalation.sweep import batched

    monkeypatch.setattr(processes, "available_cores", lambda: 4)
    basic = OmegaConf.create({"launcher": {"_target_": batched.BASIC_LAUNCHER}})
    joblib = OmegaConf.create({"launcher": {"_target_": "hydra_plugins.joblib.JoblibLauncher"}})
    every_core, two = (
        OmegaConf.create({"sim": {"workers": 0}}),
        OmegaConf.create({"sim": {"workers": 2}}),
    )
    assert batched.chunk_processes(every_core, basic, points=54) == 4
    assert batched.chunk_processes(every_core, basic, points=3) == 3  # at most one per point
    assert batched.chunk_processes(two, basic, points=54) == 2
    assert batched.chunk_processes(every_core, joblib, points=54) == 1  # the launcher's own


@pytest.mark.parametrize(
    ("overrides", "levers"),
    [
        (["policy.troops=combat"], ["troops"]),
        (["policy.troops=combat", "policy.posture=ambiguity"], ["troops", "posture"]),
        (["policy.troops=combat", "uncertainty.collapse_gain=3"], None),
        (["policy.timing.troops.month=4"], None),
        (["+policy.troops=combat"], None),
        (["troops=combat"], None),
        ([], None),
    ],
)
def test_only_points_that_set_levers_alone_take_the_levers_shortcut(overrides, levers):
    from escalation.sweep.batched import lever_overrides

    assert lever_overrides(overrides) == levers


def test_a_progress_line_is_one_write_so_processes_never_mix_their_lines():
    from escalation.sweep.progress import print_line

    class Stream:
        def __init__(self):
            self.writes, self.flushes = [], 0

        def write(self, text):
            self.writes.append(text)

        def flush(self):
            self.flushes += 1

    stream = Stream()
    print_line("[job 3/8] troops=none: P(war) 1.0%", file=stream)
    assert stream.writes == ["[job 3/8] troops=none: P(war) 1.0%\n"]
    assert stream.flushes == 1

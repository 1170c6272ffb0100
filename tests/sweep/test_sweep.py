"""Sweeps: multirun over levers, gathering, resume, failures, launchers, escalation-report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_module

from escalation.config.schema import register_configs
from escalation.run.results import PROBABILITIES
from escalation.sweep.folder import sweep_jobs
from escalation.sweep.gather import LEVERS, gather, outcomes_csv

BIN = Path(sys.executable).parent
SMALL = ("sim.replicates=40", "sim.months=12")
GRID = ("policy.troops=none,combat", "policy.posture=red_lines,ambiguity")


def run(command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [str(BIN / command), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def sweep(cwd: Path, folder: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run("escalation", "-m", *GRID, *SMALL, *args, f"hydra.sweep.dir={folder}", cwd=cwd)


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("basic")
    result = sweep(cwd, "sweep")
    assert result.returncode == 0
    return cwd / "sweep"


def test_gathered_outcomes_hold_every_replicate_of_every_job_with_lever_columns(basic):
    outcomes = pd.read_csv(basic / "outcomes.csv")
    assert len(outcomes) == 4 * 40
    assert list(outcomes.columns[:7]) == ["job", *LEVERS, "scenario", "seed"]
    assert sorted(outcomes["job"].unique()) == [0, 1, 2, 3]
    combos = outcomes.groupby("job")[["troops", "posture"]].first()
    assert combos.to_records(index=False).tolist() == [
        ("none", "red_lines"),
        ("none", "ambiguity"),
        ("combat", "red_lines"),
        ("combat", "ambiguity"),
    ]
    for job in range(4):
        per_job = pd.read_csv(basic / str(job) / "outcomes.csv")
        gathered = outcomes[outcomes["job"] == job].drop(columns=outcomes.columns[:7])
        pd.testing.assert_frame_equal(gathered.reset_index(drop=True), per_job)


def test_gathered_outcomes_text_is_what_pandas_writes_for_the_gathered_table(basic):
    gathered = gather(basic)
    expected = gathered.outcomes.to_csv(index=False, lineterminator="\n")
    assert "".join(outcomes_csv(gathered)) == expected
    assert (basic / "outcomes.csv").read_text(encoding="utf-8") == expected


def test_jobs_whose_tables_differ_in_columns_are_gathered_by_pandas(basic, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(basic, copy)
    job = copy / "1" / "outcomes.csv"
    pd.read_csv(job).drop(columns=["collapse_gain"]).to_csv(job, index=False)
    gathered = gather(copy)
    assert gathered.outcomes["collapse_gain"].isna().sum() == 40
    text = "".join(outcomes_csv(gathered))
    assert text == gathered.outcomes.to_csv(index=False, lineterminator="\n")
    assert len(text.splitlines()) == 1 + 4 * 40


def test_a_job_table_with_blank_lines_is_gathered_by_pandas(basic, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(basic, copy)
    job = copy / "2" / "outcomes.csv"
    job.write_text(job.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    gathered = gather(copy)
    text = "".join(outcomes_csv(gathered))
    assert text == gathered.outcomes.to_csv(index=False, lineterminator="\n")
    assert text == (basic / "outcomes.csv").read_text(encoding="utf-8")


def test_summary_has_one_row_per_combination_matching_the_job_outcomes(basic):
    summary = pd.read_csv(basic / "summary.csv")
    outcomes = pd.read_csv(basic / "outcomes.csv")
    assert len(summary) == 4
    assert (summary["replicates"] == 40).all()
    assert (summary["months"] == 12).all()
    for name in PROBABILITIES:
        assert {name, f"{name}_low", f"{name}_high"} <= set(summary.columns)
        assert (summary[f"{name}_low"] <= summary[name]).all()
        assert (summary[name] <= summary[f"{name}_high"]).all()
    means = outcomes.groupby("job")[["direct_conflict", "ukraine_position_final"]].mean()
    assert summary["direct_conflict"].tolist() == pytest.approx(means["direct_conflict"].tolist())
    assert summary["ukraine_position_final_mean"].tolist() == pytest.approx(
        means["ukraine_position_final"].tolist()
    )
    per_job = json.loads((basic / "2" / "summary.json").read_text())
    assert summary.loc[2, "direct_conflict_high"] == pytest.approx(
        per_job["probabilities"]["direct_conflict"]["high"]
    )
    # both intervals: each probability's and each mean's parameter band, as in summary.json;
    # 40 replicates make 40 draws of one replicate each, where no band can be told: empty cells
    assert per_job["draws"] == 40
    for name, item in per_job["probabilities"].items():
        assert (item["band_low"], item["band_high"]) == (None, None)
        assert summary[[f"{name}_band_low", f"{name}_band_high"]].isna().all().all()
    for name in per_job["means"]:
        assert {f"{name}_mean_band_low", f"{name}_mean_band_high"} <= set(summary.columns)
    # the mechanics: combat troops raise the risk of retaliation under both postures (direct
    # conflict is too rare in 40 replicates of 12 months to show it: ~1% with combat troops)
    by_troops = summary.groupby("troops")["russian_retaliation"]
    assert by_troops.min()["combat"] > by_troops.max()["none"] + 0.1


def test_sweep_writes_figures_at_the_root_but_not_per_job(basic):
    figures = sorted(p.name for p in (basic / "figures").iterdir())
    assert "tradeoff.png" in figures
    assert "heatmap_direct_conflict.png" in figures
    for job in range(4):
        assert not (basic / str(job) / "figures").exists()
        assert not (basic / str(job) / "trajectories.csv").exists()


def test_joblib_launcher_gives_identical_tables(basic, tmp_path):
    result = sweep(tmp_path, "joblib", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert result.returncode == 0
    for name in ("outcomes.csv", "summary.csv"):
        assert (tmp_path / "joblib" / name).read_bytes() == (basic / name).read_bytes()


def test_interrupted_sweep_resumes_without_recomputing_finished_jobs(basic, tmp_path):
    folder = tmp_path / "resumed"
    shutil.copytree(basic, folder)
    # as if killed halfway: job 2 never started, job 3 died before its summary was written
    shutil.rmtree(folder / "2")
    (folder / "3" / "summary.json").unlink()
    for name in ("outcomes.csv", "summary.csv"):
        (folder / name).unlink()
    finished = {job: (folder / str(job) / "summary.json").stat().st_mtime_ns for job in (0, 1)}

    result = sweep(tmp_path, "resumed")

    assert result.returncode == 0
    assert result.stdout.count("already complete, skipped") == 2
    for job, mtime in finished.items():
        assert (folder / str(job) / "summary.json").stat().st_mtime_ns == mtime
    for name in ("outcomes.csv", "summary.csv"):
        assert (folder / name).read_bytes() == (basic / name).read_bytes()


def file_states(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_another_sweep_into_the_same_folder_is_refused_and_changes_nothing(basic, tmp_path):
    folder = tmp_path / "changed"
    shutil.copytree(basic, folder)
    before = file_states(folder)
    result = sweep(tmp_path, "changed", "seed=99")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"escalation: error: hydra.sweep.dir={folder} holds another sweep (made with "
        "hydra.overrides.task 'policy.troops=none,combat policy.posture=red_lines,ambiguity "
        "sim.replicates=40 sim.months=12'; this command has 'policy.troops=none,combat "
        "policy.posture=red_lines,ambiguity sim.replicates=40 sim.months=12 seed=99'): re-run "
        "that sweep's command to resume it, or give a new folder"
    ]
    assert file_states(folder) == before


def test_jobs_of_another_sweep_are_never_gathered(basic, tmp_path):
    """A seed=99 sweep killed early in the folder of another: its jobs are not gathered."""
    folder = tmp_path / "mixed"
    shutil.copytree(basic, folder)
    other = sweep(tmp_path, "other", "seed=99")
    assert other.returncode == 0
    shutil.rmtree(folder / "1")
    shutil.copytree(tmp_path / "other" / "1", folder / "1")
    (folder / "2").rename(folder / "2-moved")
    (folder / "2").symlink_to(folder / "0")
    summary = json.loads((folder / "3" / "summary.json").read_text())
    summary["config"]["seed"] = 7  # same overrides, another config
    (folder / "3" / "summary.json").write_text(json.dumps(summary))
    result = run("escalation-report", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    assert "Gathered 1 of 4 jobs" in result.stdout
    lines = result.stdout.splitlines()
    assert lines[2] == (
        "  MISSING job 1 (policy.troops=none policy.posture=ambiguity sim.replicates=40 "
        "sim.months=12): results of another sweep (made with policy.troops=none "
        "policy.posture=ambiguity sim.replicates=40 sim.months=12 seed=99); re-run the sweep to "
        "recompute"
    )
    assert lines[3].startswith("  MISSING job 2 (policy.troops=combat policy.posture=red_lines")
    assert lines[3].endswith("2 is a symbolic link, not this sweep's job folder")
    assert lines[4].endswith(
        "results of another sweep (config seed differs from multirun.yaml); "
        "re-run the sweep to recompute"
    )
    assert set(pd.read_csv(folder / "outcomes.csv")["job"]) == {0}


def test_a_sweep_folder_in_use_is_refused_until_its_process_ends(basic, tmp_path):
    folder = tmp_path / "busy"
    shutil.copytree(basic, folder)
    (folder / ".escalation.lock").write_text(f"{os.getpid()}\n")
    before = file_states(folder)
    result = sweep(tmp_path, "busy")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"escalation: error: hydra.sweep.dir={folder} is in use by another escalation "
        f"(process {os.getpid()}); wait for it to end, or give another folder"
    ]
    assert file_states(folder) == before
    (folder / ".escalation.lock").write_text("999999999\n")  # left by a killed process
    result = sweep(tmp_path, "busy")
    assert result.returncode == 0
    assert not (folder / ".escalation.lock").exists()


def test_a_resumed_sweep_recomputes_a_truncated_job(basic, tmp_path):
    folder = tmp_path / "truncated"
    shutil.copytree(basic, folder)
    outcomes = folder / "1" / "outcomes.csv"
    outcomes.write_bytes(outcomes.read_bytes()[:-30])
    result = sweep(tmp_path, "truncated")
    assert result.returncode == 0
    assert result.stdout.count("already complete, skipped") == 3
    assert outcomes.read_bytes() == (basic / "1" / "outcomes.csv").read_bytes()


def test_a_failing_combination_is_named_and_the_others_are_kept(tmp_path):
    # each value is valid on its own (checked before the sweep starts); one pair is not
    result = run(
        "escalation",
        "-m",
        "sim.replicates=3,10,20",
        "sim.narrative_replicate=0,5",
        "sim.months=6",
        "hydra.sweep.dir=failing",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert (
        "FAILED job 1 (sim.replicates=3 sim.narrative_replicate=5 sim.months=6): ConfigError: "
        "sim.narrative_replicate=5 must be below sim.replicates=3"
    ) in result.stdout
    assert "Gathered 5 of 6 jobs (63 replicates)" in result.stdout
    outcomes = pd.read_csv(tmp_path / "failing" / "outcomes.csv")
    assert sorted(outcomes["job"].unique()) == [0, 2, 3, 4, 5]
    assert (tmp_path / "failing" / "1" / "error.txt").read_text().startswith("ConfigError:")


def test_policy_grid_preset_sweeps_all_54_lever_combinations(tmp_path):
    register_configs()
    with initialize_config_module(config_module="escalation.conf", version_base="1.3"):
        cfg = compose("config", overrides=["sweep=policy_grid"], return_hydra_config=True)
    jobs = sweep_jobs(tmp_path, cfg)
    assert len(jobs) == 54
    combos = {tuple(sorted(job.overrides)) for job in jobs}
    assert len(combos) == 54
    assert [job.folder.name for job in jobs[:3]] == ["0", "1", "2"]
    assert cfg.sweep.name == "policy_grid"
    assert cfg.hydra.mode.name == "MULTIRUN"


def test_report_rebuilds_a_sweep_and_names_what_is_missing(basic, tmp_path):
    folder = tmp_path / "report"
    shutil.copytree(basic, folder)
    for name in ("outcomes.csv", "summary.csv"):
        (folder / name).unlink()
    shutil.rmtree(folder / "figures")

    result = run("escalation-report", str(folder), cwd=tmp_path)
    assert result.returncode == 0
    for name in ("outcomes.csv", "summary.csv"):
        assert (folder / name).read_bytes() == (basic / name).read_bytes()
    assert (folder / "figures" / "tradeoff.png").is_file()

    (folder / "1" / "outcomes.csv").write_text("replicate,max_rung\n0,3\n")
    shutil.rmtree(folder / "3")
    result = run("escalation-report", str(folder), cwd=tmp_path)
    assert result.returncode == 1
    assert "Gathered 2 of 4 jobs" in result.stdout
    assert "MISSING job 1 (policy.troops=none policy.posture=ambiguity" in result.stdout
    assert "malformed outcomes.csv: no column final_rung" in result.stdout
    assert "MISSING job 3 (policy.troops=combat policy.posture=ambiguity" in result.stdout


def test_report_rebuilds_a_run_folder(tmp_path):
    result = run(
        "escalation",
        "scenario=instructors",
        "policy.posture=red_lines",
        *SMALL,
        "hydra.run.dir=one",
        cwd=tmp_path,
    )
    assert result.returncode == 0
    folder = tmp_path / "one"
    original = json.loads((folder / "summary.json").read_text())
    assert original["changes"][0] == "posture=red_lines"
    (folder / "summary.json").unlink()
    shutil.rmtree(folder / "figures")
    result = run("escalation-report", str(folder), cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads((folder / "summary.json").read_text()) == original
    assert len(list((folder / "figures").glob("*.png"))) == 3


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda d: None, "is neither a run folder (.hydra/config.yaml missing) nor a sweep folder"),
        (
            lambda d: (
                (d / ".escalation").write_text(""),  # a folder escalation made (files.MARKER)
                (d / "multirun.yaml").write_text("hydra: [unclosed"),
            ),
            "multirun.yaml is malformed",
        ),
    ],
    ids=["empty", "broken-multirun"],
)
def test_report_on_a_broken_folder_says_what_is_wrong(tmp_path, prepare, message):
    folder = tmp_path / "broken"
    folder.mkdir()
    prepare(folder)
    result = run("escalation-report", str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_jobs_summary_row_is_the_summary_of_its_table_read_back(basic):
    from escalation.run.results import read_outcomes, summarize, summary_row

    # gathering takes each job's row from its summary.json: the same numbers as summarizing
    # its outcomes.csv again, since the table reads back value for value
    for job in range(4):
        recorded = json.loads((basic / str(job) / "summary.json").read_text())
        table = read_outcomes(basic / str(job) / "outcomes.csv", 40)
        again = pd.Series(summary_row(summarize(table, {})), dtype=float)
        assert pd.Series(summary_row(recorded), dtype=float).equals(again)


@pytest.mark.parametrize(
    "values",
    [["a", "b", "c"], [1, 2, 3], [1, 2.5, 3], [1, "x", 2.5], [True, False, True], [3, None, 1]],
)
def test_key_columns_are_typed_as_inserting_them_job_by_job_would(values):
    from escalation.sweep.gather import with_keys

    frames = [pd.DataFrame({"p": [0.5, 1.5]}), pd.DataFrame({"p": [2.5]}), pd.DataFrame({"p": []})]
    fronts = [{"job": number, "key": value} for number, value in enumerate(values)]
    one_by_one = []
    for frame, front in zip(frames, fronts, strict=True):
        frame = frame.copy()
        for position, (name, value) in enumerate(front.items()):
            frame.insert(position, name, value)
        one_by_one.append(frame)
    expected = pd.concat(one_by_one, ignore_index=True)
    gathered = with_keys(frames, fronts)
    assert gathered.dtypes.to_dict() == expected.dtypes.to_dict()
    assert gathered.to_csv(index=False) == expected.to_csv(index=False)
    assert gathered["key"].tolist()[:3] == [values[0], values[0], values[1]]


def test_sweep_on_one_process_writes_what_two_write(basic, tmp_path):
    # a batched chunk under the basic launcher runs its points on sim.workers processes
    # (0: every core); the points' files do not depend on it
    result = sweep(tmp_path, "one", "hydra/sweeper=batched", "sim.workers=1")
    assert result.returncode == 0
    two = sweep(tmp_path, "two", "hydra/sweeper=batched", "sim.workers=2")
    assert two.returncode == 0
    for name in ("outcomes.csv", "summary.csv", "differences.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (basic / name).read_bytes()
        assert (tmp_path / "two" / name).read_bytes() == (basic / name).read_bytes()
    for job in range(4):  # their configs differ in sim.workers only
        one = (tmp_path / "one" / str(job) / "outcomes.csv").read_bytes()
        assert one == (tmp_path / "two" / str(job) / "outcomes.csv").read_bytes()
        assert one == (basic / str(job) / "outcomes.csv").read_bytes()
    for figure in (tmp_path / "one" / "figures").iterdir():
        assert figure.read_bytes() == (tmp_path / "two" / "figures" / figure.name).read_bytes()

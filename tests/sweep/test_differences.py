"""Policy differences of a sweep: differences.csv, its figure, the ranking, the baseline."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.run.results import PROBABILITIES, Z_95, clustered_variance, parameter_band
from escalation.sweep.difference_figure import compact_label, difference_rows
from escalation.sweep.differences import (
    DIFFERENCES_FILE,
    OUTCOME_COLUMNS,
    BaselineError,
    Differences,
    Unpaired,
    choose_baseline,
    paired_differences,
    parse_baseline,
    ranking_lines,
    sweep_differences,
)
from escalation.sweep.folder import Job

BIN = Path(sys.executable).parent
SWEEP = (
    "policy.troops=none,combat",
    "sim.replicates=40",
    "sim.draws=10",
    "sim.months=6",
)
LEVERS = ["instructors", "troops", "deep_strikes", "posture"]
FRONT = ["job", "scenario", "replicates", "months", "seed", *LEVERS]
COLUMNS = [
    *FRONT,
    "draws",
    "baseline_job",
    *(f"{name}_{part}" for name in PROBABILITIES for part in OUTCOME_COLUMNS),
]


def run(command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [str(BIN / command), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """The same small sweep through the basic and the batched sweeper: folder and stdout."""
    cwd = tmp_path_factory.mktemp("differences")
    done = {}
    for name in ("basic", "batched"):
        result = run(
            "escalation",
            "-m",
            *SWEEP,
            f"hydra/sweeper={name}",
            f"hydra.sweep.dir={name}",
            cwd=cwd,
        )
        assert result.returncode == 0
        done[name] = (cwd / name, result.stdout)
    return done


@pytest.fixture(scope="module")
def table(sweeps) -> pd.DataFrame:
    return pd.read_csv(sweeps["basic"][0] / DIFFERENCES_FILE)


# --- differences.csv from a real sweep ---------------------------------------------------------


def test_differences_csv_has_the_documented_columns_one_row_per_job(table):
    assert list(table.columns) == COLUMNS
    assert table["job"].tolist() == [0, 1]
    assert table["troops"].tolist() == ["none", "combat"]
    assert (table["baseline_job"] == 0).all()
    assert (table["draws"] == 10).all()


def test_the_baseline_rows_differences_are_exactly_zero(table):
    baseline = table.iloc[0]
    for name in PROBABILITIES:
        for part in ("diff", "diff_low", "diff_high", "diff_band_low", "diff_band_high"):
            assert baseline[f"{name}_{part}"] == 0.0
        assert baseline[f"{name}_policy"] == baseline[f"{name}_baseline"]


def test_each_difference_is_the_policys_probability_minus_the_baselines_exactly(sweeps, table):
    summary = pd.read_csv(sweeps["basic"][0] / "summary.csv")
    for name in PROBABILITIES:
        assert table[f"{name}_policy"].tolist() == summary[name].tolist()
        assert (table[f"{name}_baseline"] == summary.loc[0, name]).all()
        assert (table[f"{name}_diff"] == table[f"{name}_policy"] - table[f"{name}_baseline"]).all()


def test_intervals_contain_the_difference_and_the_band_is_ordered(table):
    for name in PROBABILITIES:
        assert (table[f"{name}_diff_low"] <= table[f"{name}_diff"]).all()
        assert (table[f"{name}_diff"] <= table[f"{name}_diff_high"]).all()
        assert (table[f"{name}_diff_band_low"] <= table[f"{name}_diff_band_high"]).all()
        assert table[[f"{name}_diff_low", f"{name}_diff_high"]].abs().max().max() <= 1.0


def test_the_intervals_are_the_clustered_interval_and_band_of_the_paired_replicates(sweeps, table):
    outcomes = pd.read_csv(sweeps["basic"][0] / "outcomes.csv")
    base = outcomes[outcomes["job"] == 0].sort_values("replicate")
    combat = outcomes[outcomes["job"] == 1].sort_values("replicate")
    paired = combat["contained_clash"].to_numpy(float) - base["contained_clash"].to_numpy(float)
    draw = base["draw"].to_numpy()
    half = Z_95 * math.sqrt(clustered_variance(paired, draw))
    row = table.iloc[1]
    assert row["contained_clash_diff_low"] == pytest.approx(max(-1.0, paired.mean() - half))
    assert row["contained_clash_diff_high"] == pytest.approx(min(1.0, paired.mean() + half))
    low, high = parameter_band(paired, draw, bounds=(-1.0, 1.0))
    assert (row["contained_clash_diff_band_low"], row["contained_clash_diff_band_high"]) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    # combat troops raise the risk of a clash: the paired interval excludes zero
    assert row["contained_clash_diff_low"] > 0.0


def test_batched_and_basic_sweepers_write_identical_differences(sweeps):
    basic, batched = sweeps["basic"][0], sweeps["batched"][0]
    assert (basic / DIFFERENCES_FILE).read_bytes() == (batched / DIFFERENCES_FILE).read_bytes()


def test_the_sweep_output_ends_with_the_ranking_naming_the_baseline(sweeps, table):
    folder, stdout = sweeps["basic"]
    assert f"summary.csv, {DIFFERENCES_FILE}, figures/" in stdout
    assert "from the baseline, job 0 (troops=none)" in stdout
    lines = stdout.splitlines()
    first = next(
        i for i, line in enumerate(lines) if line.startswith("Change in P(NATO-Russia war)")
    )
    order = table.sort_values("direct_conflict_diff", kind="mergesort")["troops"].tolist()
    ranked = [line.split(". ", 1)[1].split()[0] for line in lines[first + 2 : first + 4]]
    assert ranked == [f"troops={troops}" for troops in order]
    war = table.loc[1, "direct_conflict_diff"] * 100
    assert f"{war:+.1f}" in lines[first + 2 + order.index("combat")]
    assert (folder / "figures" / "differences.png").is_file()


def test_report_prints_the_ranking_and_rebuilds_the_same_file(sweeps, tmp_path):
    folder, stdout = sweeps["basic"]
    before = (folder / DIFFERENCES_FILE).read_bytes()
    (folder / DIFFERENCES_FILE).unlink()
    (folder / "figures" / "differences.png").unlink()
    result = run("escalation-report", str(folder), cwd=tmp_path)
    assert result.returncode == 0
    assert (folder / DIFFERENCES_FILE).read_bytes() == before
    assert (folder / "figures" / "differences.png").is_file()
    ranking = [
        line for line in stdout.splitlines() if line.startswith(("Change in", "  1.", "  2."))
    ]
    assert ranking and all(line in result.stdout.splitlines() for line in ranking)


def test_report_with_another_baseline_and_with_a_bad_one(sweeps, tmp_path):
    folder = tmp_path / "sweep"
    shutil.copytree(sweeps["basic"][0], folder)
    result = run("escalation-report", str(folder), "--baseline", "{troops:combat}", cwd=tmp_path)
    assert result.returncode == 0
    assert "from the baseline, job 1 (troops=combat)" in result.stdout
    table = pd.read_csv(folder / DIFFERENCES_FILE)
    assert (table["baseline_job"] == 1).all()
    assert table.loc[1, "direct_conflict_diff"] == 0.0
    assert table.loc[0, "direct_conflict_diff"] == -sweeps_difference(sweeps)
    before = (folder / DIFFERENCES_FILE).read_bytes()
    bad = run("escalation-report", str(folder), "--baseline", "7", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "escalation-report: error: --baseline=7: no such job; allowed: null (the first job), a "
        "job number from 0 to 1, or the swept values of one job (--baseline "
        "'{policy.troops:none}'); swept: policy.troops=none|combat"
    ]
    assert (folder / DIFFERENCES_FILE).read_bytes() == before


def sweeps_difference(sweeps) -> float:
    """Combat troops' change in P(war) from no troops, in the basic sweep."""
    return float(pd.read_csv(sweeps["basic"][0] / DIFFERENCES_FILE).loc[1, "direct_conflict_diff"])


# --- refusals through the command --------------------------------------------------------------


def test_a_bad_baseline_is_one_line_before_any_job_runs(tmp_path):
    result = run(
        "escalation",
        "-m",
        *SWEEP,
        "sweep.baseline={troops:inside}",
        "hydra.sweep.dir=s",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "escalation: error: sweep.baseline={troops:inside}: no job has these values; allowed: "
        "null (the first job), a job number from 0 to 1, or the swept values of one job "
        "('sweep.baseline={policy.troops:none}'); swept: policy.troops=none|combat"
    ]
    assert not (tmp_path / "s" / "0").exists()


def test_jobs_with_different_seeds_are_gathered_but_not_paired(tmp_path):
    result = run(
        "escalation", "-m", "seed=1,2", "sim.replicates=20", "sim.months=3", "hydra.sweep.dir=s",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0
    assert (
        "No differences.csv: the jobs differ in seed (1, 2); a paired difference needs one seed "
        "and the same replicates and draws in every job"
    ) in result.stdout.splitlines()
    assert (tmp_path / "s" / "summary.csv").is_file()
    assert not (tmp_path / "s" / DIFFERENCES_FILE).exists()
    assert not (tmp_path / "s" / "figures" / "differences.png").exists()


# --- the computation on known tables -----------------------------------------------------------


def synthetic(
    policies: dict[int, list[int]], draws: list[int], seeds: tuple[int, ...] = ()
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes and summary of jobs whose every yes/no outcome is the given 0/1 list."""
    frames, rows = [], []
    for job, happened in policies.items():
        frame = pd.DataFrame({"job": job, "replicate": range(len(happened)), "draw": draws})
        for name in PROBABILITIES:
            if name != "red_line_crossed":
                frame[name] = happened
        frame["red_lines_crossed"] = happened
        frames.append(frame)
        seed = seeds[job] if seeds else 7
        rows.append(
            {"job": job, "scenario": "status_quo", "replicates": len(happened), "months": 6}
            | {"seed": seed, "instructors": "none", "troops": ["none", "combat", "noncombat"][job]}
            | {"deep_strikes": "prohibited", "posture": "red_lines"}
        )
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows)


def test_a_known_paired_difference_and_its_interval():
    outcomes, summary = synthetic({0: [0, 0, 1, 1], 1: [1, 0, 1, 1]}, draws=[0, 0, 0, 0])
    table = paired_differences(outcomes, summary, 0, FRONT)
    row = table.iloc[1]
    # paired values 1, 0, 0, 0: mean 1/4, variance (3/16 + 9/16) / 3 = 1/4, of the mean 1/16
    assert row["direct_conflict_diff"] == 0.25
    assert row["direct_conflict_diff_low"] == pytest.approx(0.25 - Z_95 * 0.25)
    assert row["direct_conflict_diff_high"] == pytest.approx(0.25 + Z_95 * 0.25)
    assert (row["direct_conflict_policy"], row["direct_conflict_baseline"]) == (0.75, 0.5)


def test_the_band_is_blank_with_a_single_draw(tmp_path):
    outcomes, summary = synthetic({0: [0, 0, 1, 1], 1: [1, 0, 1, 1]}, draws=[0, 0, 0, 0])
    table = paired_differences(outcomes, summary, 0, FRONT)
    assert table["nuclear_use_diff_band_low"].isna().all()
    path = tmp_path / "d.csv"
    table.to_csv(path, index=False)
    assert ",," in path.read_text().splitlines()[1]
    differences = Differences(0, "troops=none", table=table)
    assert ranking_lines(differences)[-1].startswith("parameter band n/a: a single parameter draw")


def test_the_band_is_the_parameter_band_of_the_paired_values_with_several_draws():
    base = [0, 0, 0, 1, 0, 0, 0, 0]
    policy = [1, 1, 0, 1, 0, 1, 0, 0]
    draws = [0, 0, 1, 1, 2, 2, 3, 3]
    outcomes, summary = synthetic({0: base, 1: policy}, draws=draws)
    table = paired_differences(outcomes, summary, 0, FRONT)
    paired = np.array(policy, float) - np.array(base, float)
    low, high = parameter_band(paired, np.array(draws), bounds=(-1.0, 1.0))
    row = table.iloc[1]
    assert (row["lethal_engagement_diff_band_low"], row["lethal_engagement_diff_band_high"]) == (
        low,
        high,
    )
    assert table.loc[1, "lethal_engagement_diff"] == 0.375


@pytest.mark.parametrize(
    ("seeds", "draws_of_job_1", "message"),
    [
        ((1, 2), None, "the jobs differ in seed (1, 2)"),
        ((), [0, 0, 0, 0], "the jobs differ in sim.draws (1, 2)"),
        ((), [1, 1, 0, 0], "the jobs' replicates do not share their parameter draws"),
    ],
)
def test_jobs_that_cannot_be_paired_are_refused_with_the_reason(seeds, draws_of_job_1, message):
    outcomes, summary = synthetic({0: [0, 1, 0, 1], 1: [1, 1, 0, 1]}, [0, 0, 1, 1], seeds)
    if draws_of_job_1 is not None:
        outcomes.loc[outcomes["job"] == 1, "draw"] = draws_of_job_1
    with pytest.raises(Unpaired) as refused:
        paired_differences(outcomes, summary, 0, FRONT)
    assert str(refused.value).startswith(message)


def test_a_missing_baseline_job_is_refused_and_the_others_kept():
    outcomes, summary = synthetic({1: [1, 1, 0, 1], 2: [0, 1, 0, 1]}, [0, 0, 1, 1])
    jobs = [
        Job(number, [f"policy.troops={t}"], Path(str(number))) for number, t in enumerate("abc")
    ]
    differences = sweep_differences(outcomes, summary, jobs, None, FRONT)
    assert differences.table is None
    assert differences.refused == "the baseline, job 0, has no results"
    assert ranking_lines(differences) == ["No differences.csv: the baseline, job 0, has no results"]


# --- choosing the baseline ---------------------------------------------------------------------

JOBS = [
    Job(number, [f"policy.troops={troops}", f"policy.posture={posture}", "sim.months=6"], Path("."))
    for number, (troops, posture) in enumerate(
        [
            ("none", "red_lines"),
            ("none", "ambiguity"),
            ("combat", "red_lines"),
            ("combat", "ambiguity"),
        ]
    )
]


@pytest.mark.parametrize(
    ("spec", "job"),
    [
        (None, 0),
        (2, 2),
        ({"troops": "combat", "posture": "ambiguity"}, 3),
        ({"policy.troops": "none", "policy.posture": "ambiguity"}, 1),
    ],
)
def test_the_baseline_is_the_first_job_a_job_number_or_one_jobs_swept_values(spec, job):
    assert choose_baseline(JOBS, spec).number == job


def test_a_baseline_given_as_on_the_command_line_is_parsed_by_hydras_grammar():
    assert parse_baseline("3") == 3
    assert parse_baseline("{troops:combat,posture:red_lines}") == {
        "troops": "combat",
        "posture": "red_lines",
    }
    with pytest.raises(BaselineError, match=r"^sweep.baseline=1,2: give one policy; allowed"):
        parse_baseline("1,2")


ALLOWED = (
    "allowed: null (the first job), a job number from 0 to 3, or the swept values of one job "
    "('sweep.baseline={policy.troops:none,policy.posture:red_lines}'); swept: "
    "policy.troops=none|combat, policy.posture=red_lines|ambiguity"
)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (4, f"sweep.baseline=4: no such job; {ALLOWED}"),
        (True, f"sweep.baseline=True: {ALLOWED}"),
        ("first", f"sweep.baseline=first: {ALLOWED}"),
        (
            {"months": 6},
            f"sweep.baseline={{months:6}}: months is not a key this sweep varies; {ALLOWED}",
        ),
        (
            {"troops": "inside"},
            f"sweep.baseline={{troops:inside}}: no job has these values; {ALLOWED}",
        ),
        (
            {"troops": "combat"},
            f"sweep.baseline={{troops:combat}} matches jobs 2, 3: give a value for "
            f"policy.posture too; {ALLOWED}",
        ),
    ],
)
def test_a_baseline_that_names_no_single_job_is_one_line_saying_what_is_allowed(spec, message):
    with pytest.raises(BaselineError) as refused:
        choose_baseline(JOBS, spec)
    assert str(refused.value) == message


# --- the figure's data -------------------------------------------------------------------------


def test_the_figure_rows_are_sorted_by_the_change_in_war_in_percentage_points():
    outcomes, summary = synthetic(
        {0: [0, 0, 1, 1], 1: [1, 1, 1, 1], 2: [0, 0, 0, 1]}, draws=[0, 0, 1, 1]
    )
    table = paired_differences(outcomes, summary, 1, FRONT)
    rows, hidden = difference_rows(table, baseline=1)
    assert hidden == 0
    assert rows["job"].tolist() == [2, 0, 1]
    assert rows["direct_conflict"].tolist() == [-75.0, -50.0, 0.0]
    assert rows["label"].tolist() == ["noncombat", "none", "combat (baseline)"]
    assert compact_label({"troops": "combat", "posture": "ambiguity"}, ["troops", "posture"]) == (
        "combat / ambiguity"
    )

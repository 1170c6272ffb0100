"""escalation-analyze: feature scoring, PRIM boxes and Sobol indices recover what is known.

Synthetic tables where the outcome happens exactly when two known assumptions pass known
thresholds check that the analyses find those two assumptions and that box; small real runs
check results the model's rules imply (docs/MODEL.md §7); bad input gives one line and exit 2.
tests/analysis/test_draws.py checks the per-draw analysis and its no-effect reference on
constructed tables. Needs the analysis extra (``pip install -e '.[analysis]'``; ``make test``
installs it).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import escalation
from escalation.analysis.analyse import (
    choose_box,
    discover,
    draw_table,
    feature_scores,
    load_study,
    make_target,
    sobol_indices,
)
from escalation.analysis.cli import main
from escalation.config.sampling import (
    INSTALL_HINT,
    draw_of_replicate,
    draw_parameters,
    uncertainty_ranges,
)
from escalation.config.scenarios import load_settings
from escalation.config.schema import LEVERS, ConfigError, uncertainty_names
from escalation.config.validation import validate
from escalation.model import OUTCOME_COLUMNS, EscalationModel

POINT = {"sim.parameters": "point"}
"""Mechanism tests script doctrine values: the point mode keeps them (the default draws them)."""

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
BOX_TOLERANCE = 0.03
"""How far a recovered box limit may lie from the true threshold, as a share of the assumption's
range (assumption units on the unit ranges of ``two_thresholds``)."""
RANGES = uncertainty_ranges(load_settings("troops", **POINT))
"""The configured ranges of the assumptions (conf/uncertainty/default.yaml)."""


def within_range(name: str, share: float) -> float:
    """The value ``share`` of the way through the configured range of assumption ``name``."""
    low, high = RANGES[name]
    return low + share * (high - low)


def tolerance(name: str) -> float:
    """``BOX_TOLERANCE`` in the units of assumption ``name``."""
    low, high = RANGES[name]
    return BOX_TOLERANCE * (high - low)


FOLLOW_THROUGH = within_range("follow_through", 0.5)
COHESION = within_range("nato_cohesion", 0.4)
"""The synthetic outcome's two thresholds, inside the configured ranges."""


def synthetic_outcome(frame: pd.DataFrame) -> np.ndarray:
    """Direct conflict exactly when follow_through > FOLLOW_THROUGH and nato_cohesion < COHESION."""
    return (
        (frame["follow_through"] > FOLLOW_THROUGH) & (frame["nato_cohesion"] < COHESION)
    ).to_numpy()


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory) -> Path:
    """A run folder whose direct_conflict follows ``synthetic_outcome``: 1,000 draws of 2 runs,
    so the probability at each draw is 0 or 1."""
    folder = tmp_path_factory.mktemp("synthetic_run")
    settings = load_settings("troops", **POINT)
    ranges = uncertainty_ranges(settings)
    rng = np.random.default_rng(5)
    draw = draw_of_replicate(1000, 2000)
    frame = pd.DataFrame({"replicate": np.arange(2000), "draw": draw})
    for name, (low, high) in ranges.items():
        frame[name] = rng.uniform(low, high, 1000)[draw]
    for column in OUTCOME_COLUMNS:
        frame[column] = 0
    frame["direct_conflict"] = synthetic_outcome(frame)
    frame["russian_retaliation"] = True
    frame.to_csv(folder / "outcomes.csv", index=False)
    config = {
        "policy": {"instructors": "inside", "troops": "noncombat"},
        "sim": {"sampling": "uniform"},
        "uncertainty": {name: {"low": low, "high": high} for name, (low, high) in ranges.items()},
    }
    summary = {"scenario": "troops", "title": "Synthetic", "config": config}
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / ".escalation").write_text("")  # made as escalation makes one (files.MARKER)
    return folder


# --- the analyses on a table with a known answer -------------------------------------------


@pytest.fixture(scope="module")
def two_thresholds():
    """Five uniform assumptions; the outcome happens exactly when a > 0.6 and b < 0.4."""
    rng = np.random.default_rng(11)
    x = pd.DataFrame(rng.uniform(0, 1, (2000, 5)), columns=list("abcde"))
    return x, ((x["a"] > 0.6) & (x["b"] < 0.4)).to_numpy()


def test_prim_recovers_the_box_of_two_thresholds(two_thresholds):
    x, cases = two_thresholds
    (box,) = discover(x, cases)
    assert set(box.limits) == {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=BOX_TOLERANCE)
    assert box.limits["a"][1] == pytest.approx(1.0, abs=BOX_TOLERANCE)
    assert box.limits["b"][0] == pytest.approx(0.0, abs=BOX_TOLERANCE)
    assert box.limits["b"][1] == pytest.approx(0.4, abs=BOX_TOLERANCE)
    assert box.coverage >= 0.95
    assert box.density >= 0.95
    assert box.conditions()[0].startswith("a above 0.")
    assert box.conditions()[1].startswith("b below 0.")


def test_feature_scoring_ranks_the_two_thresholds_first(two_thresholds):
    x, cases = two_thresholds
    scores, reference = feature_scores(x, cases, resamples=3, permutations=5, seed=1)
    assert set(scores.index[:2]) == {"a", "b"}
    assert scores["rank"].tolist() == [1, 2, 3, 4, 5]
    assert scores["score"].iloc[1] > 2 * scores["score"].iloc[2]
    assert scores["score"].sum() == pytest.approx(1.0, abs=1e-9)
    assert (scores["low"] <= scores["high"]).all()
    # five parameters without effect share the fit about equally: near 1/5 each
    assert 0.2 <= reference < 0.3
    assert scores["stands_out"].tolist() == [True, True, False, False, False]


def test_choose_box_takes_the_best_f1_among_readable_significant_boxes():
    trajectory = pd.DataFrame(
        {
            "coverage": [1.0, 0.9, 0.8, 0.7, 0.6],
            "density": [0.2, 0.5, 0.8, 0.9, 0.99],
            "res_dim": [0, 1, 2, 4, 2],
        }
    )
    quasi_p = [
        {},
        {"a": [0.001, -1]},
        {"a": [0.001, -1], "b": [-1, 0.01]},
        {"a": [0.001, -1], "b": [-1, 0.01], "c": [0.01, -1], "d": [-1, 0.01]},
        {"a": [0.001, -1], "b": [-1, 0.2]},  # not significant
    ]
    # F1: row 1 0.643, row 2 0.800, row 3 0.788 (4 restrictions), row 4 0.744 (not significant)
    assert choose_box(trajectory, quasi_p) == 2
    assert choose_box(trajectory, quasi_p, max_dimensions=1) == 1
    assert choose_box(trajectory.iloc[:1], quasi_p[:1]) is None


# --- the command on a run folder --------------------------------------------------------------


def test_command_reports_the_box_and_the_ranking_of_a_synthetic_run(synthetic_run, capsys):
    main([str(synthetic_run), "--resamples", "3"])
    printed = capsys.readouterr().out
    above = re.search(r"follow_through above (\d+\.\d+)", printed)
    below = re.search(r"nato_cohesion below (\d+\.\d+)", printed)
    ft_tolerance, cohesion_tolerance = tolerance("follow_through"), tolerance("nato_cohesion")
    assert float(above.group(1)) == pytest.approx(FOLLOW_THROUGH, abs=ft_tolerance)
    assert float(below.group(1)) == pytest.approx(COHESION, abs=cohesion_tolerance)
    scores = pd.read_csv(synthetic_run / "analysis_feature_scores.csv")
    assert set(scores.loc[scores["rank"] <= 2, "parameter"]) == {"follow_through", "nato_cohesion"}
    assert set(scores.loc[scores["stands_out"], "parameter"]) == {"follow_through", "nato_cohesion"}
    boxes = pd.read_csv(synthetic_run / "analysis_boxes.csv").set_index("parameter")
    assert set(boxes.index) == {"follow_through", "nato_cohesion"}
    assert boxes.loc["follow_through", "low"] == pytest.approx(FOLLOW_THROUGH, abs=ft_tolerance)
    assert boxes.loc["follow_through", "high"] == pytest.approx(RANGES["follow_through"][1])
    assert boxes.loc["nato_cohesion", "low"] == pytest.approx(RANGES["nato_cohesion"][0])
    assert boxes.loc["nato_cohesion", "high"] == pytest.approx(COHESION, abs=cohesion_tolerance)
    assert boxes["density"].iloc[0] >= 0.95
    assert boxes["coverage"].iloc[0] >= 0.95
    report = (synthetic_run / "analysis.md").read_text()
    rate = synthetic_outcome(pd.read_csv(synthetic_run / "outcomes.csv")).mean()
    assert f"happens in {rate:.0%} of runs" in report
    stated = re.search(r"With follow_through above (\d+\.\d+)", report)
    assert float(stated.group(1)) == pytest.approx(FOLLOW_THROUGH, abs=ft_tolerance)
    assert (synthetic_run / "figures" / "analysis_feature_scores.png").stat().st_size > 10_000
    assert (synthetic_run / "figures" / "analysis_prim.png").stat().st_size > 10_000


def test_outcome_that_always_happens_is_skipped_with_its_reason(synthetic_run, tmp_path, capsys):
    main([str(synthetic_run), "--outcome", "russian_retaliation", "--out", str(tmp_path)])
    report = (tmp_path / "analysis.md").read_text()
    assert "Russian retaliation happens in every run (2,000 of 2,000 runs)" in report
    assert pd.read_csv(tmp_path / "analysis_boxes.csv").empty
    assert not (synthetic_run / "analysis_russian_retaliation.md").exists()
    assert "skipped" in capsys.readouterr().out


# --- bad input --------------------------------------------------------------------------------


def run_failing(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    return error


def test_folder_without_outcomes_gives_one_line_and_exit_2(tmp_path, capsys):
    error = run_failing([str(tmp_path)], capsys)
    assert error.startswith("escalation-analyze: error: ")
    assert "has no outcomes.csv" in error
    assert "no such folder" in run_failing([str(tmp_path / "missing")], capsys)


def test_unknown_outcome_gives_one_line_naming_the_outcomes(synthetic_run, capsys):
    error = run_failing([str(synthetic_run), "--outcome", "banana"], capsys)
    assert "unknown outcome 'banana'; available: max_rung, final_rung, direct_conflict" in error
    error = run_failing([str(synthetic_run), "--above", "3"], capsys)
    assert "direct_conflict is yes/no" in error


def test_missing_analysis_extra_names_the_install_command(synthetic_run, monkeypatch, capsys):
    for module in ("ema_workbench", "ema_workbench.analysis", "SALib", "SALib.analyze"):
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "SALib.analyze.sobol", None)
    error = run_failing([str(synthetic_run)], capsys)
    assert error == f"escalation-analyze: error: {INSTALL_HINT}\n"
    assert INSTALL_HINT == "install the analysis extra: pip install -e '.[analysis]'"


# --- a real sweep: the ranking follows from the model's rules ---------------------------------


@pytest.fixture(scope="module")
def status_quo_sweep(tmp_path_factory) -> Path:
    """status_quo under each posture, 2,000 replicates per job."""
    folder = tmp_path_factory.mktemp("sweep")
    command = [
        sys.executable, "-m", "escalation", "-m", "policy.posture=red_lines,ambiguity",
        "sim.replicates=2000", "sim.parameters=point", f"hydra.sweep.dir={folder}",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, cwd=folder)
    return folder


def status_quo_involvement(posture: str) -> tuple[float, float, float]:
    """The most involvement Russia measures and perceives in any month of 500 status-quo runs
    under ``posture`` (36 months), and the ceiling it fears (``France.ceiling``)."""
    model = EscalationModel(
        load_settings("status_quo", replicates=500, seed=1, posture=posture, **POINT)
    )
    measured = perceived = 0.0
    while model.running:
        model.step()
        measured = max(measured, float(model.russia.involvement.max()))
        perceived = max(perceived, float(model.russia.perceived_involvement.max()))
    return measured, perceived, float(np.max(model.france.ceiling()))


def test_sweep_analysis_skips_red_lines_and_explains_ambiguity(status_quo_sweep, capsys):
    """The status quo (the record's measures of September 2024, the limited deep-strike
    permissions spreading) stays below the lowest red line of the configured range (§7.5):
    under declared red lines Russia perceives what is in force, no line is crossed and Russia
    never retaliates (it needs a crossed line). Under ambiguity Russia perceives involvement +
    ambiguity_alarm x r_alpha x (ceiling - involvement), with r_alpha < 1, so a line is crossed
    only when ambiguity_alarm is high and red_line_threshold low: those two rank first."""
    threshold_low = RANGES["red_line_threshold"][0]
    measured, perceived, _ = status_quo_involvement("red_lines")
    assert perceived == pytest.approx(measured)  # the premise: nothing added under red lines
    assert measured < threshold_low  # the premise: no line crossed under red lines
    main([str(status_quo_sweep), "--outcome", "russian_retaliation", "--resamples", "3"])
    report = (status_quo_sweep / "analysis.md").read_text()
    assert "- job 0: posture=red_lines: Russian retaliation never happens (0 of 2,000" in report
    scores = pd.read_csv(status_quo_sweep / "analysis_feature_scores.csv")
    assert set(scores["job"]) == {1}
    top = set(scores.loc[scores["rank"] <= 2, "parameter"])
    assert top == {"ambiguity_alarm", "red_line_threshold"}
    # 100 draws of 20 runs: the threshold stands out of the no-effect reference
    assert "red_line_threshold" in set(scores.loc[scores["stands_out"], "parameter"])
    boxes = pd.read_csv(status_quo_sweep / "analysis_boxes.csv").set_index("parameter")
    measured, _, ceiling = status_quo_involvement("ambiguity")
    alarm = RANGES["ambiguity_alarm"][1]
    assert boxes.loc["red_line_threshold", "low"] == pytest.approx(threshold_low)
    # the most Russia can perceive: the most in force, plus the highest alarm at r_alpha = 1
    assert boxes.loc["red_line_threshold", "high"] <= measured + alarm * (ceiling - measured)
    assert boxes["coverage"].iloc[0] >= 0.95
    assert boxes["density"].iloc[0] > 2 * boxes["base_rate"].iloc[0]
    assert (status_quo_sweep / "figures" / "analysis_prim_1.png").is_file()
    assert not (status_quo_sweep / "figures" / "analysis_prim_0.png").exists()
    assert "job 0: posture=red_lines: skipped" in capsys.readouterr().out


# --- sampling: uniform unchanged, sobol on SALib's design -------------------------------------


def test_uniform_mode_draws_once_per_draw_what_the_model_uses():
    """50 replicates in 10 draws: each assumption is drawn once per draw (``rng.uniform`` over
    the draws, in schema order) and shared by the draw's replicates, as the model holds it."""
    settings = load_settings("troops", replicates=50, seed=3, **POINT)
    settings.sim.draws = 10
    expected_rng = np.random.default_rng(3)
    expected = {
        name: expected_rng.uniform(low, high, 10)
        for name, (low, high) in uncertainty_ranges(settings).items()
    }
    draw, drawn = draw_parameters(settings, np.random.default_rng(3), 50)
    np.testing.assert_array_equal(draw, np.arange(50) // 5)
    model = EscalationModel(settings)
    assert list(model.uncertain) == uncertainty_names()
    for name in uncertainty_names():
        np.testing.assert_array_equal(drawn[name], expected[name][draw])
        np.testing.assert_array_equal(model.uncertain[name], expected[name][draw])


def test_sampling_mode_is_validated_in_one_line():
    settings = load_settings("troops", replicates=111, **POINT)
    settings.sim.sampling = "banana"
    with pytest.raises(ConfigError, match=r"^sim.sampling: invalid value 'banana'; allowed: "):
        validate(settings)
    settings.sim.sampling = "sobol"  # 8 base points x (12 + 2) = 112 draws at least
    settings.sim.draws = 111
    with pytest.raises(ConfigError, match=r"^sim.sampling=sobol needs sim.draws >= 112 "):
        validate(settings)
    settings.sim.replicates = settings.sim.draws = 112
    assert validate(settings) is settings


def test_sobol_mode_without_salib_names_the_install_command(monkeypatch):
    settings = load_settings("troops", replicates=1100, **POINT)
    settings.sim.sampling = "sobol"
    settings.sim.draws = 1100
    for module in ("SALib", "SALib.sample", "SALib.sample.sobol"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ConfigError, match=r"needs SALib: install the analysis extra"):
        validate(settings)


def test_sobol_design_over_the_draws_follows_saltelli_with_fixed_assumptions_kept():
    """D = 11 varying assumptions (follow_through fixed): N = 1,005 draws // 13 = 77 base
    points, each draw held by 2 replicates."""
    settings = load_settings("troops", replicates=2010, seed=4, follow_through=0.5, **POINT)
    settings.sim.sampling = "sobol"
    settings.sim.draws = 1005
    draw, drawn = draw_parameters(validate(settings), np.random.default_rng(4), 2010)
    _, again = draw_parameters(settings, np.random.default_rng(4), 2010)
    np.testing.assert_array_equal(draw, np.arange(2010) // 2)
    varying = [name for name in uncertainty_names() if name != "follow_through"]
    design = np.column_stack([drawn[name] for name in varying])[::2]  # one row per draw
    assert design.shape == (1005, 11)
    np.testing.assert_array_equal(drawn["follow_through"], np.full(2010, 0.5))
    np.testing.assert_array_equal(design, np.column_stack([again[name] for name in varying])[::2])
    blocks = design[: 77 * 13].reshape(77, 13, 11)
    for i in range(11):
        others = [j for j in range(11) if j != i]
        np.testing.assert_array_equal(blocks[:, i + 1, others], blocks[:, 0, others])
        np.testing.assert_array_equal(blocks[:, i + 1, i], blocks[:, 12, i])
    assert not np.any(blocks[:, 0, :] == blocks[:, 12, :])
    ranges = uncertainty_ranges(settings)
    for column, name in enumerate(varying):
        low, high = ranges[name]
        assert low <= design[:, column].min() < low + 0.05 * (high - low)
        assert high - 0.05 * (high - low) < design[:, column].max() <= high


@pytest.fixture(scope="module")
def sobol_run(tmp_path_factory) -> Path:
    """troops with its draws on a Saltelli design over the 12 assumptions (point mode: the
    doctrine priors fixed): N = 256 base points x (12 + 2) = 3,584 draws of 2 runs."""
    folder = tmp_path_factory.mktemp("sobol") / "run"
    command = [
        sys.executable, "-m", "escalation", "scenario=troops", "sim.sampling=sobol",
        "sim.parameters=point", "sim.draws=3584", "sim.replicates=7168", "sim.figures=false",
        "seed=3", f"hydra.run.dir={folder}",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, cwd=folder.parent)
    return folder


def test_sobol_indices_of_the_position_single_out_its_two_drivers(sobol_run, capsys):
    """Ukraine's position moves by effectiveness x effects - pressure + noise (§7.2): those two
    assumptions explain most of its mean at each draw and alone stand out. The ten others have
    no effect on it: each S1 is within its interval of 0, and each ST within its interval of
    the no-effect reference, the share of the per-draw means' variance that is Monte Carlo
    noise (Jansen's estimator adds that share to every total index)."""
    main([str(sobol_run), "--outcome", "ukraine_position_final", "--resamples", "2"])
    table = pd.read_csv(sobol_run / "analysis_sobol.csv").set_index("parameter")
    assert len(table) == 12
    top = ["measure_effectiveness", "russian_pressure"]
    assert table["S1"].nlargest(2).index.tolist() == top
    assert 0.6 < table.loc[top, "S1"].sum() <= 1.05
    assert sorted(table.index[table["stands_out"]]) == top
    others = table.drop(index=top)
    noise = table["noise"].iloc[0]
    assert (table["noise"] == noise).all()
    assert 0 < noise < 0.2
    assert (others["S1"].abs() <= 2 * others["S1_conf"]).all()
    assert ((others["ST"] - noise).abs() <= 2 * others["ST_conf"]).all()
    assert (table["S1_conf"] > 0).all()
    report = (sobol_run / "analysis.md").read_text()
    assert "Sobol indices from the first 3,584 draws (7,168 runs; base sample N = 256" in report
    assert "`sim.parameters=point`: the doctrine priors are fixed" in report
    assert (sobol_run / "figures" / "analysis_sobol.png").is_file()


def test_sobol_indices_need_the_design(sobol_run):
    study = load_study(sobol_run)
    (policy,) = study.policies
    target = make_target(study, "ukraine_position_final")
    assert target.above == pytest.approx(policy.rows["ukraine_position_final"].median())
    draws = draw_table(policy, target)
    result, note = sobol_indices(policy, draws.sample(frac=1, random_state=1))
    assert result is None
    assert note.endswith("the draws do not follow the Saltelli design")


# --- the EMA Workbench example ----------------------------------------------------------------

POLICY_WITH_TROOPS = {"instructors": "inside", "troops": "noncombat", "deep_strikes": "prohibited"}
"""The example's policies with non-combat troops (``ema_workbench_example.POLICIES``)."""


def load_example():
    spec = importlib.util.spec_from_file_location(
        "ema_workbench_example", EXPERIMENTS / "ema_workbench_example.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ema_workbench_example_runs_experiments_and_prim(tmp_path):
    """80 experiments (20 scenarios x 4 policies, 20 runs each): EMA Workbench's PRIM finds
    Russian retaliation likely with non-combat troops where Russia enforces its red line. With
    instructors inside and non-combat troops the involvement reaches the top of the configured
    red-line range, so every line is crossed and what decides retaliation is whether Russia
    enforces it (follow_through), not where the line lies."""
    troops = load_settings(
        "status_quo", replicates=50, seed=1, posture="red_lines", **POLICY_WITH_TROOPS, **POINT
    )
    model = EscalationModel(troops)
    model.step()
    assert model.russia.involvement.min() >= RANGES["red_line_threshold"][1]  # the premise
    example = load_example()
    table, box = example.run(scenarios=20, replicates=20, months=36, seed=2)
    assert len(table) == 80
    assert table.groupby("policy").size().tolist() == [20, 20, 20, 20]
    assert table["direct_conflict"].between(0, 1).all()
    # the batch evaluator's outcomes are simulate_many's means for the same design
    design = table[[*uncertainty_names(), *LEVERS]].to_dict("records")
    again = escalation.simulate_many(design, replicates=20, months=36, seed=2, parameters="point")
    means = again.groupby("point")[["direct_conflict", "ukraine_position_final"]].mean()
    assert means["direct_conflict"].tolist() == table["direct_conflict"].tolist()
    assert means["ukraine_position_final"].tolist() == table["ukraine_position_final"].tolist()
    assert box["limits"]["troops"] == (["noncombat"], None)
    assert "red_line_threshold" not in box["limits"]  # crossed whatever it is, with troops
    low, high = box["limits"]["follow_through"]
    assert RANGES["follow_through"][0] < low and high is None
    assert box["density"] > 0.5  # more likely than not, the box the example looks for
    example.write(tmp_path, table, box, replicates=20)
    assert len(pd.read_csv(tmp_path / "experiments.csv")) == 80
    assert "PRIM: where `follow_through` above" in (tmp_path / "reading.md").read_text()


# --- a sweep over an assumption's bound: per-job ranges and a line per step -------------------


@pytest.mark.parametrize("figures", [False, True])
def test_threshold_sweep_states_each_jobs_range_and_reports_each_step(tmp_path, capsys, figures):
    """The analyst's sweep over ``uncertainty.red_line_threshold.high``: the report names each
    job by its threshold and gives its own range; the command prints a line per step. The first
    job's high bound is the range's low one, so the threshold is fixed in that job and sampled in
    the other: the overview table says "fixed" for it rather than failing on the missing score,
    and so does the feature-score figure (a blank)."""
    low, high = RANGES["red_line_threshold"]
    highs = (low, 0.5 * (low + high))
    command = [
        sys.executable, "-m", "escalation", "-m", "policy.posture=ambiguity",
        f"uncertainty.red_line_threshold.high={highs[0]},{highs[1]}", "sim.replicates=1000",
        "sim.parameters=point", f"hydra.sweep.dir={tmp_path}",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path)
    options = ["--outcome", "russian_retaliation", "--resamples", "2"]
    main([str(tmp_path), *options, *([] if figures else ["--no-figures"])])
    printed = capsys.readouterr().out.splitlines()
    report = (tmp_path / "analysis.md").read_text()
    assert "The parameters' ranges differ between the jobs:" in report
    key = "uncertainty.red_line_threshold.high"
    lines = {
        job: next(line for line in report.splitlines() if line.startswith(f"- job {job}: "))
        for job in (0, 1)
    }
    for job, bound in enumerate(highs):
        assert lines[job].startswith(f"- job {job}: {key}={float(bound)}: ")
    assert f"fixed: `red_line_threshold` = {low:g}" in lines[0]
    assert f"`red_line_threshold` ({low:.3g}–{highs[1]:.3g})" in lines[1]
    row = next(line for line in report.splitlines() if line.startswith("| `red_line_threshold`"))
    assert row.split(" | ")[1] == "fixed"  # job 0's cell of the overview table
    assert (tmp_path / "figures" / "analysis_feature_scores.png").is_file() == figures
    assert printed[0] == f"Loading {tmp_path} ..."
    assert printed[1].startswith("Loaded 2 policies, 2,000 runs (")
    steps = [line for line in printed if line.startswith("[policy ")]
    assert [line[:13] for line in steps] == ["[policy 1/2] ", "[policy 2/2] "]
    assert all("feature scores" in line and "PRIM" in line for line in steps)
    writing = (
        "Writing the report, tables and figures to" if figures else "Writing the report, tables to"
    )
    assert any(line.startswith(writing) for line in printed)
    assert any(line.startswith("Written (") for line in printed)


def test_ema_sobol_design_is_evaluated_in_one_batch_in_the_experiments_order():
    """EMA Workbench's Sobol sampler through ``escalation.analysis.ema.BatchEvaluator``: one outcome
    per experiment of the Saltelli design (N x (2D + 2) rows), each the mean of ``simulate_many``
    over that experiment's row, so SALib's analysis can read them in order."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import Samplers, perform_experiments
    from SALib.analyze import sobol

    from escalation.analysis.ema import BatchEvaluator

    model = load_example().ema_model(replicates=10, months=24, seed=4)
    with BatchEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(
            model,
            scenarios=8,
            evaluator=evaluator,
            uncertainty_sampling=Samplers.SOBOL,
            uncertainty_sampling_kwargs={"rng": 4},
        )
    dims = len(model.uncertainties)
    assert len(experiments) == 8 * (2 * dims + 2)
    position = outcomes["ukraine_position_final"]
    assert len(position) == len(experiments)
    columns = [name for name in [*uncertainty_names(), *LEVERS] if name in experiments.columns]
    again = escalation.simulate_many(
        experiments[columns].to_dict("records"),
        replicates=10,
        months=24,
        seed=4,
        parameters="point",
    )
    means = again.groupby("point")["ukraine_position_final"].mean()
    assert means.tolist() == list(position)
    problem = {
        "num_vars": dims,
        "names": [u.name for u in model.uncertainties],
        "bounds": [[u.lower_bound, u.upper_bound] for u in model.uncertainties],
    }
    indices = sobol.analyze(problem, np.asarray(position, dtype=float), seed=4)
    assert np.isfinite(indices["ST"]).all()

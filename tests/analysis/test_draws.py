"""escalation-analyze on parameter draws: the probability at each draw, and what stands out of it.

Constructed tables with known answers: the per-draw aggregation, an outcome driven by one
parameter (it ranks first and stands out), a pure-noise outcome (nothing stands out), Sobol
indices of a known additive function on the sampler's own design, the ranges read back from a
run's config, and bad input (no draws, too few draws, a parameter that differs within a draw).
Needs the analysis extra (``pip install -e '.[analysis]'``; ``make test`` installs it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.analysis.analyse import (
    MIN_DRAWS,
    Policy,
    Target,
    draw_table,
    load_study,
    sobol_indices,
)
from escalation.analysis.cli import main
from escalation.analysis.study import _ranges
from escalation.config.sampling import (
    draw_parameters,
    parameter_ranges,
    uncertainty_ranges,
)
from escalation.config.scenarios import load_settings
from escalation.config.schema import Settings
from escalation.run.results import OUTCOME_COLUMNS


def prior_settings(replicates: int, draws: int, sampling: str = "uniform") -> Settings:
    """status_quo with every doctrine prior varying (``sim.parameters=prior``)."""
    settings = load_settings("status_quo", replicates=replicates, seed=7)
    settings.sim.parameters = "prior"
    settings.sim.draws = draws
    settings.sim.sampling = sampling
    return settings


def run_config(settings: Settings) -> dict:
    """The parts of a run's recorded config (``summary.json``) the analysis reads."""
    return {
        "policy": {"instructors": "outside", "troops": "none"},
        "sim": {
            "sampling": settings.sim.sampling,
            "parameters": settings.sim.parameters,
            "draws": settings.sim.draws,
        },
        "uncertainty": {
            name: {"low": low, "high": high}
            for name, (low, high) in uncertainty_ranges(settings).items()
        },
        "prior": {
            name: {"key": prior.key, "low": prior.low, "high": prior.high}
            for name, prior in settings.prior.items()
        },
    }


def unit(settings: Settings, name: str, values: np.ndarray) -> np.ndarray:
    """``values`` of parameter ``name`` as a share of its range (0 at low, 1 at high)."""
    low, high = parameter_ranges(settings)[name]
    return (values - low) / (high - low)


def write_run(
    folder: Path,
    settings: Settings,
    outcome: Callable[[dict[str, np.ndarray], np.random.Generator], dict[str, np.ndarray]],
    seed: int = 1,
) -> Path:
    """A run folder whose parameters come from the sampler and whose outcomes from ``outcome``.

    ``outcome`` gets each parameter per replicate (equal within a draw) and a generator, and
    returns the outcome columns it sets; the others are 0.
    """
    rng = np.random.default_rng(seed)
    replicates = settings.sim.replicates
    draw, values = draw_parameters(settings, np.random.default_rng(seed), replicates)
    frame = pd.DataFrame({"replicate": np.arange(replicates), "draw": draw, **values})
    for column in OUTCOME_COLUMNS:
        frame[column] = 0
    for column, data in outcome(values, rng).items():
        frame[column] = data
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "outcomes.csv", index=False)
    summary = {"scenario": "status_quo", "title": "Constructed", "config": run_config(settings)}
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / ".escalation").write_text("")  # made as escalation makes one (files.MARKER)
    return folder


def run_failing(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert len(error.strip().splitlines()) == 1
    return error


# --- the per-draw table -----------------------------------------------------------------------


def test_draw_table_gives_each_draws_probability_mean_and_noise():
    """Three draws of 4, 2 and 1 runs: the probability, the mean over the runs with a value,
    the Monte Carlo variance of each (sample variance over the runs), the share of cases."""
    rows = pd.DataFrame(
        {
            "replicate": range(7),
            "draw": [0, 0, 0, 0, 1, 1, 2],
            "a": [0.1] * 4 + [0.5] * 2 + [0.9],
            "direct_conflict": [True, False, False, False, True, True, False],
            "max_rung": [1.0, 2.0, 3.0, np.nan, 5.0, 7.0, np.nan],
        }
    )
    policy = Policy(None, "x", rows, {"a": (0.0, 1.0)})
    war = draw_table(policy, Target("direct_conflict", yes_no=True))
    assert war.index.tolist() == [0, 1, 2]
    assert war["a"].tolist() == [0.1, 0.5, 0.9]
    assert war["runs"].tolist() == [4, 2, 1]
    assert war["value"].tolist() == [0.25, 1.0, 0.0]
    assert war["share"].tolist() == [0.25, 1.0, 0.0]
    # draw 0: sample variance of (1, 0, 0, 0) = 0.25, over 4 runs; draw 2: one run, unknown
    np.testing.assert_allclose(war["noise"].to_numpy()[:2], [0.0625, 0.0])
    assert np.isnan(war["noise"].iloc[2])
    rung = draw_table(policy, Target("max_rung", yes_no=False, above=2.5))
    np.testing.assert_allclose(rung["value"].to_numpy()[:2], [2.0, 6.0])
    assert np.isnan(rung["value"].iloc[2])  # no run of draw 2 has a value
    # variance of (1, 2, 3) = 1 over 3 runs; of (5, 7) = 2 over 2
    np.testing.assert_allclose(rung["noise"].to_numpy()[:2], [1 / 3, 1.0])
    assert rung["share"].tolist() == [0.25, 1.0, 0.0]  # above 2.5: 3 of draw 0; 5, 7


def test_ranges_are_the_samplers_in_prior_and_point_mode():
    """The ranges read back from a run's config are ``parameter_ranges``, in its order: the
    priors vary with sim.parameters=prior and are fixed at their doctrine values with point."""
    for mode in ("prior", "point"):
        settings = prior_settings(40, 20)
        settings.sim.parameters = mode
        _, values = draw_parameters(settings, np.random.default_rng(2), 40)
        ranges = _ranges(run_config(settings), pd.DataFrame(values), mode)
        assert list(ranges.items()) == list(parameter_ranges(settings).items())
    assert len(ranges) == 12 + len(settings.prior)
    assert all(ranges[name][0] == ranges[name][1] for name in settings.prior)


# --- what stands out --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_driver(tmp_path_factory) -> Path:
    """300 draws x 10 runs over the 31 parameters; P(war) = 5% + 50% x kinetic_share's place
    in its range, nothing else."""
    settings = prior_settings(3000, 300)

    def outcome(values, rng):
        p = 0.05 + 0.5 * unit(settings, "kinetic_share", values["kinetic_share"])
        return {"direct_conflict": rng.random(p.size) < p}

    return write_run(tmp_path_factory.mktemp("one_driver") / "run", settings, outcome)


def test_a_parameter_that_drives_the_outcome_ranks_first_and_stands_out(one_driver, capsys):
    main([str(one_driver), "--resamples", "3", "--permutations", "9", "--seed", "2"])
    printed = capsys.readouterr().out
    scores = pd.read_csv(one_driver / "analysis_feature_scores.csv").set_index("parameter")
    assert len(scores) == 31
    assert scores.index[0] == "kinetic_share"
    assert scores.loc["kinetic_share", "kind"] == "doctrine prior"
    assert scores.loc["red_line_threshold", "kind"] == "assumption"
    reference = scores["reference"].iloc[0]
    assert scores.loc["kinetic_share", "score"] > 3 * reference
    assert scores["stands_out"].tolist() == [True] + [False] * 30
    assert scores["score"].sum() == pytest.approx(1.0, abs=1e-9)
    report = (one_driver / "analysis.md").read_text()
    assert "`sim.parameters=prior`: every draw takes each assumption and each doctrine prior" in (
        report
    )
    assert "12 assumptions: `red_line_threshold`" in report
    assert "19 doctrine priors: `signalling_base`" in report
    assert "**Which parameters matter.** `kinetic_share` stands out: its score is above" in report
    assert "The 300 parameter draws (10 runs each) give the probability of NATO-Russia war" in (
        report
    )
    assert "stand out: kinetic_share" in printed
    assert (one_driver / "figures" / "analysis_feature_scores.png").stat().st_size > 10_000


def test_a_pure_noise_outcome_says_no_assumption_stands_out(tmp_path, capsys):
    """P(war) = 20% at every draw: every score is within the no-effect reference."""
    settings = prior_settings(3000, 300)

    def outcome(values, rng):
        return {"direct_conflict": rng.random(settings.sim.replicates) < 0.2}

    folder = write_run(tmp_path / "run", settings, outcome)
    main([str(folder), "--resamples", "3", "--permutations", "19", "--no-figures"])
    printed = capsys.readouterr().out
    scores = pd.read_csv(folder / "analysis_feature_scores.csv")
    assert not scores["stands_out"].any()
    assert (scores["score"] <= scores["reference"]).all()
    report = (folder / "analysis.md").read_text()
    assert "**No assumption stands out** for NATO-Russia war" in report
    assert "**Which parameters matter.** No assumption stands out: every score is within" in (
        report
    )
    assert "matter most" not in report
    assert "no parameter stands out (top score" in printed


# --- Sobol indices on the draws ---------------------------------------------------------------

BASE = 256
"""Base sample size of the additive test's design: 256 x (31 + 2) = 8,448 draws."""


def test_sobol_on_draws_recovers_the_indices_of_an_additive_function():
    """y = 3 u(kinetic_share) + u(western_resolve) + noise, each u uniform on [0, 1]: the
    variance is (9 + 1) / 12, so S1 = ST = 0.9 and 0.1, and 0 for the 29 other parameters;
    the noise (sd 0.1 a run, 2 runs a draw) is 0.005 / (10 / 12 + 0.005) of the variance."""
    draws = BASE * 33
    settings = prior_settings(2 * draws, draws, sampling="sobol")
    draw, values = draw_parameters(settings, np.random.default_rng(3), 2 * draws)
    rng = np.random.default_rng(4)
    y = (
        3 * unit(settings, "kinetic_share", values["kinetic_share"])
        + unit(settings, "western_resolve", values["western_resolve"])
        + rng.normal(0, 0.1, draw.size)
    )
    rows = pd.DataFrame({"replicate": np.arange(draw.size), "draw": draw, **values, "y": y})
    policy = Policy(None, "x", rows, parameter_ranges(settings), sampling="sobol", mode="prior")
    table = draw_table(policy, Target("y", yes_no=False, above=0.0))
    result, note = sobol_indices(policy, table, seed=5)
    assert note == (
        f"Sobol indices from the first {draws:,} draws ({2 * draws:,} runs; base sample "
        f"N = {BASE}, 31 parameters, N x (D + 2) draws)"
    )
    indices = result.table
    expected = {"kinetic_share": 0.9, "western_resolve": 0.1}
    for name, share in expected.items():
        for key in ("S1", "ST"):
            tolerance = max(2 * indices.loc[name, f"{key}_conf"], 0.02)
            assert indices.loc[name, key] == pytest.approx(share, abs=tolerance)
    others = indices.drop(index=list(expected))
    assert (others["S1"].abs() <= 2 * others["S1_conf"] + 0.01).all()
    assert (others["ST"] <= 0.01).all()
    assert result.noise == pytest.approx(0.005 / (10 / 12 + 0.005), rel=0.2)
    assert sorted(indices.index[indices["stands_out"]]) == sorted(expected)
    shuffled = table.sample(frac=1, random_state=1)
    missing, reason = sobol_indices(policy, shuffled)
    assert missing is None
    assert reason == "Sobol indices not computed: the draws do not follow the Saltelli design"


# --- bad input --------------------------------------------------------------------------------


def test_a_folder_without_draws_gives_one_line(one_driver, tmp_path, capsys):
    folder = tmp_path / "old"
    folder.mkdir()
    table = pd.read_csv(one_driver / "outcomes.csv").drop(columns="draw")
    table.to_csv(folder / "outcomes.csv", index=False)
    (folder / "summary.json").write_text((one_driver / "summary.json").read_text())
    (folder / ".escalation").write_text("")
    error = run_failing([str(folder)], capsys)
    assert error == (
        f"escalation-analyze: error: {folder / 'outcomes.csv'} has no draw column: it was made "
        "before parameter draws (model v3); run it again with this version, e.g. escalation "
        "sim.draws=1000 sim.replicates=20000\n"
    )


def test_too_few_draws_give_one_line(tmp_path, capsys):
    settings = prior_settings(100, MIN_DRAWS - 1)

    def outcome(values, rng):
        return {"direct_conflict": rng.random(settings.sim.replicates) < 0.3}

    folder = write_run(tmp_path / "run", settings, outcome)
    error = run_failing([str(folder)], capsys)
    assert error == (
        f"escalation-analyze: error: {folder / 'outcomes.csv'} holds {MIN_DRAWS - 1} parameter "
        f"draws; the analysis needs at least {MIN_DRAWS} (the probability is analysed per draw): "
        "run more, e.g. sim.draws=1000 sim.replicates=20000\n"
    )
    assert not (folder / "analysis.md").exists()


def test_a_parameter_that_differs_within_a_draw_gives_one_line(one_driver, tmp_path, capsys):
    folder = tmp_path / "broken"
    folder.mkdir()
    table = pd.read_csv(one_driver / "outcomes.csv")
    table.loc[1, "kinetic_share"] += 0.01  # replicate 1 belongs to draw 0, as replicate 0
    table.to_csv(folder / "outcomes.csv", index=False)
    (folder / "summary.json").write_text((one_driver / "summary.json").read_text())
    (folder / ".escalation").write_text("")
    error = run_failing([str(folder)], capsys)
    assert error.endswith(
        "outcomes.csv is malformed: kinetic_share differs between the replicates of draw 0 (a "
        "draw's replicates share every parameter)\n"
    )
    study = load_study(one_driver)
    assert study.policies[0].draws == 300

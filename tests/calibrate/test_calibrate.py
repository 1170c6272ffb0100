"""The calibration: the record it fits, its distance, its proposal, determinism, its command.

The ABC-SMC runs here are small (tens of particles, two generations, a few replicates): they
check what holds at any size (the same posterior for the same seed on one process, a process
pool and a loopback Dask cluster; weights that are importance weights; files that
``sim.parameters=posterior`` reads), not the posterior's values.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyabc")

from scipy import stats

from escalation.calibrate import cli
from escalation.calibrate.fit import calibrate, weighted_quantiles
from escalation.calibrate.record import (
    JOINT_STATES,
    RARE_CLASSES,
    log_score_distance,
    observed_record,
    occurrence_statistics,
)
from escalation.calibrate.sampler import (
    PRIOR_SD,
    LogisticPrior,
    PriorOrKernel,
    logistic_density,
    to_logit,
    to_natural,
)
from escalation.calibrate.sizes import CalibrationError, check_until
from escalation.config.posterior import load_posterior
from escalation.config.scenarios import load_settings
from escalation.timeline import SCORED_EVENTS, load_timeline

SMALL = {"particles": 24, "generations": 2, "replicates": 3, "seed": 5}


@pytest.fixture(scope="module")
def shipped():
    return load_timeline()


@pytest.fixture(scope="module")
def small(shipped):
    return calibrate(shipped, until="2023-06", **SMALL)


# --------------------------------------------------------------------------------------------
# The record and the distance
# --------------------------------------------------------------------------------------------


def test_the_record_is_the_timeline_month_by_month(shipped):
    record = observed_record(shipped, "2024-09")
    assert record.months[0] == "2022-02" and record.months[-1] == "2024-09"
    assert len(record.months) == 32
    signalling = shipped.observed("nuclear_signalling")
    hybrid = shipped.observed("hybrid_attacks")
    for month, code in zip(record.months, record.joint, strict=True):
        assert code == (month in signalling) + 2 * (month in hybrid)
    assert sum(record.joint % 2) == len([m for m in signalling if m <= "2024-09"])
    for name in RARE_CLASSES:
        assert record.rare[name].sum() == len(shipped.observed(name))


def test_statistics_group_replicates_by_particle_in_contiguous_blocks():
    months, particles, size = 3, 2, 4
    occurs = {name: np.zeros((months, particles * size), dtype=bool) for name in SCORED_EVENTS}
    occurs["nuclear_signalling"][0, :4] = True  # particle 0, month 1: all signal
    occurs["hybrid_attacks"][0, 2:6] = True  # particle 0: 2 of 4 hybrid; particle 1: 2 of 4
    occurs["direct_conflict"][2, 7] = True  # particle 1, month 3: one war
    first, second = occurrence_statistics(occurs, particles)
    assert first["joint"][0].tolist() == [0, 2, 0, 2]  # signalling only 2, both 2
    assert second["joint"][0].tolist() == [2, 0, 2, 0]
    assert second["rare"][2, RARE_CLASSES.index("direct_conflict")] == 1
    assert first["joint"].sum(axis=1).tolist() == [size] * months
    assert int(first["replicates"]) == size


def test_distance_is_the_mean_negative_log_score_with_jeffreys_smoothing(shipped):
    record = observed_record(shipped, "2023-06")
    observed = record.statistics()
    months = len(record.months)
    # A particle whose replicates all did what happened: p = 10.5 / 11 for each fact.
    perfect = {**observed, "joint": observed["joint"] * 10, "rare": observed["rare"] * 10}
    perfect["replicates"] = np.array(10)
    facts = 1 + len(RARE_CLASSES)
    assert log_score_distance(perfect, observed) == pytest.approx(-facts * np.log(10.5 / 11))
    # Another that never did the observed joint state is worse.
    wrong = {**perfect, "joint": np.roll(perfect["joint"], 1, axis=1)}
    assert log_score_distance(wrong, observed) > log_score_distance(perfect, observed)
    assert np.isfinite(log_score_distance(wrong, observed))
    assert observed["joint"].shape == (months, len(JOINT_STATES))


def test_until_outside_the_record_is_refused_in_one_line(shipped):
    with pytest.raises(CalibrationError, match=r"--until 2025-01: .*allowed: 2023-01 to 2024-09"):
        check_until(shipped, "2025-01")
    with pytest.raises(CalibrationError, match="at least 12 months"):
        check_until(shipped, "2022-12")
    assert check_until(shipped, None) == "2024-09"


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"particles": 9}, "--particles 9: allowed: a whole number from 10"),
        ({"generations": 0}, "--generations 0: allowed"),
        ({"replicates": True}, "--replicates True: allowed"),
        ({"seed": -1}, "--seed -1: allowed"),
    ],
)
def test_sizes_out_of_range_are_refused_before_any_simulation(shipped, sizes, message):
    with pytest.raises(CalibrationError, match=message):
        calibrate(shipped, **{**SMALL, **sizes})


# --------------------------------------------------------------------------------------------
# The prior on the logit scale and the proposal
# --------------------------------------------------------------------------------------------


def test_logit_scale_maps_the_prior_range_one_to_one():
    values = np.array([0.26, 1.0, 1.9])
    assert to_natural(to_logit(values, 0.25, 2.0), 0.25, 2.0) == pytest.approx(values)
    # A standard logistic on the logit scale is the uniform prior on the natural one.
    draws = to_natural(np.random.default_rng(0).logistic(size=200_000), -3.0, 1.0)
    assert np.histogram(draws, bins=4, range=(-3, 1))[0] / 200_000 == pytest.approx(
        [0.25] * 4, abs=0.005
    )


def test_prior_density_is_the_product_of_standard_logistics():
    prior = LogisticPrior(["a", "b"])
    point = {"a": 0.3, "b": -2.0}
    assert prior.pdf(point) == pytest.approx(stats.logistic.pdf(0.3) * stats.logistic.pdf(-2.0))
    assert logistic_density(np.array([[0.0], [40.0]])) == pytest.approx(
        [0.25, stats.logistic.pdf(40.0)]
    )


def test_the_proposal_perturbs_only_the_narrowed_parameters():
    rng = np.random.default_rng(1)
    population = pd.DataFrame({"narrow": rng.normal(1.0, 0.2, 400), "wide": rng.logistic(size=400)})
    weights = np.full(400, 1 / 400)
    kernel = PriorOrKernel()
    kernel.fit(population, weights)
    assert kernel.narrowed == ["narrow"] and kernel.free == ["wide"]
    assert population["wide"].std() > 0.8 * PRIOR_SD
    np.random.seed(3)
    draws = pd.DataFrame([kernel.rvs_single() for _ in range(3000)])
    assert abs(draws["narrow"].mean() - 1.0) < 0.05 and draws["narrow"].std() < 0.5
    assert draws["wide"].std() == pytest.approx(PRIOR_SD, rel=0.08)  # the prior's
    # The density is the kernel's on the narrowed parameter times the prior's on the other.
    point = pd.Series({"narrow": 1.1, "wide": 0.7})
    expected = kernel.kernel.pdf(point[["narrow"]]) * stats.logistic.pdf(0.7)
    assert kernel.pdf(point) == pytest.approx(expected)
    assert kernel.pdf(pd.DataFrame([point, point])) == pytest.approx([expected, expected])


# --------------------------------------------------------------------------------------------
# A small calibration: what it returns, and the same posterior on every launcher
# --------------------------------------------------------------------------------------------


def test_a_calibration_returns_weighted_particles_inside_their_priors(small):
    posterior = small.posterior
    assert len(posterior) == SMALL["particles"]
    assert posterior["weight"].sum() == pytest.approx(1.0)
    assert (posterior["weight"] > 0).all()
    assert list(small.priors) == [c for c in posterior.columns if c != "weight"]
    for name, (low, high) in small.priors.items():
        assert posterior[name].between(low, high).all()
    assert small.until == "2023-06"
    generations = small.generations
    assert generations["generation"].tolist() == [0, 1]
    assert (generations["epsilon"].diff().dropna() <= 0).all()  # thresholds never rise
    assert (generations["simulations"] >= SMALL["particles"]).all()
    assert small.ess() <= SMALL["particles"]
    predictive = small.predictive
    assert len(predictive) == 17 * len(SCORED_EVENTS)
    assert predictive["p"].between(0, 1).all() and predictive["p_prior"].between(0, 1).all()
    summary = small.summary()
    assert (summary["q05"] <= summary["median"]).all() and (
        summary["median"] <= summary["q95"]
    ).all()


def test_the_same_seed_gives_the_same_posterior_on_a_process_pool(shipped, small):
    pooled = calibrate(shipped, until="2023-06", workers=2, **SMALL)
    pd.testing.assert_frame_equal(pooled.posterior, small.posterior)
    pd.testing.assert_frame_equal(pooled.generations, small.generations)
    other = calibrate(shipped, until="2023-06", **{**SMALL, "seed": 6})
    assert not other.posterior.equals(small.posterior)


def test_the_same_seed_gives_the_same_posterior_on_a_loopback_dask_cluster(shipped, small):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_dask = calibrate(shipped, until="2023-06", dask=client, **SMALL)
    pd.testing.assert_frame_equal(on_dask.posterior, small.posterior)


def test_weighted_quantiles_of_equal_weights_are_the_sample_quantiles():
    values = np.arange(1.0, 101.0)
    low, mid, high = weighted_quantiles(values, np.ones(100))
    assert (low, mid, high) == (5.0, 50.0, 95.0)
    assert weighted_quantiles(values, (values == 7).astype(float)) == [7.0, 7.0, 7.0]


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def test_the_command_writes_a_posterior_that_sim_parameters_posterior_reads(tmp_path, capsys):
    out = tmp_path / "cal"
    cli.main(
        [
            "--until", "2023-03", "--particles", "12", "--generations", "1",
            "--replicates", "2", "--seed", "9", "--out", str(out),
        ]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert "Effective sample size" in printed and str(out) in printed
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        "posterior.csv",
        "posterior.json",
        "calibration.md",
        "summary.csv",
        "generations.csv",
        "predictive.csv",
        "figures/marginals.png",
        "figures/pairs.png",
        "figures/predictive.png",
    } <= names
    assert not [n for n in names if ".staging" in n]
    meta = json.loads((out / "posterior.json").read_text())
    assert meta["command"] == (
        "escalation-calibrate --until 2023-03 --particles 12 --generations 1 --replicates 2 "
        "--seed 9"
    )
    assert meta["fitted"] == ["2022-02", "2023-03"] and meta["model_version"] == 3
    posterior = load_posterior(str(out))
    assert len(posterior.particles) == 12
    settings = load_settings(
        "status_quo", replicates=40, **{"sim.parameters": "posterior", "sim.posterior": str(out)}
    )
    from escalation.model import EscalationModel

    model = EscalationModel(settings)
    for name in posterior.particles.columns:
        assert set(np.unique(model.parameters[name])) <= set(posterior.particles[name])
    report = (out / "calibration.md").read_text()
    assert "## What the record identifies" in report and "| generation |" in report


def test_the_command_refuses_a_foreign_folder_before_calibrating(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit) as stop:
        cli.main(["--out", str(tmp_path), "--particles", "12"])
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "escalation did not make" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_dask_and_workers_together_are_refused(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--dask", "tcp://127.0.0.1:1", "--workers", "2"])
    assert "--dask runs on the cluster's workers" in capsys.readouterr().err

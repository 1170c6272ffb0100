"""Speed never buys a different model: the batched engine agrees with one replicate per model.

The fast path advances all replicates of a run together as numpy arrays; the usual Mesa way builds
one model per replicate (``mesa.batch_run`` passes ``scenario=`` and ``rng=``). The two draw their
random numbers in a different order, so they are compared statistically: outcome proportions
within a binomial tolerance, mean final position within its standard error. The shortcuts the
engine takes for speed (sums that skip measures in force nowhere, lookup tables, a closed-form
Wilson interval, memoised settings) are checked to give the same numbers to the last bit, and the
vectorised logit draw is checked against its probabilities. No test here measures time
(benchmarks/ does).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from escalation.api import ScenarioModel
from escalation.config.scenarios import load_settings
from escalation.config.schema import ConfigError
from escalation.model import EscalationModel
from escalation.model.actions import (
    ACTION_BIT,
    ACTION_NAMES,
    ACTIONS,
    RUNG_OF_ACTION,
    RUNG_OF_MASK,
    THEATRE_OPTIONS,
    has,
)
from escalation.model.measures import MEASURES, levels_in_force, weighted_sum
from escalation.run.runs import simulate_run

SCENARIO = "troops"  # every outcome below is neither rare nor certain in it
BATCHED = 2000
SINGLE = 300
#: |z| above this fails; about 1 chance in 2,000 per comparison for a correct model.
Z_LIMIT = 3.5
PROPORTIONS = ["contained_clash", "russian_retaliation"]
"""Russia's monthly acts are compared through ``signalling_months`` below: with the proxy-war
pressure carried over from 2022-24, a hybrid operation within 36 months is near-certain (99.8%)."""


@pytest.fixture(scope="module")
def batched() -> pd.DataFrame:
    return EscalationModel(load_settings(SCENARIO, replicates=BATCHED, seed=7)).run().outcomes()


@pytest.fixture(scope="module")
def single() -> pd.DataFrame:
    """One model per replicate, built as ``mesa.batch_run`` builds it (keywords and ``rng``)."""
    rows = [
        ScenarioModel(scenario=SCENARIO, rng=seed).run().outcomes()
        for seed in range(1000, 1000 + SINGLE)
    ]
    return pd.concat(rows, ignore_index=True)


def test_a_model_built_without_settings_is_a_batch_of_one(single):
    assert len(single) == SINGLE
    assert single["ukraine_position_final"].nunique() > SINGLE // 2  # distinct worlds


@pytest.mark.parametrize("outcome", PROPORTIONS)
def test_outcome_proportions_agree_within_binomial_tolerance(batched, single, outcome):
    p1, p2 = batched[outcome].mean(), single[outcome].mean()
    pooled = (p1 * BATCHED + p2 * SINGLE) / (BATCHED + SINGLE)
    assert 0.02 < pooled < 0.98
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / BATCHED + 1 / SINGLE))
    z = (p1 - p2) / standard_error
    assert abs(z) < Z_LIMIT


@pytest.mark.parametrize(
    "outcome", ["ukraine_position_final", "max_rung", "red_lines_crossed", "signalling_months"]
)
def test_outcome_means_agree_within_their_standard_error(batched, single, outcome):
    a, b = batched[outcome].astype(float), single[outcome].astype(float)
    standard_error = math.sqrt(a.var() / len(a) + b.var() / len(b))
    z = (a.mean() - b.mean()) / standard_error
    assert abs(z) < Z_LIMIT


# ---------------------------------------------------------------------------------------------
# The engine's shortcuts give the same numbers as the plain rules, to the last bit
# ---------------------------------------------------------------------------------------------


def scrambled_model(seed: int, replicates: int = 500) -> EscalationModel:
    """A model whose Western measures are set at random, each also absent in some worlds."""
    model = EscalationModel(load_settings("status_quo", replicates=replicates, seed=seed))
    rng = np.random.default_rng(seed)
    nato, france = model.nato, model.france
    for flags in (nato.aid, nato.advanced_weapons, france.training, france.instructors_inside):
        flags[:] = rng.random(replicates) < rng.choice([0.0, 0.3, 1.0])
    for member in nato.members:
        member.deep_strikes[:] = rng.integers(0, 3, replicates) * (rng.random() < 0.7)
    france.troops[:] = rng.integers(0, 3, replicates) * (rng.random() < 0.7)
    nato.new_weapons[:] = rng.integers(0, 4, replicates)
    return model


@pytest.mark.parametrize("seed", range(12))
def test_weighted_sums_equal_the_full_table(seed):
    model = scrambled_model(seed)
    doctrine = model.settings.doctrine
    levels = levels_in_force(model)
    for values in (doctrine.ukraine.effects, doctrine.russia.involvement):
        table = np.array([getattr(values, name) * levels[name] for name in MEASURES])
        np.testing.assert_allclose(weighted_sum(values, levels), table.sum(axis=0), rtol=1e-12)


def test_lookup_tables_match_the_action_masks():
    """Every mask's names and rung are those of the actions its bits hold."""
    for mask in range(1 << len(ACTIONS)):
        held = [action for action in ACTIONS if mask & ACTION_BIT[action]]
        assert ACTION_NAMES[mask] == "+".join(action.name.lower() for action in held)
        rungs = [int(RUNG_OF_ACTION[action]) for action in held]
        assert RUNG_OF_MASK[mask] == max(rungs, default=-1)
        for action in ACTIONS:
            assert has(np.int16(mask), action) == (action in held)


def test_each_option_is_decided_by_its_own_logit():
    """P(option) = logistic(lambda U) where open, 0 where closed, whatever the other options."""
    model = EscalationModel(load_settings("status_quo", replicates=1000, seed=2))
    rng = np.random.default_rng(2)
    utilities = rng.normal(0.0, 3.0, (len(THEATRE_OPTIONS), model.replicates))
    available = rng.random(utilities.shape) < 0.7
    probabilities = model.russia.probabilities(utilities, available)
    rationality = model.settings.doctrine.russia.rationality
    expected = np.where(available, 1.0 / (1.0 + np.exp(-rationality * utilities)), 0.0)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-12)
    changed = utilities.copy()
    changed[0] += 5.0  # a more attractive first option leaves the others' chances alone
    np.testing.assert_array_equal(
        model.russia.probabilities(changed, available)[1:], probabilities[1:]
    )


def test_one_model_of_many_replicates_is_reproducible_month_by_month():
    settings = load_settings(SCENARIO, replicates=300, seed=3)
    first = EscalationModel(settings).run().trajectories()
    second = EscalationModel(load_settings(SCENARIO, replicates=300, seed=3)).run().trajectories()
    pd.testing.assert_frame_equal(first, second)


def test_wilson_interval_is_scipys_to_the_last_bit():
    from scipy.special import ndtri
    from scipy.stats import binomtest, norm

    from escalation.run.results import Z_95, mean_interval, wilson_interval

    assert float(ndtri(0.975)) == Z_95
    for trials in (1, 2, 7, 300, 1000, 2000, 54_000):
        for successes in sorted({0, 1, trials // 3, trials // 2, trials - 1, trials}):
            for confidence in (0.95, 0.9):
                reference = binomtest(successes, trials).proportion_ci(confidence, "wilson")
                low, high = wilson_interval(successes, trials, confidence)
                assert (low, high) == (float(reference.low), float(reference.high))
    values = pd.Series(np.random.default_rng(1).normal(80, 2, 999))
    half = float(norm.ppf(0.975) * values.std(ddof=1) / np.sqrt(values.size))
    interval = mean_interval(values)
    assert (interval["low"], interval["high"]) == (values.mean() - half, values.mean() + half)


def test_remembered_settings_are_copies_and_keep_types_apart():
    first = load_settings("troops", replicates=5, follow_through=0.5)
    first.sim.replicates = 999
    first.uncertainty.follow_through.low = 0.0
    again = load_settings("troops", replicates=5, follow_through=0.5)
    assert again.sim.replicates == 5
    assert again.uncertainty.follow_through.low == 0.5
    assert again is not load_settings("troops", replicates=5, follow_through=0.5)
    assert load_settings("troops", months=1).sim.months == 1
    with pytest.raises(ConfigError, match=r"sim\.months"):  # True == 1, but not remembered as 1
        load_settings("troops", months=True)


def test_a_sweep_job_skips_the_trajectories_table_it_does_not_write():
    settings = load_settings("status_quo", replicates=20)
    outcomes, trajectories = simulate_run(settings, trajectories=False)
    assert trajectories is None
    full_outcomes, full_trajectories = simulate_run(settings)
    pd.testing.assert_frame_equal(outcomes, full_outcomes)
    assert len(full_trajectories) == 20 * settings.sim.months

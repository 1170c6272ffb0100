"""Python API tests: ``escalation.simulate`` and ``load_settings`` as a notebook would call them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import escalation
from escalation.api import simulate
from escalation.config.scenarios import available_scenarios, load_settings
from escalation.config.schema import (
    ConfigError,
    DeepStrikes,
    Posture,
    Troops,
    lever_names,
    uncertainty_names,
)
from escalation.model import OUTCOME_COLUMNS

PUBLIC_OUTCOMES = [
    "max_rung",
    "final_rung",
    "direct_conflict",
    "nuclear_use",
    "russian_retaliation",
    "months_to_retaliation",
    "ukraine_position_final",
]


def test_simulate_returns_one_row_per_replicate_with_outcome_columns():
    outcomes = escalation.simulate("status_quo", replicates=40, months=6, seed=1)
    assert isinstance(outcomes, pd.DataFrame)
    assert len(outcomes) == 40
    assert set(PUBLIC_OUTCOMES) <= set(outcomes.columns)
    assert set(OUTCOME_COLUMNS) <= set(outcomes.columns)
    assert set(uncertainty_names()) <= set(outcomes.columns)


def test_package_level_simulate_is_the_api_simulate():
    kwargs = {"replicates": 30, "months": 12, "seed": 2, "troops": "combat"}
    pd.testing.assert_frame_equal(
        escalation.simulate("troops", **kwargs), simulate("troops", **kwargs)
    )


def test_simulate_defaults():
    settings = load_settings()
    assert settings.scenario.name == "status_quo"
    assert settings.sim.replicates == 1000
    assert settings.sim.months == 36
    assert settings.sim.start == "2024-10"
    assert settings.seed == 20241001
    outcomes = simulate()
    assert len(outcomes) == 1000
    pd.testing.assert_frame_equal(outcomes, simulate(seed=20241001))


def test_months_sets_the_run_length():
    outcomes = simulate("status_quo", replicates=200, months=3, seed=1, troops="combat")
    # Three months at rung 3 (training) to 13: the score is the sum of three monthly rungs.
    assert outcomes["escalation_score"].between(3 * 3, 3 * 13).all()
    assert outcomes["months_to_retaliation"].dropna().le(3).all()
    assert outcomes["russian_retaliation"].any()


def test_same_arguments_give_identical_rows():
    kwargs = {"replicates": 100, "seed": 6, "posture": "red_lines"}
    pd.testing.assert_frame_equal(
        simulate("instructors", **kwargs), simulate("instructors", **kwargs)
    )


def test_levers_accept_strings_and_enums():
    by_string = simulate(
        "status_quo",
        replicates=50,
        seed=3,
        troops="combat",
        deep_strikes="limited",
        posture="red_lines",
    )
    by_enum = simulate(
        "status_quo",
        replicates=50,
        seed=3,
        troops=Troops.combat,
        deep_strikes=DeepStrikes.limited,
        posture=Posture.red_lines,
    )
    pd.testing.assert_frame_equal(by_string, by_enum)


@pytest.mark.parametrize(
    ("lever", "value"),
    [
        ("instructors", "inside"),
        ("troops", "noncombat"),
        ("deep_strikes", "authorized"),
        ("posture", "red_lines"),
    ],
)
def test_lever_keyword_sets_the_policy(lever, value):
    settings = load_settings("status_quo", **{lever: value})
    assert getattr(settings.policy, lever).value == value
    assert lever in lever_names()


def test_lever_changes_the_outcome():
    without = simulate("status_quo", replicates=300, seed=3, troops="none")
    combat = simulate("status_quo", replicates=300, seed=3, troops="combat")
    assert combat["russian_retaliation"].mean() > without["russian_retaliation"].mean() + 0.2
    assert combat["max_rung"].mean() > without["max_rung"].mean() + 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("follow_through", 0.7),
        ("red_line_threshold", 6.25),
        ("nato_cohesion", 0.0),
        ("nuclear_use_in_conflict", 1.0),
        ("russian_pressure", 0.15),
    ],
)
def test_fixing_an_uncertainty_fixes_its_column(name, value):
    outcomes = simulate("status_quo", replicates=30, months=2, seed=1, **{name: value})
    assert (outcomes[name] == value).all()
    others = [other for other in uncertainty_names() if other != name]
    assert all(outcomes[other].nunique() == 30 for other in others)


def test_fixed_uncertainty_sets_low_equal_high():
    settings = load_settings("status_quo", follow_through=0.7)
    assert settings.uncertainty.follow_through.low == 0.7
    assert settings.uncertainty.follow_through.high == 0.7


def test_load_settings_sets_replicates_months_and_seed():
    settings = load_settings("history", replicates=17, months=5, seed=3)
    assert (settings.sim.replicates, settings.sim.months, settings.seed) == (17, 5, 3)
    assert load_settings("history").sim.months == 32


def test_load_settings_does_not_leak_between_calls():
    """Editing returned settings must not change the next composition (the compose is cached)."""
    first = load_settings("status_quo")
    first.doctrine.russia.rationality = 99.0
    first.uncertainty.follow_through.low = 0.0
    second = load_settings("status_quo")
    assert second.doctrine.russia.rationality == 1.0
    assert second.uncertainty.follow_through.low == 0.2


# -- errors --------------------------------------------------------------------------------------


def test_unknown_parameter_names_it_and_lists_allowed():
    with pytest.raises(ConfigError) as caught:
        simulate("status_quo", replicates=5, banana=1)
    message = str(caught.value)
    assert "'banana'" in message
    for name in [*lever_names(), *uncertainty_names()]:
        assert name in message


def test_unknown_scenario_lists_available():
    with pytest.raises(ConfigError) as caught:
        simulate("atlantis", replicates=5)
    message = str(caught.value)
    assert "'atlantis'" in message
    for name in available_scenarios():
        assert name in message


def test_invalid_lever_value_names_the_key_and_allowed_values():
    with pytest.raises(ConfigError) as caught:
        simulate("status_quo", replicates=5, troops="banana")
    message = str(caught.value)
    assert "policy.troops" in message
    assert "banana" in message
    assert "none, noncombat, combat" in message


@pytest.mark.parametrize(
    ("lever", "allowed"),
    [
        ("instructors", "none, outside, inside"),
        ("deep_strikes", "prohibited, limited, authorized"),
        ("posture", "red_lines, ambiguity"),
    ],
)
def test_every_lever_rejects_unknown_values(lever, allowed):
    with pytest.raises(ConfigError, match=f"policy.{lever}.*{allowed}"):
        load_settings("status_quo", **{lever: "banana"})


def test_probability_above_one_names_the_uncertainty():
    with pytest.raises(ConfigError) as caught:
        simulate("status_quo", replicates=5, follow_through=1.5)
    message = str(caught.value)
    assert "uncertainty.follow_through" in message
    assert "1.5" in message
    assert "between 0 and 1" in message


def test_negative_rate_names_the_uncertainty():
    with pytest.raises(ConfigError, match=r"uncertainty\.cost_sensitivity.*>= 0"):
        simulate("status_quo", replicates=5, cost_sensitivity=-1.0)


@pytest.mark.parametrize(("key", "value"), [("replicates", 0), ("replicates", -3), ("months", 0)])
def test_non_positive_run_size_names_the_key(key, value):
    with pytest.raises(ConfigError, match=rf"sim\.{key}={value}.*(>= 1|between 1 and 600)$"):
        simulate("status_quo", **{key: value})


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(
    "params",
    [
        {"follow_through": np.float64(0.7)},
        {"replicates": np.int64(5)},
        {"troops": np.str_("combat")},
    ],
    ids=["float64-uncertainty", "int64-replicates", "str_-lever"],
)
def test_numpy_scalars_are_accepted(params):
    outcomes = simulate("status_quo", **{"replicates": 5, "months": 2, "seed": 1, **params})
    assert len(outcomes) == int(params.get("replicates", 5))

"""Model tests: outcome and trajectory tables, their invariants, seeding, Mesa integration."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from escalation.api import ScenarioModel
from escalation.config.scenarios import load_settings
from escalation.config.schema import uncertainty_names
from escalation.ladder import Rung
from escalation.model import OUTCOME_COLUMNS, EscalationModel
from escalation.model.actions import RussianAction

POINT = {"sim.parameters": "point"}
"""Mechanism tests script doctrine values: the point mode keeps them (the default draws them)."""

PUBLIC_OUTCOMES = [
    "max_rung",
    "final_rung",
    "direct_conflict",
    "nuclear_use",
    "russian_retaliation",
    "months_to_retaliation",
    "ukraine_position_final",
]
# docs/MODEL.md §8, trajectories.csv.
TRAJECTORY_COLUMNS = [
    "replicate",
    "month",
    "date",
    "rung",
    "position",
    "western_rung",
    "aid",
    "advanced_weapons",
    "new_weapons",
    "training",
    "instructors_inside",
    "deep_strikes",
    "deep_strikes_share",
    "troops",
    "domestic_strikes",
    "incursion",
    "involvement",
    "perceived_involvement",
    "red_line_crossed",
    "above_red_line",
    "russian_action",
    "retaliation",
    "spillover",
    "lethal_engagement",
    "nato_military_response",
    "law_enforcement_response",
    "article5_response",
    "contained_clash",
    "direct_conflict",
    "nuclear_use_in_ukraine",
    "nuclear_use",
    "west_belief",
    "russia_belief",
    "russia_belief_low",
    "russia_belief_high",
]
BUSY = {"troops": "combat", "deep_strikes": "authorized"}
REPLICATES = 1000


@pytest.fixture(scope="module")
def busy_run():
    """A run where every outcome occurs: combat troops and deep strikes, 1,000 worlds, 36 months."""
    from escalation.config.scenarios import load_settings

    settings = load_settings("troops", replicates=REPLICATES, seed=21, **BUSY, **POINT)
    return EscalationModel(settings).run()


@pytest.fixture(scope="module")
def busy_outcomes(busy_run):
    return busy_run.outcomes()


@pytest.fixture(scope="module")
def busy_trajectories(busy_run):
    return busy_run.trajectories()


# -- outcome table -------------------------------------------------------------------------------


def test_outcomes_have_one_row_per_replicate_and_all_columns(busy_outcomes):
    assert len(busy_outcomes) == REPLICATES
    assert busy_outcomes["replicate"].tolist() == list(range(REPLICATES))
    assert set(PUBLIC_OUTCOMES) <= set(OUTCOME_COLUMNS)
    priors = list(load_settings("status_quo", **POINT).prior)
    assert list(busy_outcomes.columns) == [
        "replicate",
        "draw",
        *uncertainty_names(),
        *priors,
        *OUTCOME_COLUMNS,
    ]


def test_busy_run_covers_every_outcome(busy_outcomes):
    """The invariants below are not vacuous: each outcome happens in some replicates, not all."""
    for column in (
        "contained_clash",
        "direct_conflict",
        "nuclear_use",
        "nuclear_use_in_ukraine",
        "russian_retaliation",
        "strikes_on_nato",
    ):
        share = busy_outcomes[column].mean()
        assert 0.0 < share < 1.0


def test_outcome_dtypes(busy_outcomes):
    for column in (
        "contained_clash",
        "direct_conflict",
        "nuclear_use",
        "nuclear_use_in_ukraine",
        "russian_retaliation",
        "strikes_on_nato",
    ):
        assert busy_outcomes[column].dtype == bool
    for column in ("max_rung", "final_rung", "red_lines_crossed", "escalation_score"):
        assert pd.api.types.is_integer_dtype(busy_outcomes[column])
    for column in ("months_to_retaliation", "months_to_direct_conflict"):
        assert busy_outcomes[column].dtype == float


def test_rungs_are_on_the_ladder_and_final_not_above_max(busy_outcomes):
    for column in ("max_rung", "final_rung"):
        assert (
            busy_outcomes[column].between(int(Rung.POLITICAL_SUPPORT), int(Rung.NUCLEAR_USE)).all()
        )
    assert (busy_outcomes["final_rung"] <= busy_outcomes["max_rung"]).all()


def test_months_to_retaliation_is_nan_exactly_when_no_retaliation(busy_outcomes):
    missing = busy_outcomes["months_to_retaliation"].isna()
    np.testing.assert_array_equal(missing, ~busy_outcomes["russian_retaliation"])
    months = busy_outcomes.loc[~missing, "months_to_retaliation"]
    assert months.between(1, 36).all()
    assert (months == months.round()).all()


def test_months_to_direct_conflict_is_nan_exactly_when_no_conflict(busy_outcomes):
    missing = busy_outcomes["months_to_direct_conflict"].isna()
    np.testing.assert_array_equal(missing, ~busy_outcomes["direct_conflict"])


def test_nuclear_use_against_nato_implies_direct_conflict_and_top_rung(busy_outcomes):
    against_nato = busy_outcomes["nuclear_use"] & ~busy_outcomes["nuclear_use_in_ukraine"]
    assert against_nato.any()
    assert busy_outcomes.loc[against_nato, "direct_conflict"].all()
    assert (busy_outcomes.loc[against_nato, "max_rung"] == Rung.NUCLEAR_USE).all()
    assert (busy_outcomes.loc[against_nato, "final_rung"] == Rung.NUCLEAR_USE).all()


def test_nuclear_use_in_ukraine_holds_its_rung_to_the_end(busy_outcomes):
    in_ukraine = busy_outcomes["nuclear_use_in_ukraine"]
    assert in_ukraine.any()
    assert (busy_outcomes.loc[in_ukraine, "final_rung"] >= Rung.NUCLEAR_USE_IN_UKRAINE).all()
    assert busy_outcomes.loc[in_ukraine, "nuclear_use"].all()


def test_direct_conflict_reaches_its_rung_and_only_it_does(busy_outcomes):
    conflict = busy_outcomes["direct_conflict"]
    assert conflict.any()
    assert (busy_outcomes.loc[conflict, "max_rung"] >= Rung.DIRECT_CONFLICT).all()
    no_conflict_or_nuclear = ~conflict & ~busy_outcomes["nuclear_use"]
    assert (busy_outcomes.loc[no_conflict_or_nuclear, "max_rung"] < Rung.DIRECT_CONFLICT).all()
    assert busy_outcomes.loc[conflict, "contained_clash"].all()


def test_position_final_within_0_100(busy_outcomes):
    assert busy_outcomes["ukraine_position_final"].between(0.0, 100.0).all()


def test_escalation_score_is_the_sum_of_monthly_rungs(busy_outcomes, busy_trajectories):
    by_replicate = busy_trajectories.groupby("replicate")["rung"]
    np.testing.assert_array_equal(busy_outcomes["escalation_score"], by_replicate.sum())
    np.testing.assert_array_equal(busy_outcomes["max_rung"], by_replicate.max())
    np.testing.assert_array_equal(busy_outcomes["final_rung"], by_replicate.last())
    np.testing.assert_allclose(
        busy_outcomes["ukraine_position_final"],
        busy_trajectories.groupby("replicate")["position"].last(),
    )


def test_outcomes_agree_with_trajectories(busy_outcomes, busy_trajectories):
    retaliated = busy_trajectories["retaliation"]
    actions = "+" + busy_trajectories["russian_action"] + "+"
    assert (retaliated == actions.str.contains("+retaliation+", regex=False)).all()
    assert not (retaliated & ~busy_trajectories["above_red_line"]).any()
    first = busy_trajectories.loc[retaliated].groupby("replicate")["month"].min()
    expected = pd.Series(np.nan, index=range(REPLICATES)).fillna(first)
    np.testing.assert_array_equal(busy_outcomes["months_to_retaliation"], expected)
    np.testing.assert_array_equal(
        busy_outcomes["red_lines_crossed"],
        busy_trajectories.groupby("replicate")["red_line_crossed"].sum(),
    )
    signalled = actions.str.contains("+nuclear_signalling+", regex=False)
    by_replicate = signalled.groupby(busy_trajectories["replicate"])
    np.testing.assert_array_equal(busy_outcomes["nuclear_signalling"], by_replicate.any())
    np.testing.assert_array_equal(busy_outcomes["signalling_months"], by_replicate.sum())
    assert 0 < busy_outcomes["signalling_months"].mean() < 36


def test_uncertainty_columns_lie_in_their_configured_ranges(busy_run, busy_outcomes):
    for name in uncertainty_names():
        bounds = getattr(busy_run.settings.uncertainty, name)
        assert busy_outcomes[name].between(bounds.low, bounds.high).all()
        # drawn once per parameter draw, shared by that draw's replicates
        per_draw = busy_outcomes.groupby("draw")[name]
        assert (per_draw.nunique() == 1).all()
        assert per_draw.first().nunique() == busy_outcomes["draw"].nunique()


# -- trajectories ----------------------------------------------------------------------------------


def test_trajectories_have_replicates_times_months_rows(busy_trajectories):
    assert len(busy_trajectories) == REPLICATES * 36
    assert list(busy_trajectories.columns) == TRAJECTORY_COLUMNS
    counts = busy_trajectories.groupby("replicate")["month"].agg(["min", "max", "count"])
    assert (counts["min"] == 1).all()
    assert (counts["max"] == 36).all()
    assert (counts["count"] == 36).all()
    # Sorted by replicate, then month.
    order = busy_trajectories[["replicate", "month"]]
    pd.testing.assert_frame_equal(order, order.sort_values(["replicate", "month"]))


def test_trajectory_dates_and_labels(busy_trajectories):
    first = busy_trajectories[busy_trajectories["replicate"] == 0]
    assert first["date"].iloc[0] == "2024-10"
    assert first["date"].iloc[3] == "2025-01"
    assert first["date"].iloc[-1] == "2027-09"
    assert set(busy_trajectories["deep_strikes"]) <= {"prohibited", "limited", "authorized"}
    assert set(busy_trajectories["troops"]) <= {"none", "noncombat", "combat"}
    names = {action.name.lower() for action in RussianAction if action.value}
    for month in set(busy_trajectories["russian_action"]):
        held = month.split("+") if month else []
        assert set(held) <= names
        assert len(held) == len(set(held))
    assert busy_trajectories["rung"].between(0, int(Rung.NUCLEAR_USE)).all()
    assert busy_trajectories["west_belief"].between(0.0, 1.0).all()
    assert busy_trajectories["russia_belief"].between(0.0, 1.0).all()


def test_trajectory_rung_is_at_least_the_western_rung(busy_trajectories):
    assert (busy_trajectories["rung"] >= busy_trajectories["western_rung"]).all()


def test_nuclear_use_never_reverts_but_conflicts_can_end(busy_trajectories):
    for column in ("nuclear_use", "nuclear_use_in_ukraine"):
        by_replicate = busy_trajectories.groupby("replicate")[column]
        assert (by_replicate.cummax() == busy_trajectories[column]).all()
    for column in ("direct_conflict", "contained_clash"):
        by_replicate = busy_trajectories.groupby("replicate")[column]
        assert (by_replicate.cummax() != busy_trajectories[column]).any()


def test_trajectories_after_partial_run(make_model):
    model = make_model(replicates=3, months=10)
    for _ in range(4):
        model.step()
    assert len(model.trajectories()) == 3 * 4
    assert len(model.outcomes()) == 3
    assert model.running
    model.run()
    assert model.month == 10
    assert not model.running
    assert len(model.trajectories()) == 3 * 10


# -- seeding ---------------------------------------------------------------------------------------


def test_same_seed_gives_identical_outcomes(run_outcomes):
    first = run_outcomes("troops", replicates=200, seed=4, **BUSY)
    second = run_outcomes("troops", replicates=200, seed=4, **BUSY)
    pd.testing.assert_frame_equal(first, second)


def test_same_seed_gives_identical_trajectories(make_model):
    first = make_model("troops", replicates=20, seed=4, **BUSY).run().trajectories()
    second = make_model("troops", replicates=20, seed=4, **BUSY).run().trajectories()
    pd.testing.assert_frame_equal(first, second)


def test_different_seed_gives_different_outcomes(run_outcomes):
    first = run_outcomes("troops", replicates=200, seed=4, **BUSY)
    second = run_outcomes("troops", replicates=200, seed=5, **BUSY)
    assert not first["ukraine_position_final"].equals(second["ukraine_position_final"])
    assert not first["red_line_threshold"].equals(second["red_line_threshold"])


def test_rng_argument_overrides_the_config_seed(make_settings):
    settings = make_settings(replicates=30, seed=4)
    by_rng = EscalationModel(settings, rng=99).run().outcomes()
    settings_99 = make_settings(replicates=30, seed=99)
    pd.testing.assert_frame_equal(by_rng, EscalationModel(settings_99).run().outcomes())


def test_batch_of_one(run_outcomes):
    outcomes = run_outcomes("troops", replicates=1, seed=2, **BUSY)
    assert len(outcomes) == 1
    assert set(OUTCOME_COLUMNS) <= set(outcomes.columns)
    assert 0 <= outcomes["final_rung"].iloc[0] <= outcomes["max_rung"].iloc[0] <= 11


def test_replicates_are_distinct_worlds(run_outcomes):
    """Each replicate draws its own noise and assumptions."""
    positions = run_outcomes("status_quo", replicates=1000, seed=8)["ukraine_position_final"]
    assert positions.nunique() == 1000


# -- Mesa integration ------------------------------------------------------------------------------


def test_model_is_a_mesa_model_with_ukraine_nato_members_and_russia(make_model):
    model = make_model(replicates=2)
    assert isinstance(model, mesa.Model)
    assert [type(agent).__name__ for agent in model.agents] == [
        "Ukraine",
        "NatoMember",
        "NatoMember",
        "France",
        "NatoMember",
        "NatoMember",
        "NatoMember",
        "NatoMember",
        "NatoMember",
        "Russia",
    ]
    assert isinstance(model.nato.members, mesa.agent.AgentSet)
    assert [member.name for member in model.nato.members] == [
        "us",
        "uk",
        "france",
        "germany",
        "poland",
        "baltics",
        "finland",
        "romania",
    ]
    assert model.france in model.nato.members


def test_datacollector_reports_batch_means(make_model):
    model = make_model("troops", replicates=50, months=12, seed=3, **BUSY).run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 12
    assert {"escalation_level", "ukraine_position", "direct_conflict"} <= set(frame.columns)
    trajectories = model.trajectories()
    last = trajectories[trajectories["month"] == 12]
    assert frame["escalation_level"].iloc[-1] == pytest.approx(last["rung"].mean())
    assert frame["ukraine_position"].iloc[-1] == pytest.approx(last["position"].mean())
    assert frame["direct_conflict"].iloc[-1] == pytest.approx(last["direct_conflict"].mean())


def test_model_builds_from_keyword_parameters():
    model = ScenarioModel(scenario="instructors", replicates=3, months=5, rng=1)
    assert model.replicates == 3
    assert model.months == 5
    assert model.settings.scenario.name == "instructors"
    assert model.settings.policy.instructors.value == "inside"


def test_model_defaults_to_a_batch_of_one():
    assert ScenarioModel(scenario="status_quo", rng=1).replicates == 1


def test_model_rejects_parameters_beside_settings(make_settings):
    with pytest.raises(TypeError, match="troops"):
        EscalationModel(make_settings(), troops="combat")


def test_mesa_batch_run_returns_datacollector_rows():
    results = mesa.batch_run(
        ScenarioModel,
        parameters={"scenario": "status_quo", "troops": ["none", "combat"]},
        rng=[1, 2],
        max_steps=36,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(results) == 4
    frame = pd.DataFrame(results)
    assert {"escalation_level", "ukraine_position", "direct_conflict", "troops", "rng"} <= set(
        frame.columns
    )
    assert sorted(zip(frame["troops"], frame["rng"], strict=True)) == [
        ("combat", 1),
        ("combat", 2),
        ("none", 1),
        ("none", 2),
    ]
    assert (frame["Step"] == 36).all()
    assert frame["escalation_level"].between(0, int(Rung.NUCLEAR_USE)).all()
    # Batch of one per run: troops none stays at the Western rung (training outside, 3).
    none = frame[frame["troops"] == "none"]
    assert (none["escalation_level"] >= Rung.TRAINING_OUTSIDE).all()
    combat = frame[frame["troops"] == "combat"]
    assert (combat["escalation_level"] >= Rung.GROUND_TROOPS).all()


def test_mesa_batch_run_with_rng_none_gives_independent_runs():
    """Mesa's way to ask for independent runs: ``rng=None`` means fresh entropy."""
    results = mesa.batch_run(
        ScenarioModel,
        parameters={"scenario": "status_quo"},
        rng=[None] * 20,
        max_steps=36,
        data_collection_period=-1,
        display_progress=False,
    )
    positions = {row["ukraine_position"] for row in results}
    assert len(results) == 20
    assert len(positions) == 20


def test_omitted_rng_uses_the_config_seed_and_none_does_not(make_settings):
    settings = make_settings(replicates=50)
    seeded = EscalationModel(settings).run().outcomes()
    again = EscalationModel(settings, rng=settings.seed).run().outcomes()
    pd.testing.assert_frame_equal(seeded, again)
    fresh = EscalationModel(settings, rng=None).run().outcomes()
    assert not fresh["ukraine_position_final"].equals(seeded["ukraine_position_final"])


def test_mesa_batch_run_is_reproducible():
    kwargs = {
        "parameters": {"scenario": "troops", "troops": "combat"},
        "rng": [3, 4, 5],
        "max_steps": 36,
        "data_collection_period": -1,
        "display_progress": False,
    }
    assert mesa.batch_run(ScenarioModel, **kwargs) == mesa.batch_run(ScenarioModel, **kwargs)


@pytest.mark.parametrize(
    "levers",
    [{}, {"instructors": "inside", "troops": "combat", "deep_strikes": "authorized"}],
)
def test_the_declared_ceiling_covers_what_is_in_force(levers):
    """What is in force is never excluded: both postures' ceilings are at least the involvement
    in force at the start, and ambiguity excludes no more than red lines."""
    ceilings = {}
    for posture in ("red_lines", "ambiguity"):
        model = EscalationModel(
            load_settings("status_quo", replicates=20, seed=1, posture=posture, **levers, **POINT)
        )
        model.step()
        ceilings[posture] = model.russia.ceiling
        assert (model.russia.involvement <= ceilings[posture] + 1e-12).all()
    assert (ceilings["ambiguity"] >= ceilings["red_lines"]).all()

"""Scenario tests: every packaged scenario composes and runs; known results of the mechanics."""

from __future__ import annotations

import pytest

from escalation.api import simulate
from escalation.config.scenarios import available_scenarios, load_settings
from escalation.ladder import Rung
from escalation.model import OUTCOME_COLUMNS

POINT = {"sim.parameters": "point"}
"""Mechanism tests script doctrine values: the point mode keeps them (the default draws them)."""

SCENARIOS = list(available_scenarios())
REQUIRED = {"status_quo", "instructors", "troops", "deep_strikes", "history"}
STATISTICS = 2000  # replicates for the known results: 95% half-width at most 2.2 points


def test_required_scenarios_exist():
    assert set(SCENARIOS) >= REQUIRED


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_composes_with_title_description_and_sources(name):
    settings = load_settings(name, replicates=5, **POINT)
    scenario = settings.scenario
    assert scenario.name == name
    assert len(scenario.title.strip()) >= 10
    assert len(scenario.description.strip()) >= 40
    assert len(scenario.sources) >= 1
    assert all(len(source.strip()) >= 20 for source in scenario.sources)
    listed = available_scenarios()[name]
    assert listed.title == scenario.title
    assert listed.description == scenario.description


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_runs_briefly_with_sane_outcomes(name, run_outcomes):
    settings = load_settings(name, replicates=50, seed=7, **POINT)
    outcomes = run_outcomes(name, replicates=50, seed=7)
    assert len(outcomes) == 50
    assert set(OUTCOME_COLUMNS) <= set(outcomes.columns)
    complete = outcomes.drop(columns=["months_to_retaliation", "months_to_direct_conflict"])
    assert not complete.isna().any().any()
    assert outcomes["max_rung"].between(0, int(Rung.NUCLEAR_USE)).all()
    assert (outcomes["final_rung"] <= outcomes["max_rung"]).all()
    assert outcomes["ukraine_position_final"].between(0.0, 100.0).all()
    assert outcomes["months_to_retaliation"].dropna().between(1, settings.sim.months).all()
    # Aid is in force in every scenario, so the Western rung is at least military aid.
    assert (outcomes["max_rung"] >= Rung.MILITARY_AID).all()


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_overrides_only_what_it_changes(name):
    """Doctrine and uncertainty ranges are shared; only history moves its starting position."""
    base, settings = load_settings("status_quo", **POINT), load_settings(name, **POINT)
    assert settings.uncertainty == base.uncertainty
    assert settings.doctrine.nato == base.doctrine.nato
    assert settings.doctrine.russia == base.doctrine.russia
    assert settings.doctrine.ukraine.effects == base.doctrine.ukraine.effects


# -- what each scenario puts in force --------------------------------------------------------------


def first_month_where(trajectories, column, value=True):
    hits = trajectories[trajectories[column] == value]
    return hits.groupby("replicate")["month"].min()


def test_status_quo_is_the_records_state_of_september_2024(make_model):
    """Aid, advanced weapons and eight new systems, training abroad, limited strikes into Russia
    (US, Germany, France since May 2024): no instructors, troops or deep strikes."""
    trajectories = make_model("status_quo", replicates=100, seed=2).run().trajectories()
    assert trajectories["western_rung"].max() == Rung.DEEP_STRIKES
    assert (trajectories["new_weapons"] == 8).all()
    assert trajectories["training"].all()
    assert not trajectories["instructors_inside"].any()
    assert (trajectories["troops"] == "none").all()
    assert (trajectories["deep_strikes"] == "limited").all()
    assert (trajectories["deep_strikes_share"] >= 0.75).all()


def test_instructors_scenario_puts_instructors_inside_from_month_4(make_model):
    trajectories = make_model("instructors", replicates=100, seed=2).run().trajectories()
    arrival = first_month_where(trajectories, "instructors_inside")
    assert len(arrival) == 100
    assert (arrival == 4).all()


def test_troops_scenario_sends_troops_only_once_the_front_falls_below_81(make_model):
    trajectories = make_model("troops", replicates=300, seed=2).run().trajectories()
    deployed = trajectories[trajectories["troops"] == "noncombat"]
    first = deployed.groupby("replicate")["month"].min()
    assert 0 < len(first) < 300  # the trigger fires in some worlds only
    rows = trajectories.set_index(["replicate", "month"])
    at_deployment = rows.loc[list(zip(first.index, first.values, strict=True)), "position"]
    assert (at_deployment < 81.0).all()
    assert set(trajectories["troops"]) == {"none", "noncombat"}
    assert (trajectories["instructors_inside"]).all()


def test_deep_strikes_scenario_grants_permission_in_most_worlds(make_model):
    trajectories = make_model("deep_strikes", replicates=300, seed=2).run().trajectories()
    final = trajectories[trajectories["month"] == 36]
    assert set(trajectories["deep_strikes"]) <= {"limited", "authorized"}
    assert (final["deep_strikes"] == "authorized").mean() > 0.9
    assert not trajectories["instructors_inside"].any()


def test_history_replays_the_historical_months(make_model):
    model = make_model("history", replicates=200, seed=2).run()
    trajectories = model.trajectories()
    assert model.months == 32
    assert trajectories["date"].min() == "2022-02"
    assert trajectories["date"].max() == "2024-09"
    # The shipped timeline, in every replicate: Javelin and Stinger deliveries from February 2022,
    # Operation Interflex from June 2022 (month 5), limited strikes from May 2024 (month 28).
    assert model.replaying
    assert (first_month_where(trajectories, "advanced_weapons") == 1).all()
    assert (first_month_where(trajectories, "training") == 5).all()
    assert (first_month_where(trajectories, "deep_strikes", "limited") == 28).all()
    assert (first_month_where(trajectories, "incursion") == 31).all()
    assert set(trajectories["deep_strikes"]) == {"prohibited", "limited"}
    assert not trajectories["instructors_inside"].any()
    assert (trajectories["troops"] == "none").all()


# -- known results of the mechanics (2000 replicates, fixed seed) ------------------------------


@pytest.fixture(scope="module")
def troops_contrast():
    return {
        troops: simulate("status_quo", replicates=STATISTICS, seed=3, troops=troops, **POINT)
        for troops in ("none", "combat")
    }


def test_combat_troops_make_clashes_and_retaliation_likely(troops_contrast):
    """Measured (seed 3, 4,000 replicates): P(clash) 0.39 with combat troops, 0.25 without."""
    assert (
        troops_contrast["combat"]["contained_clash"].mean()
        > troops_contrast["none"]["contained_clash"].mean() + 0.08
    )
    assert troops_contrast["none"]["direct_conflict"].mean() < 0.05
    assert troops_contrast["combat"]["russian_retaliation"].mean() > 0.3
    assert (troops_contrast["combat"]["max_rung"] >= Rung.GROUND_TROOPS).all()


def test_combat_troops_hold_more_ground(troops_contrast):
    """Troops add battlefield effect: the final position is higher on average."""
    with_troops = troops_contrast["combat"]["ukraine_position_final"].mean()
    without = troops_contrast["none"]["ukraine_position_final"].mean()
    assert with_troops > without + 2.0


def test_aid_alone_rarely_leads_to_direct_conflict(make_model):
    model = make_model(
        "status_quo",
        replicates=STATISTICS,
        seed=3,
        instructors="none",
        deep_strikes="prohibited",
        troops="none",
        overrides={"policy.advanced_weapons": False},
    )
    outcomes = model.run().outcomes()
    assert outcomes["direct_conflict"].mean() < 0.05
    assert model.trajectories()["western_rung"].max() == Rung.MILITARY_AID


def test_history_looks_like_what_happened():
    """Feb 2022 - Sep 2024: nuclear signalling, no NATO-Russia war, no nuclear use."""
    outcomes = simulate("history", replicates=STATISTICS, seed=3, **POINT)
    assert outcomes["direct_conflict"].mean() < 0.05
    assert outcomes["nuclear_use"].mean() < 0.02
    assert outcomes["nuclear_signalling"].mean() > 0.8


def test_more_involving_scenarios_escalate_more():
    """Ordering by Russia's perceived involvement: status quo < instructors < combat troops."""
    levels = {
        name: simulate(name, replicates=1000, seed=4, **params, **POINT)["escalation_score"].mean()
        for name, params in {
            "status_quo": {},
            "instructors": {},
            "troops": {"troops": "combat"},
        }.items()
    }
    assert levels["status_quo"] < levels["instructors"] < levels["troops"]


def test_nuclear_use_against_nato_needs_a_positive_chance_in_conflict():
    outcomes = simulate(
        "status_quo", replicates=2000, seed=3, troops="combat", nuclear_use_in_conflict=0.0
    )
    assert outcomes["direct_conflict"].mean() > 0.01
    against_nato = outcomes["nuclear_use"] & ~outcomes["nuclear_use_in_ukraine"]
    assert not against_nato.any()


def test_certain_follow_through_raises_retaliation():
    low, high = (
        simulate("instructors", replicates=STATISTICS, seed=5, follow_through=value, **POINT)[
            "russian_retaliation"
        ].mean()
        for value in (0.0, 1.0)
    )
    assert low == 0.0
    assert high > 0.12

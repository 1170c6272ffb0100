"""Actor tests: a shared contract for all four actors, then scripted months against fixed inputs.

As in Axelrod's strategy tests, every actor passes the same contract (seeded reproducibility,
valid state), then each actor's rules are checked one month at a time: uncertainties are fixed
with ``low == high``, doctrine numbers are set on the ``Settings`` before the model is built,
and the other actors' arrays are set by hand before calling one rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np
import pytest

from escalation.agents import (
    OPTIONS,
    RETALIATION,
    France,
    Nato,
    Russia,
    RussianAction,
    Ukraine,
)
from escalation.config import DeepStrikes, Instructors, Posture, Timing, Troops
from escalation.ladder import Rung

# ---------------------------------------------------------------------------------------------
# Contract shared by the four actors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActorContract:
    """What every actor promises: its state arrays and the range each must stay in."""

    cls: type
    attribute: str  # the model attribute holding the actor
    state: tuple[str, ...]
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)


CONTRACTS = [
    ActorContract(Ukraine, "ukraine", ("position", "request"), {"position": (0.0, 100.0)}),
    ActorContract(
        France,
        "france",
        ("training", "instructors_inside", "troops"),
        {"troops": (0, 2)},
    ),
    ActorContract(
        Nato,
        "nato",
        ("aid", "advanced_weapons", "deep_strikes", "military_response", "west_belief"),
        {"west_belief": (0.0, 1.0), "deep_strikes": (0, 2)},
    ),
    ActorContract(
        Russia,
        "russia",
        (
            "action",
            "decided_on_crossing",
            "red_line_crossed",
            "involvement",
            "perceived_involvement",
            "russia_belief",
            "rung_in_force",
            "rung_expires",
        ),
        {
            "russia_belief": (0.0, 1.0),
            "action": (int(RussianAction.NONE), int(RussianAction.STRIKES_ON_NATO)),
            "rung_in_force": (-1, int(Rung.NUCLEAR_USE)),
            "involvement": (0.0, 10.0),
            "perceived_involvement": (0.0, 10.0),
        },
    ),
]

# Two busy worlds: the troops scenario with combat troops and deep strikes (every measure and
# every Russian option in play), and the same with violent noise and instant learning, which
# pushes the position to its clip bounds and the beliefs to exactly 0 or 1.
BUSY = {"troops": "combat", "deep_strikes": "authorized", "posture": "red_lines"}
EXTREME = {
    "doctrine.ukraine.position_noise": 40.0,
    "doctrine.nato.learning_rate": 1.0,
    "doctrine.russia.learning_rate": 1.0,
    "doctrine.russia.reconsider": 1.0,
}
WORLDS = {"busy": {}, "extreme": EXTREME}
REPLICATES = 64
MONTHS = 24


def actor_ids(contract: ActorContract) -> str:
    return contract.cls.__name__


def run_world(make_model, world: str, seed: int = 5, months: int = MONTHS):
    model = make_model("troops", replicates=REPLICATES, seed=seed, overrides=WORLDS[world], **BUSY)
    for _ in range(months):
        model.step()
    return model


@pytest.mark.parametrize("world", list(WORLDS))
@pytest.mark.parametrize("contract", CONTRACTS, ids=actor_ids)
class TestActorContract:
    """Every actor: Mesa agent of the model, (replicates,) arrays, seeded, bounded."""

    def test_is_a_mesa_agent_registered_with_the_model(self, make_model, contract, world):
        model = make_model("troops", replicates=4, overrides=WORLDS[world], **BUSY)
        actor = getattr(model, contract.attribute)
        assert isinstance(actor, contract.cls)
        assert isinstance(actor, mesa.Agent)
        assert actor.model is model
        assert actor in model.agents
        assert list(model.agents_by_type[contract.cls]) == [actor]
        assert len({agent.unique_id for agent in model.agents}) == 4

    def test_state_arrays_keep_shape_replicates(self, make_model, contract, world):
        model = make_model("troops", replicates=REPLICATES, seed=5, overrides=WORLDS[world], **BUSY)
        actor = getattr(model, contract.attribute)
        expected = {name: (REPLICATES,) for name in contract.state}
        for month in range(MONTHS + 1):
            shapes = {name: np.shape(getattr(actor, name)) for name in contract.state}
            assert shapes == expected
            assert all(isinstance(getattr(actor, name), np.ndarray) for name in contract.state)
            if month < MONTHS:
                model.step()
        # Every numpy attribute of the actor is per replicate, not only the declared ones.
        arrays = {k: v for k, v in vars(actor).items() if isinstance(v, np.ndarray)}
        assert set(contract.state) <= set(arrays)
        assert {v.shape for v in arrays.values()} == {(REPLICATES,)}

    def test_same_seed_gives_identical_state(self, make_model, contract, world):
        first = getattr(run_world(make_model, world, seed=9), contract.attribute)
        second = getattr(run_world(make_model, world, seed=9), contract.attribute)
        for name in contract.state:
            np.testing.assert_array_equal(
                getattr(first, name), getattr(second, name), err_msg=f"{name} differs"
            )

    def test_state_stays_in_bounds_every_month(self, make_model, contract, world):
        model = make_model("troops", replicates=REPLICATES, seed=5, overrides=WORLDS[world], **BUSY)
        actor = getattr(model, contract.attribute)
        for _ in range(MONTHS):
            model.step()
            outside = {
                name: getattr(actor, name)[
                    (getattr(actor, name) < low) | (getattr(actor, name) > high)
                ].tolist()
                for name, (low, high) in contract.bounds.items()
            }
            assert outside == {name: [] for name in contract.bounds}


def test_extreme_world_reaches_the_bounds(make_model):
    """The extreme world really tests the bounds: clipped positions and beliefs at 0 or 1."""
    model = make_model("troops", replicates=REPLICATES, seed=5, overrides=EXTREME, **BUSY)
    positions, beliefs = [], []
    for _ in range(MONTHS):
        model.step()
        positions.append(model.ukraine.position.copy())
        beliefs.append(np.concatenate([model.nato.west_belief, model.russia.russia_belief]))
    assert np.any(np.asarray(positions) == 100.0)
    assert np.any(np.isin(np.asarray(beliefs), [0.0, 1.0]))


def test_different_seeds_give_different_states(make_model):
    first = run_world(make_model, "busy", seed=1)
    second = run_world(make_model, "busy", seed=2)
    assert not np.array_equal(first.ukraine.position, second.ukraine.position)


# ---------------------------------------------------------------------------------------------
# Ukraine
# ---------------------------------------------------------------------------------------------

QUIET = {"doctrine.ukraine.position_noise": 0.0}


def test_ukraine_position_change_is_support_minus_pressure(make_model, make_settings):
    model = make_model(
        replicates=4, overrides=QUIET, measure_effectiveness=1.3, russian_pressure=0.17
    )
    effects = model.settings.doctrine.ukraine.effects
    nato, france = model.nato, model.france
    nato.aid[:] = [True, True, False, True]
    nato.advanced_weapons[:] = [False, True, False, True]
    france.training[:] = [False, True, False, True]
    france.instructors_inside[:] = [False, False, False, True]
    nato.deep_strikes[:] = [0, 1, 0, 2]
    france.troops[:] = [0, 1, 0, 2]
    start = model.ukraine.position.copy()

    model.ukraine.step()

    expected_support = 1.3 * np.array(
        [
            effects.aid,
            effects.aid
            + effects.advanced_weapons
            + effects.training
            + effects.deep_strikes_limited
            + effects.troops_noncombat,
            0.0,
            effects.aid
            + effects.advanced_weapons
            + effects.training
            + effects.instructors
            + effects.deep_strikes_authorized
            + effects.troops_combat,
        ]
    )
    np.testing.assert_allclose(
        model.ukraine.position - start, expected_support - 0.17, rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(model.ukraine.support(), expected_support, rtol=0, atol=1e-12)


def test_ukraine_position_is_clipped_to_0_100(make_model):
    model = make_model(replicates=2, overrides=QUIET, russian_pressure=5.0)
    model.ukraine.position[:] = [3.0, 50.0]
    model.ukraine.step()
    assert model.ukraine.position.tolist() == [0.0, 45.0]
    model.uncertain["russian_pressure"][:] = -5.0  # script a month where Ukraine gains 5 points
    model.ukraine.position[:] = [50.0, 99.0]
    model.ukraine.step()
    assert model.ukraine.position.tolist() == [55.0, 100.0]


def test_ukraine_requests_more_after_losing_request_drop_points(make_model):
    model = make_model(replicates=4, overrides=QUIET, russian_pressure=0.1)
    doctrine = model.settings.doctrine.ukraine
    line = doctrine.position_start - doctrine.request_drop
    # No Western measure in force: each replicate loses exactly 0.1 points this month.
    model.ukraine.position[:] = [line + 0.3, line + 0.1, line + 0.05, line - 2.0]
    model.ukraine.step()
    assert model.ukraine.request.tolist() == [False, False, True, True]
    # Regaining ground withdraws the request.
    model.ukraine.position[:] = line + 1.0
    model.ukraine.step()
    assert not model.ukraine.request.any()


def test_ukraine_noise_has_the_configured_spread(make_model):
    model = make_model(
        replicates=20_000,
        overrides={"doctrine.ukraine.position_noise": 0.5},
        russian_pressure=0.0,
        seed=3,
    )
    start = model.ukraine.position.copy()
    model.ukraine.step()
    change = model.ukraine.position - start
    assert abs(change.mean()) < 0.02
    assert change.std() == pytest.approx(0.5, rel=0.03)


# ---------------------------------------------------------------------------------------------
# France
# ---------------------------------------------------------------------------------------------


def test_france_instructors_arrive_exactly_at_their_month(make_model):
    model = make_model("instructors", replicates=6)
    arrival = model.settings.policy.timing.instructors.month
    assert arrival == 4
    for month in range(1, 8):
        model.month = month
        model.france.step()
        arrived = month >= arrival
        assert model.france.instructors_inside.tolist() == [arrived] * 6
        # Training abroad comes with any instructors lever, from month 1.
        assert model.france.training.all()


@pytest.mark.parametrize(
    ("instructors", "training", "inside"),
    [("none", False, False), ("outside", True, False), ("inside", True, True)],
)
def test_france_instructors_lever_decides_what_comes_into_force(
    make_model, instructors, training, inside
):
    model = make_model(replicates=3, instructors=instructors)
    model.month = 1
    model.france.step()
    assert model.france.training.tolist() == [training] * 3
    assert model.france.instructors_inside.tolist() == [inside] * 3
    assert model.france.personnel_in_ukraine.tolist() == [inside] * 3


@pytest.mark.parametrize(("troops", "level"), [("noncombat", 1), ("combat", 2)])
def test_france_position_trigger_deploys_only_where_position_is_below(make_model, troops, level):
    model = make_model(
        replicates=5,
        troops=troops,
        overrides={"policy.timing.troops": Timing(month=1, position_below=81.0)},
    )
    model.ukraine.position[:] = [80.0, 82.0, 80.99, 81.0, 40.0]
    model.month = 1
    model.france.step()
    assert model.france.troops.tolist() == [level, 0, level, 0, level]
    # Measures stay in force once in: recovering the front does not withdraw the troops.
    model.ukraine.position[:] = 90.0
    model.month = 2
    model.france.step()
    assert model.france.troops.tolist() == [level, 0, level, 0, level]
    assert model.france.personnel_in_ukraine.tolist() == [True, False, True, False, True]


def test_france_troop_trigger_waits_for_its_month(make_model):
    model = make_model(
        replicates=2,
        troops="combat",
        overrides={"policy.timing.troops": Timing(month=3, position_below=81.0)},
    )
    model.ukraine.position[:] = [70.0, 90.0]
    for month in (1, 2):
        model.month = month
        model.france.step()
        assert model.france.troops.tolist() == [0, 0]
    model.month = 3
    model.france.step()
    assert model.france.troops.tolist() == [2, 0]


def involvement_ceiling(weights, *names: str) -> float:
    return max([0.0, *(getattr(weights, name) for name in names)])


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        ({}, ("aid", "advanced_weapons", "training")),
        ({"instructors": "none"}, ("aid", "advanced_weapons")),
        ({"instructors": "inside"}, ("aid", "advanced_weapons", "training", "instructors")),
        (
            {"deep_strikes": "limited"},
            ("aid", "advanced_weapons", "training", "deep_strikes_limited"),
        ),
        (
            {"deep_strikes": "authorized"},
            ("aid", "advanced_weapons", "training", "deep_strikes_authorized"),
        ),
        ({"troops": "noncombat"}, ("aid", "advanced_weapons", "training", "troops_noncombat")),
        ({"troops": "combat"}, ("aid", "advanced_weapons", "training", "troops_combat")),
    ],
)
def test_france_declared_ceiling_under_red_lines_is_the_most_allowed(make_model, policy, allowed):
    model = make_model(replicates=2, posture="red_lines", **policy)
    weights = model.settings.doctrine.russia.involvement
    assert model.france.declared_ceiling == involvement_ceiling(weights, *allowed)


def test_france_declared_ceiling_without_any_measure_is_zero(make_model):
    model = make_model(
        replicates=2,
        posture="red_lines",
        instructors="none",
        overrides={"policy.aid": False, "policy.advanced_weapons": False},
    )
    assert model.france.declared_ceiling == 0.0


@pytest.mark.parametrize(
    "policy", [{}, {"instructors": "none"}, {"troops": "combat"}, {"deep_strikes": "limited"}]
)
def test_france_declared_ceiling_under_ambiguity_is_the_most_of_all(make_model, policy):
    model = make_model(replicates=2, posture="ambiguity", **policy)
    weights = model.settings.doctrine.russia.involvement
    assert model.france.declared_ceiling == max(vars(weights).values())
    assert model.france.declared_ceiling == weights.troops_combat == 9.0


# ---------------------------------------------------------------------------------------------
# NATO
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack", [RussianAction.HYBRID_ATTACKS, RussianAction.STRIKES_ON_WESTERN_FORCES]
)
def test_nato_answers_every_attack_when_probability_is_one(make_model, attack):
    weight = {"doctrine.nato.response_weight.hybrid_attacks": 1.0}  # p = 1 · resolve
    model = make_model(replicates=50, nato_resolve=1.0, overrides=weight)
    model.russia.action[:] = attack
    model.nato.answer_attacks(np.nextafter(1.0, 0.0) * np.ones(50))
    assert model.nato.military_response.all()
    assert model.direct_conflict.all()


def test_nato_answer_probability_is_weight_times_resolve(make_model, rng):
    model = make_model(replicates=20_000, nato_resolve=0.5)
    weight = model.settings.doctrine.nato.response_weight.hybrid_attacks
    model.russia.action[:] = RussianAction.HYBRID_ATTACKS
    model.nato.answer_attacks(rng.random(20_000))
    assert model.nato.military_response.mean() == pytest.approx(weight * 0.5, abs=0.01)
    np.testing.assert_array_equal(model.direct_conflict, model.nato.military_response)


@pytest.mark.parametrize(
    "attack", [RussianAction.HYBRID_ATTACKS, RussianAction.STRIKES_ON_WESTERN_FORCES]
)
def test_nato_never_answers_when_probability_is_zero(make_model, attack):
    model = make_model(replicates=50, nato_resolve=0.0)
    model.russia.action[:] = attack
    model.nato.answer_attacks(np.zeros(50))
    assert not model.nato.military_response.any()
    assert not model.direct_conflict.any()


@pytest.mark.parametrize(
    "action",
    [RussianAction.NONE, RussianAction.RHETORIC, RussianAction.NUCLEAR_SIGNALLING],
)
def test_nato_does_not_answer_words(make_model, action):
    model = make_model(replicates=10, nato_resolve=1.0)
    model.russia.action[:] = action
    model.nato.answer_attacks(np.zeros(10))
    assert not model.nato.military_response.any()
    assert not model.direct_conflict.any()


def test_nato_military_response_only_outside_an_existing_war(make_model):
    model = make_model(replicates=4, nato_resolve=1.0)
    model.russia.action[:] = RussianAction.STRIKES_ON_WESTERN_FORCES
    model.direct_conflict[:] = [True, False, True, False]
    model.nato.answer_attacks(np.zeros(4))
    assert model.nato.military_response.tolist() == [False, True, False, True]
    assert model.direct_conflict.all()


def test_nato_never_grants_deep_strikes_when_policy_prohibits(make_model):
    model = make_model(replicates=20, deep_strikes="prohibited", nato_cohesion=1.0)
    model.nato.west_belief[:] = 0.0
    model.ukraine.request[:] = True
    for month in range(1, 13):
        model.month = month
        model.nato.grant_deep_strikes(np.zeros(20))
    assert not model.nato.deep_strikes.any()


@pytest.mark.parametrize(("policy", "level"), [("limited", 1), ("authorized", 2)])
def test_nato_grants_the_allowed_level_when_consensus_is_certain(make_model, policy, level):
    model = make_model(replicates=20, deep_strikes=policy, nato_cohesion=1.0)
    model.nato.west_belief[:] = 0.0  # p = cohesion * (1 - caution * 0) = 1
    model.month = 1
    model.nato.grant_deep_strikes(np.nextafter(1.0, 0.0) * np.ones(20))
    assert model.nato.deep_strikes.tolist() == [level] * 20


def test_nato_deep_strike_consensus_probability(make_model, rng):
    model = make_model(replicates=20_000, deep_strikes="authorized", nato_cohesion=0.6)
    caution = model.settings.doctrine.nato.caution
    boost = model.settings.doctrine.nato.request_boost
    model.nato.west_belief[:] = 0.5
    model.ukraine.request[:10_000] = True
    model.month = 1
    model.nato.grant_deep_strikes(rng.random(20_000))
    granted = model.nato.deep_strikes > 0
    assert granted[10_000:].mean() == pytest.approx(0.6 * (1 - caution * 0.5), abs=0.015)
    assert granted[:10_000].mean() == pytest.approx(0.6 * (1 - caution * 0.5) + boost, abs=0.015)


def test_nato_deep_strikes_wait_for_their_month(make_model):
    model = make_model(
        "history", replicates=5, nato_cohesion=1.0, overrides={"doctrine.nato.caution": 0.0}
    )
    month = model.settings.policy.timing.deep_strikes.month
    assert month == 28
    model.month = month - 1
    model.nato.grant_deep_strikes(np.zeros(5))
    assert not model.nato.deep_strikes.any()
    model.month = month
    model.nato.grant_deep_strikes(np.zeros(5))
    assert model.nato.deep_strikes.tolist() == [1] * 5


def test_nato_belief_moves_toward_one_after_retaliation_and_zero_after_bluff(make_model):
    model = make_model(replicates=6)
    rate = model.settings.doctrine.nato.learning_rate
    model.nato.west_belief[:] = 0.4
    model.russia.decided_on_crossing[:] = [True, True, True, True, True, False]
    model.russia.action[:] = [
        RussianAction.HYBRID_ATTACKS,
        RussianAction.STRIKES_ON_WESTERN_FORCES,
        RussianAction.STRIKES_ON_NATO,
        RussianAction.RHETORIC,
        RussianAction.NUCLEAR_SIGNALLING,
        RussianAction.HYBRID_ATTACKS,  # not a decision on a crossed line: nothing learnt
    ]
    model.nato.update_belief()
    up, down = 0.4 + rate * (1 - 0.4), 0.4 - rate * 0.4
    np.testing.assert_allclose(model.nato.west_belief, [up, up, up, down, down, 0.4])


# ---------------------------------------------------------------------------------------------
# Russia
# ---------------------------------------------------------------------------------------------

DECISIVE = {"doctrine.russia.rationality": 1e6}
RANDOM_CHOICE = {"doctrine.russia.rationality": 0.0}


def test_russia_perceive_adds_alarm_share_of_the_headroom(make_model):
    model = make_model(replicates=5, ambiguity_alarm=0.4, posture="ambiguity")
    ceiling = model.france.declared_ceiling
    involvement = np.array([0.0, 3.0, 5.0, ceiling, ceiling + 0.5])
    expected = involvement + 0.4 * np.maximum(ceiling - involvement, 0.0)
    np.testing.assert_allclose(model.russia.perceive(involvement), expected)
    np.testing.assert_allclose(model.russia.perceive(involvement)[:2], [3.6, 5.4])


def test_russia_perceive_under_red_lines_uses_the_declared_ceiling(make_model):
    model = make_model(replicates=2, ambiguity_alarm=0.5, posture="red_lines")
    assert model.france.declared_ceiling == 3.0  # status quo: training is the most allowed
    np.testing.assert_allclose(model.russia.perceive(np.array([1.0, 3.0])), [2.0, 3.0])


def test_russia_measures_involvement_as_the_most_involving_measure(make_model):
    model = make_model(replicates=3)
    weights = model.settings.doctrine.russia.involvement
    model.nato.aid[:] = True
    model.france.training[:] = [False, True, True]
    model.nato.deep_strikes[:] = [0, 0, 2]
    np.testing.assert_allclose(
        model.russia.measure_involvement(),
        [weights.aid, weights.training, weights.deep_strikes_authorized],
    )


def test_russia_choose_picks_the_best_available_option_when_rational(make_model, rng):
    model = make_model(replicates=5, overrides=DECISIVE)
    utilities = np.array(
        [
            [0.0, 1.0, 2.0, 3.0, 4.0],
            [0.0, 1.0, 2.0, 3.0, 4.0],
            [0.0, -1.0, -2.0, -3.0, -4.0],
            [0.0, 5.0, 1.0, 9.0, 2.0],
            [0.0, 5.0, 1.0, 9.0, 2.0],
        ]
    )
    available = np.ones((5, len(OPTIONS)), dtype=bool)
    available[1, 4] = False
    available[4, 3] = False
    chosen = model.russia.choose(utilities, available, rng.random(5))
    assert [RussianAction(a) for a in chosen] == [
        RussianAction.STRIKES_ON_NATO,
        RussianAction.STRIKES_ON_WESTERN_FORCES,
        RussianAction.RHETORIC,
        RussianAction.STRIKES_ON_WESTERN_FORCES,
        RussianAction.NUCLEAR_SIGNALLING,
    ]


def test_russia_choose_never_returns_an_unavailable_option_at_the_top_draw(make_model):
    """A draw at or above the last cumulative weight (rounding) falls on an available option."""
    model = make_model(replicates=3, overrides={"doctrine.russia.rationality": 1.0})
    utilities = np.zeros((3, len(OPTIONS)))
    available = np.array(
        [
            [True, True, True, True, False],
            [True, True, False, False, False],
            [True, False, False, False, False],
        ]
    )
    chosen = model.russia.choose(utilities, available, np.ones(3))
    assert [RussianAction(a) for a in chosen] == [
        RussianAction.STRIKES_ON_WESTERN_FORCES,
        RussianAction.NUCLEAR_SIGNALLING,
        RussianAction.RHETORIC,
    ]


def test_russia_choose_is_a_logit_over_available_options(make_model, rng):
    model = make_model(replicates=40_000, overrides={"doctrine.russia.rationality": 1.0})
    utilities = np.tile([0.0, np.log(2.0), np.log(3.0), 0.0, 5.0], (40_000, 1))
    available = np.tile([True, True, True, True, False], (40_000, 1))
    chosen = model.russia.choose(utilities, available, rng.random(40_000))
    shares = [np.mean(chosen == action) for action in OPTIONS]
    np.testing.assert_allclose(shares, [1 / 7, 2 / 7, 3 / 7, 1 / 7, 0.0], atol=0.01)


def crossed_world(make_model, replicates=8, personnel=True, **kwargs):
    """Month 1 with combat troops in (involvement 9) and a red line at 4.5: crossed."""
    overrides = {**DECISIVE, **kwargs.pop("overrides", {})}
    model = make_model(
        replicates=replicates,
        follow_through=1.0,
        red_line_threshold=kwargs.pop("red_line_threshold", 4.5),
        overrides=overrides,
        **kwargs,
    )
    model.month = 1
    model.nato.aid[:] = True
    if personnel:
        model.france.troops[:] = 2
    else:
        model.nato.deep_strikes[:] = 2
    return model


@pytest.mark.parametrize("cost_sensitivity", [0.0, 0.5, 1.5, 3.0])
@pytest.mark.parametrize("posture", ["red_lines", "ambiguity"])
def test_russia_picks_the_highest_utility_option_when_line_crossed(
    make_model, cost_sensitivity, posture
):
    model = crossed_world(
        make_model, posture=posture, troops="combat", cost_sensitivity=cost_sensitivity
    )
    russia = model.russia
    involvement = russia.measure_involvement()
    perceived = russia.perceive(involvement)
    best = np.asarray(OPTIONS)[russia.utilities(perceived, involvement).argmax(axis=1)]
    russia.step()
    assert russia.decided_on_crossing.all()
    assert russia.red_line_crossed.all()
    np.testing.assert_array_equal(russia.action, best)


@pytest.mark.parametrize(
    ("red_line_threshold", "expected"),
    [
        # excess 0.5: nato 2.5·1.5 = 3.75 < western 2.0·1.5 + clash gain 1.0 = 4.0
        (8.5, RussianAction.STRIKES_ON_WESTERN_FORCES),
        # excess 2.0: nato 2.5·3 = 7.5 > western 2.0·3 + 1.0 = 7.0
        (7.0, RussianAction.STRIKES_ON_NATO),
    ],
)
def test_russia_free_of_cost_weighs_gains_and_the_combat_clash(
    make_model, red_line_threshold, expected
):
    model = crossed_world(
        make_model,
        posture="red_lines",
        troops="combat",
        cost_sensitivity=0.0,
        red_line_threshold=red_line_threshold,
    )
    utilities = model.russia.utilities(np.full(8, 9.0), np.full(8, 9.0))
    excess = 9.0 - red_line_threshold
    responses = model.settings.doctrine.russia.responses
    np.testing.assert_allclose(
        utilities[0],
        [
            0.0,
            responses.nuclear_signalling.gain * (1 + excess),
            responses.hybrid_attacks.gain * (1 + excess),
            responses.strikes_on_western_forces.gain * (1 + excess)
            + model.settings.doctrine.russia.combat_clash_gain,
            responses.strikes_on_nato.gain * (1 + excess),
        ],
    )
    model.russia.step()
    assert (model.russia.action == expected).all()


def test_russia_utilities_subtract_the_expected_western_answer(make_model):
    model = make_model(
        replicates=1, cost_sensitivity=2.0, red_line_threshold=6.0, posture="ambiguity"
    )
    russia = model.russia
    russia.russia_belief[:] = 0.25
    responses = model.settings.doctrine.russia.responses
    # Involvement 3 under ambiguity (ceiling 9): headroom 1 + 6 = 7; perceived 7, excess 1.
    utilities = russia.utilities(np.array([7.0]), np.array([3.0]))[0]
    answer = 2.0 * 0.25 * 7.0
    expected = [
        0.0,
        *(
            option.gain * 2.0 - option.provocation * answer
            for option in (
                responses.nuclear_signalling,
                responses.hybrid_attacks,
                responses.strikes_on_western_forces,
                responses.strikes_on_nato,
            )
        ),
    ]
    np.testing.assert_allclose(utilities, expected)


def test_russia_cannot_strike_western_forces_without_personnel_in_ukraine(make_model):
    model = crossed_world(
        make_model,
        replicates=2000,
        personnel=False,
        deep_strikes="authorized",
        overrides=RANDOM_CHOICE,
    )
    assert not model.france.personnel_in_ukraine.any()
    model.russia.step()
    actions = set(np.unique(model.russia.action).tolist())
    assert RussianAction.STRIKES_ON_WESTERN_FORCES not in actions
    assert actions == {
        RussianAction.RHETORIC,
        RussianAction.NUCLEAR_SIGNALLING,
        RussianAction.HYBRID_ATTACKS,
        RussianAction.STRIKES_ON_NATO,
    }


def test_russia_can_strike_western_forces_with_instructors_inside(make_model):
    model = crossed_world(make_model, replicates=2000, personnel=False, overrides=RANDOM_CHOICE)
    model.france.instructors_inside[:] = True
    model.russia.step()
    # Uniform over five options when rationality is 0.
    share = np.mean(model.russia.action == RussianAction.STRIKES_ON_WESTERN_FORCES)
    assert share == pytest.approx(0.2, abs=0.04)


def test_russia_has_no_retaliation_options_when_line_not_crossed(make_model):
    model = make_model(
        replicates=2000,
        follow_through=1.0,
        red_line_threshold=9.5,
        ambiguity_alarm=0.0,
        overrides=RANDOM_CHOICE,
    )
    model.month = 1
    model.nato.aid[:] = True
    model.france.troops[:] = 2  # involvement 9, below the line: a new measure, not a crossing
    model.russia.step()
    assert not model.russia.red_line_crossed.any()
    assert not model.russia.decided_on_crossing.any()
    actions = set(np.unique(model.russia.action).tolist())
    assert actions == {RussianAction.RHETORIC, RussianAction.NUCLEAR_SIGNALLING}


def test_russia_does_not_follow_through_when_follow_through_is_zero(make_model):
    model = crossed_world(make_model, replicates=2000, overrides=RANDOM_CHOICE)
    model.uncertain["follow_through"][:] = 0.0
    model.russia.step()
    assert model.russia.red_line_crossed.all()
    assert not np.isin(model.russia.action, RETALIATION).any()


def test_russia_decides_only_on_a_new_measure_or_when_reconsidering(make_model):
    model = make_model(
        replicates=50, red_line_threshold=9.5, overrides={"doctrine.russia.reconsider": 1.0}
    )
    model.nato.aid[:] = True
    model.month = 1
    model.russia.step()
    assert (model.russia.action != RussianAction.NONE).all()  # aid is new
    model.month = 2
    model.russia.step()
    assert (model.russia.action == RussianAction.NONE).all()  # nothing new, nothing crossed


def test_russia_strikes_on_nato_start_direct_conflict(make_model):
    model = crossed_world(
        make_model,
        personnel=False,
        deep_strikes="authorized",
        cost_sensitivity=0.0,
        nuclear_use_in_conflict=0.0,
    )
    model.russia.step()
    assert (model.russia.action == RussianAction.STRIKES_ON_NATO).all()
    assert model.direct_conflict.all()
    assert (model.russia.rung_in_force == Rung.DIRECT_CONFLICT).all()
    assert not model.nuclear_use.any()
    # At war, Russia takes no further decisions.
    model.month = 2
    model.nato.deep_strikes[:] = 0
    model.france.troops[:] = 2
    model.russia.step()
    assert (model.russia.action == RussianAction.NONE).all()


def test_russia_nuclear_use_only_in_direct_conflict(make_model):
    model = make_model(replicates=6, nuclear_use_in_conflict=1.0, ambiguity_alarm=0.0)
    model.direct_conflict[:] = [True, False, True, False, False, True]
    model.month = 1
    model.russia.step()
    np.testing.assert_array_equal(model.nuclear_use, model.direct_conflict)


@pytest.mark.parametrize("response_months", [1, 3, 5])
def test_russia_response_stays_in_force_response_months(make_model, response_months):
    model = make_model(
        replicates=4,
        red_line_threshold=9.5,  # never crossed: only rhetoric or signalling
        cost_sensitivity=0.0,  # signalling (gain 1) beats rhetoric (0)
        overrides={**DECISIVE, "doctrine.russia.response_months": response_months},
    )
    model.nato.aid[:] = True
    in_force = []
    for month in range(1, response_months + 4):
        model.month = month
        model.russia.step()
        in_force.append(model.russia.rung_in_force.copy())
    in_force = np.asarray(in_force)
    assert (in_force[:response_months] == Rung.NUCLEAR_SIGNALLING).all()
    assert (in_force[response_months:] == -1).all()


def test_russia_higher_response_replaces_a_lower_one(make_model):
    model = make_model(replicates=1)
    russia = model.russia
    months = model.settings.doctrine.russia.response_months
    model.month = 1
    russia.action[:] = RussianAction.NUCLEAR_SIGNALLING
    russia._put_in_force(months)
    model.month = 2
    russia.action[:] = RussianAction.HYBRID_ATTACKS
    russia._put_in_force(months)
    assert russia.rung_in_force.tolist() == [Rung.HYBRID_ATTACKS]
    model.month = 3
    russia.action[:] = RussianAction.NUCLEAR_SIGNALLING  # lower: does not replace
    russia._put_in_force(months)
    assert russia.rung_in_force.tolist() == [Rung.HYBRID_ATTACKS]
    model.month = 2 + months  # the hybrid attacks have expired
    russia.action[:] = RussianAction.NONE
    russia._put_in_force(months)
    assert russia.rung_in_force.tolist() == [-1]


def test_russia_learns_resolve_from_nato_answers(make_model):
    model = make_model(replicates=5)
    rate = model.settings.doctrine.russia.learning_rate
    russia = model.russia
    russia.russia_belief[:] = 0.5
    russia.action[:] = [
        RussianAction.HYBRID_ATTACKS,
        RussianAction.STRIKES_ON_WESTERN_FORCES,
        RussianAction.NUCLEAR_SIGNALLING,
        RussianAction.HYBRID_ATTACKS,
        RussianAction.STRIKES_ON_NATO,  # starts the war by itself: no answer to learn from
    ]
    model.nato.military_response[:] = [True, False, False, False, False]
    russia.learn_resolve()
    np.testing.assert_allclose(
        russia.russia_belief, [0.5 + rate * 0.5, 0.5 - rate * 0.5, 0.5, 0.5 - rate * 0.5, 0.5]
    )


def test_russian_action_rungs_match_the_ladder():
    assert RussianAction.NUCLEAR_SIGNALLING.rung == Rung.NUCLEAR_SIGNALLING
    assert RussianAction.HYBRID_ATTACKS.rung == Rung.HYBRID_ATTACKS
    assert RussianAction.STRIKES_ON_WESTERN_FORCES.rung == Rung.STRIKES_ON_WESTERN_FORCES
    assert RussianAction.STRIKES_ON_NATO.rung == Rung.DIRECT_CONFLICT
    assert RussianAction.RHETORIC.rung == -1
    assert RussianAction.NONE.rung == -1


def test_lever_enums_cover_the_public_values():
    assert [e.value for e in Instructors] == ["none", "outside", "inside"]
    assert [e.value for e in Troops] == ["none", "noncombat", "combat"]
    assert [e.value for e in DeepStrikes] == ["prohibited", "limited", "authorized"]
    assert [e.value for e in Posture] == ["red_lines", "ambiguity"]

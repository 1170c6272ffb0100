"""Many worlds in one batch: world k of a many-policy model is the run of its policy alone.

``EscalationModel(settings, policies=[...])`` holds one world per policy, side by side, every
world drawing the same random numbers and parameter values (``escalation.model.levers``). The
rule the sweeper and ``simulate_many`` rely on: each world's outcomes and trajectories are,
number for number, those of a run of its policy alone with the same seed and replicates.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from escalation.config.scenarios import load_settings
from escalation.config.schema import ConfigError, DeepStrikes, Instructors, Posture, Troops
from escalation.model import EscalationModel


def policies(settings, count=None):
    """Every combination of the four levers on the settings' policy (54), or the first ``count``."""
    combos = itertools.product(Instructors, Troops, DeepStrikes, Posture)
    chosen = [
        dataclasses.replace(settings.policy, instructors=i, troops=t, deep_strikes=d, posture=p)
        for i, t, d, p in combos
    ]
    return chosen[:count]


def alone(settings, policy):
    return EscalationModel(dataclasses.replace(settings, policy=policy)).run()


@pytest.mark.parametrize("mode", ["posterior", "point"])
def test_every_world_is_the_run_of_its_policy_alone(mode):
    settings = load_settings(
        "status_quo", replicates=40, months=18, seed=3, **{"sim.parameters": mode}
    )
    chosen = policies(settings)
    many = EscalationModel(settings, policies=chosen).run()
    assert (many.worlds, many.replicates) == (54, 54 * 40)
    for world, policy in enumerate(chosen):
        single = alone(settings, policy)
        pd.testing.assert_frame_equal(many.outcomes(world), single.outcomes())
        pd.testing.assert_frame_equal(many.trajectories(world), single.trajectories())


def test_worlds_differ_in_timing_withdrawal_aid_and_a_position_trigger():
    settings = load_settings(
        "troops", replicates=30, months=24, seed=8, **{"sim.parameters": "point"}
    )
    base = settings.policy
    timing = base.timing
    chosen = [
        base,
        dataclasses.replace(
            base,
            timing=dataclasses.replace(timing, troops=dataclasses.replace(timing.troops, month=9)),
        ),
        dataclasses.replace(
            base,
            timing=dataclasses.replace(
                timing, troops=dataclasses.replace(timing.troops, month=2, until=12)
            ),
        ),
        dataclasses.replace(
            base,
            aid=False,
            timing=dataclasses.replace(
                timing, troops=dataclasses.replace(timing.troops, position_below=80.0)
            ),
        ),
        dataclasses.replace(base, advanced_weapons=False, posture=Posture.red_lines),
    ]
    many = EscalationModel(settings, policies=chosen).run()
    troops = many.record()["troops"]
    for world, policy in enumerate(chosen):
        single = alone(settings, policy)
        pd.testing.assert_frame_equal(many.outcomes(world), single.outcomes())
        pd.testing.assert_frame_equal(many.trajectories(world), single.trajectories())
    # the timings took effect (the scenario sends troops only while Ukraine is losing): from
    # month 9 in world 1, from month 2 until month 12 in world 2
    first, second = slice(30, 60), slice(60, 90)
    assert not troops[:8, first].any() and troops[8:, first].any()
    assert troops[1:11, second].any() and not troops[11:, second].any()


def test_fixed_uncertainties_apply_per_replicate_across_worlds():
    settings = load_settings(
        "status_quo", replicates=20, months=6, seed=1, **{"sim.parameters": "point"}
    )
    chosen = policies(settings, 3)
    values = np.repeat([0.1, 0.5, 0.9], 20)
    many = EscalationModel(settings, policies=chosen, uncertainties={"follow_through": values})
    table = many.run().outcomes()
    assert table["follow_through"].tolist() == values.tolist()
    assert table["replicate"].tolist() == list(range(60))


def test_a_world_out_of_range_and_worlds_that_disagree_are_refused():
    settings = load_settings("status_quo", replicates=5, months=2, seed=1)
    many = EscalationModel(settings, policies=policies(settings, 2)).run()
    with pytest.raises(ValueError, match=r"world=2: this model has worlds 0 to 1"):
        many.outcomes(2)
    other = dataclasses.replace(settings.policy, new_weapons=[3])
    with pytest.raises(ConfigError, match=r"policies differ in policy\.new_weapons"):
        EscalationModel(settings, policies=[settings.policy, other])
    with pytest.raises(ConfigError, match="policies: give at least one policy"):
        EscalationModel(settings, policies=[])


def test_points_that_differ_only_in_policy_are_grouped_within_the_batch(monkeypatch):
    from escalation.config.validation import with_levers
    from escalation.run import worlds

    base = load_settings("status_quo", replicates=10, months=5, seed=2)
    other_seed = dataclasses.replace(base, seed=3)
    points = [
        base,
        with_levers(base, troops="combat"),
        other_seed,
        with_levers(base, posture="red_lines"),
        with_levers(other_seed, troops="combat"),
    ]
    assert worlds.world_groups(points) == [[0, 1, 3], [2, 4]]
    monkeypatch.setattr(worlds, "WORLD_BATCH", 2 * 10 * 5)  # two points a model
    assert worlds.world_groups(points) == [[0, 1], [2, 4], [3]]
    tables = {index: outcomes for index, outcomes, _ in worlds.simulate_worlds(points)}
    for index, settings in enumerate(points):
        single = EscalationModel(settings).run().outcomes()
        pd.testing.assert_frame_equal(tables[index], single)


def test_a_point_of_several_chunks_runs_alone_as_its_chunks(monkeypatch):
    from escalation.config.validation import with_levers
    from escalation.run import parallel, worlds
    from escalation.run.runs import simulate_run

    monkeypatch.setattr(parallel, "CHUNK", 10)
    small = load_settings(
        "status_quo", replicates=10, months=4, seed=2, **{"sim.parameters": "point"}
    )
    large = dataclasses.replace(small, sim=dataclasses.replace(small.sim, replicates=25))
    points = [small, with_levers(large, troops="combat"), with_levers(small, troops="combat")]
    assert worlds.world_groups(points) == [[0, 2], [1]]
    tables = {index: outcomes for index, outcomes, _ in worlds.simulate_worlds(points)}
    expected = simulate_run(points[1], trajectories=False, workers=1)[0]
    pd.testing.assert_frame_equal(tables[1], expected)

"""The replay hook: dated Western and Ukrainian events drive the model in every replicate."""

from __future__ import annotations

import numpy as np
import pytest

from escalation.config.scenarios import load_settings
from escalation.config.schema import ConfigError, Posture
from escalation.model import EscalationModel

EVENTS = {
    1: [("us", "posture_red_lines"), ("west", "aid"), ("west", "advanced_weapons")],
    5: [("us", "advanced_weapons")],
    6: [("uk", "training")],
    8: [("ukraine", "domestic_deep_strikes")],
    10: [("france", "posture_ambiguity")],
    11: [("us", "deep_strikes_limited")],
    12: [("ukraine", "incursion"), ("russia", "nuclear_signalling")],
}


@pytest.fixture(scope="module")
def replayed():
    settings = load_settings("history", replicates=500, months=14, seed=1)
    return EscalationModel(settings, replay=EVENTS).run()


def test_events_are_in_force_from_their_month_in_every_replicate(replayed):
    frame = replayed.trajectories()
    by_month = frame.groupby("month")
    assert by_month["aid"].all().all()
    assert not by_month["training"].any().loc[:5].any()
    assert by_month["training"].all().loc[6:].all()
    assert (by_month["new_weapons"].min().loc[5:] == 1).all()
    assert (by_month["new_weapons"].max().loc[:4] == 0).all()
    assert by_month["domestic_strikes"].all().loc[8:].all()
    assert not by_month["domestic_strikes"].any().loc[:7].any()
    assert by_month["incursion"].all().loc[12:].all()
    assert not by_month["incursion"].any().loc[:11].any()


def test_a_deep_strike_permission_is_the_named_members_own(replayed):
    members = {member.name: member.deep_strikes for member in replayed.nato.members}
    assert (members["us"] == 1).all()
    assert all((levels == 0).all() for name, levels in members.items() if name != "us")
    share = replayed.trajectories().groupby("month")["deep_strikes_share"].max()
    assert share.loc[11] == pytest.approx(0.5)


def test_policy_levers_and_stochastic_decisions_are_off_in_a_replay(replayed):
    frame = replayed.trajectories()
    assert not frame["instructors_inside"].any()
    assert (frame["troops"] == "none").all()
    assert replayed.settings.policy.deep_strikes.value == "limited"  # ignored: only events count


def test_a_posture_event_widens_russias_set_of_beliefs(replayed):
    assert replayed.settings.policy.posture is Posture.ambiguity  # ignored: events decide
    assert replayed.france.ambiguity.all()
    frame = replayed.trajectories()
    width = (frame["russia_belief_high"] - frame["russia_belief_low"]).groupby(frame["month"])
    assert (width.max().loc[:9] == 0).all()
    assert (width.min().loc[10:] > 0.1).all()


def test_a_withdrawal_event_takes_a_measure_out_of_force():
    events = {1: [("west", "aid"), ("us", "deep_strikes_limited")], 3: [("west", "aid_withdrawn")]}
    events[4] = [("us", "deep_strikes_withdrawn")]
    settings = load_settings("history", replicates=50, months=5, seed=3)
    model = EscalationModel(settings, replay=events).run()
    traj = model._trajectory
    assert traj["aid"][:2].all() and not traj["aid"][2:].any()
    assert (traj["deep_strikes_share"][:3] == 0.5).all()
    assert (traj["deep_strikes_share"][3:] == 0).all()
    assert (traj["involvement"][2] < traj["involvement"][1]).all()


def test_russian_events_are_not_driven(replayed):
    signalling = replayed.trajectories()["russian_action"].eq("nuclear_signalling")
    share = signalling.groupby(replayed.trajectories()["month"]).mean()
    assert 0.0 < share.loc[12] < 1.0


def test_same_seed_same_replay():
    settings = load_settings("history", replicates=200, months=12, seed=2)
    first = EscalationModel(settings, replay=EVENTS).run().outcomes()
    second = EscalationModel(settings, replay=EVENTS).run().outcomes()
    assert first.equals(second)
    assert not np.isnan(first["ukraine_position_final"]).any()


def test_unknown_member_is_refused_in_one_line():
    settings = load_settings("history", replicates=10, months=3, seed=2)
    with pytest.raises(ConfigError, match=r"unknown actor 'italy'; allowed: west, nato, us"):
        EscalationModel(settings, replay={2: [("italy", "deep_strikes_limited")]}).run()

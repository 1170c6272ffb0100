"""Continuity between the history replay and the forward runs (model v2's referee finding, v3).

Model v2 started a forward run afresh at ``sim.start`` and added the record's involvement to
Russia's reference by a formula; model v3 replays the record up to ``sim.start`` inside the
forward run (the warm-up), so a forward run continues the replay: same reference (the war's
first month), the record's measures in force, Russia's beliefs carried over
(tests/model/test_review_findings.py has the month-1 comparison). Every test is seeded.
"""

from __future__ import annotations

import numpy as np
import pytest

from escalation.api import load_settings
from escalation.config.schema import Posture
from escalation.model import EscalationModel
from escalation.model.actions import RussianAction
from escalation.model.replay import involvement_added_before, recorded_involvement
from escalation.timeline import load_timeline, month_index, month_name, replay_events

POINT = {"sim.parameters": "point"}
"""Mechanism tests script doctrine values: the point mode keeps them (the default draws them)."""

REPLICATES = 20_000


def action_rates(model: EscalationModel, month: int) -> tuple[float, float]:
    """P(hybrid attacks), P(nuclear signalling) in a month (1-based) of a finished run."""
    actions = model._trajectory["russian_action"][month - 1]
    hybrid = float((actions == RussianAction.HYBRID_ATTACKS).mean())
    signalling = float((actions == RussianAction.NUCLEAR_SIGNALLING).mean())
    return hybrid, signalling


def growth(model: EscalationModel) -> np.ndarray:
    """The proxy-war growth term G_t = k_G [P_t - P_ref]^+ in the model's current month."""
    russia = model.russia
    k_g = model.settings.doctrine.russia.stimuli.involvement
    return k_g * np.maximum(russia.perceived_involvement - russia.reference[1], 0.0)


def test_the_replay_is_its_own_reference():
    """The replay starts when the war began: nothing added before it; month 1 is its reference."""
    model = EscalationModel(load_settings("history", replicates=500, seed=40, **POINT))
    assert model.involvement_before_start == 0.0
    np.testing.assert_array_equal(model.russia.reference[0], model.russia.involvement)
    np.testing.assert_array_equal(model.russia.reference[1], model.russia.perceived_involvement)


def test_recorded_involvement_counts_as_the_replay_does():
    """The record's involvement, month by month, is what Russia measures in the replay."""
    settings = load_settings("history", replicates=50, seed=40, **POINT)
    model = EscalationModel(settings)
    timeline = load_timeline()
    for month in range(1, model.months + 1):
        model.step()
        until = month_name(month_index(timeline.first_month) + month - 1)
        events = replay_events(timeline, until=until)
        flat = [event for key in sorted(events) for event in events[key]]
        expected = recorded_involvement(flat, settings.doctrine)
        np.testing.assert_allclose(model.russia.involvement, expected, rtol=0, atol=1e-12)


def test_a_forward_run_has_the_replays_reference_and_the_records_measures():
    """Status quo from October 2024: Russia's reference is the replay's (February 2022), and
    what is in force at the start is what the record had in force in September 2024."""
    replay = EscalationModel(load_settings("history", replicates=10, seed=40, **POINT)).run()
    model = EscalationModel(load_settings("status_quo", replicates=10, seed=40, **POINT))
    assert model.involvement_before_start == 0.0
    np.testing.assert_array_equal(model.russia.reference[0], replay.russia.reference[0])
    np.testing.assert_allclose(model.russia.involvement, replay.russia.involvement, atol=1e-12)
    timeline = load_timeline()
    doctrine = model.settings.doctrine
    assert involvement_added_before(timeline, timeline.first_month, doctrine) == 0.0
    assert involvement_added_before(timeline, "2021-06", doctrine) == 0.0  # before the war


def test_growth_does_not_depend_on_posture_without_the_alarm():
    """Alarm 0: perceived involvement is involvement, and the growth term is the same every month
    under both postures (the status quo adds no measure); the posture still moves Russia's acts."""
    runs = []
    for posture in Posture:
        settings = load_settings(
            "status_quo", replicates=2000, seed=43, posture=posture, ambiguity_alarm=0.0, **POINT
        )
        model = EscalationModel(settings)
        terms = []
        while model.running:
            model.step()
            terms.append(growth(model))
        runs.append((np.array(terms), model._trajectory["russian_action"].copy()))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert (runs[0][1] != runs[1][1]).any()


def test_the_status_quo_adds_nothing_in_month_one_but_new_permissions():
    """The record's state carries on: involvement changes in month 1 only where the UK or
    Poland grants the limited strikes the status quo allows."""
    model = EscalationModel(load_settings("status_quo", replicates=4000, seed=44, **POINT))
    before = model.russia.involvement.copy()
    model.step()
    granted = np.zeros(4000, dtype=bool)
    for member in model.nato.members:
        if member.name in ("uk", "poland"):
            granted |= member.deep_strikes > 0
    assert granted.any()
    np.testing.assert_array_equal(model.russia.involvement[~granted], before[~granted])
    assert (model.russia.involvement[granted] > before[granted]).all()


def test_a_replay_started_later_continues_the_full_replay():
    """A replay from July 2024 (earlier events in force from its month 1) against the full replay
    in July 2024. Measured (20,000 replicates, seed 1): hybrid 20.6% vs 22.6%, signalling 47.1%
    vs 53.5%; before the fix 9.4% and 30.1%. The rest of the gap is the memory of June's step."""
    full = EscalationModel(load_settings("history", replicates=REPLICATES, seed=1, **POINT)).run()
    late = load_settings("history", replicates=REPLICATES, seed=1, **POINT)
    late.sim.start, late.sim.months = "2024-07", 3
    model = EscalationModel(late).run()
    assert model.involvement_before_start == pytest.approx(2.75)
    for month in (1, 3):
        late_hybrid, late_signalling = action_rates(model, month)
        hybrid, signalling = action_rates(full, 29 + month)
        assert abs(late_hybrid - hybrid) < 0.05
        assert abs(late_signalling - signalling) < 0.08

"""The dashboard's sizes: its sliders and its links keep to the same bounds, named on the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.classroom import session
from escalation.config.schema import ConfigError

APP = Path(session.__file__).with_name("app.py")
RULE = "replicates x months must be at most 720,000 (at most 3,000 replicates over 240 months)"
TOO_LARGE = f"replicates=20000 x months=240 is too large for the dashboard: {RULE}"
TOO_LARGE_SLIDERS = f"sim.replicates=20000 x sim.months=240 is too large for the dashboard: {RULE}"


@pytest.mark.parametrize(
    ("replicates", "months", "message"),
    [
        (20_000, 240, TOO_LARGE_SLIDERS),
        (3_001, 240, "sim.replicates=3001 x sim.months=240 is too large for the dashboard"),
        (1_000, 241, "sim.months=241 is too many for the dashboard: at most 240"),
        (20_001, 36, "sim.replicates=20001 is too many for the dashboard: at most 20000"),
    ],
)
def test_the_sliders_refuse_a_run_larger_than_the_dashboard_runs(replicates, months, message):
    with pytest.raises(ConfigError) as caught:
        session.build_settings("troops", replicates=replicates, months=months)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("replicates", "months"), [(3_000, 240), (20_000, 36)])
def test_the_largest_runs_allowed_compose(replicates, months):
    settings = session.build_settings("troops", replicates=replicates, months=months)
    assert (settings.sim.replicates, settings.sim.months) == (replicates, months)


@pytest.mark.parametrize(
    ("query", "values", "errors"),
    [
        (
            {"mode": "compare", "replicates": "20000", "months": "240"},
            {"mode": "compare", "months": 240},
            [TOO_LARGE],
        ),
        (
            {"replicates": "3000", "months": "240"},
            {"replicates": 3000, "months": 240},
            [],
        ),
        (
            {"replicates": "100000", "months": "9999"},
            {},
            [
                "replicates=100000 is out of range: must be between 1 and 20000",
                "months=9999 is out of range: must be between 1 and 240",
            ],
        ),
        (
            {"seed": "9" * 5000},
            {},
            [
                "seed: '999999999999...9999999999999' is not a whole number; allowed: 0 to "
                "9007199254740991"
            ],
        ),
        (
            {"posture": "\x1b[31mred" + "x" * 1000},
            {},
            [
                "posture: invalid value '\\x1b[31mredx...xxxxxxxxxxxxx'; allowed: red_lines, "
                "ambiguity"
            ],
        ),
        (
            {"k" * 1000: "1"},
            {},
            [
                "unknown parameter 'kkkkkkkkkkkk...kkkkkkkkkkkkk'; allowed: mode, scenario, "
                "instructors, troops, deep_strikes, posture, replicates, months, seed"
            ],
        ),
    ],
    ids=["too-large", "largest", "out-of-range", "long-number", "escape-codes", "long-key"],
)
def test_a_link_keeps_to_the_sliders_bounds_and_its_messages_stay_short(query, values, errors):
    assert session.read_query(query, ["troops"]) == (values, errors)


def test_a_link_asking_for_a_run_too_large_gets_a_message_and_the_page_runs():
    from streamlit.testing.v1 import AppTest

    test = AppTest.from_file(str(APP), default_timeout=60)
    for key, value in {"scenario": "troops", "replicates": "20000", "months": "240"}.items():
        test.query_params[key] = value
    test.run()
    assert [e.value for e in test.error] == [f"Ignored a setting of the link: {TOO_LARGE}"]
    assert not test.exception
    assert test.number_input(key="troops:replicates").value == 1000  # the scenario's
    assert test.number_input(key="troops:months").value == 240
    test.number_input(key="troops:replicates").set_value(20_000).run()
    # The address followed the controls after the first run: its bad setting is gone.
    assert [e.value for e in test.error] == [TOO_LARGE_SLIDERS]
    assert not test.metric  # nothing was run

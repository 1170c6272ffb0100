"""Students' near misses (issue 24): suggestions, booleans and timings that cannot take effect.

- A near miss of a scenario, a lever value or a key is answered with the closest name
  (``did you mean 'X'?`` before the list of what is allowed); with no close match the line is
  as it always was.
- A boolean key takes only ``true`` or ``false``.
- A timing given for a measure the policy never takes warns, in one line, that it has no effect.
"""

from __future__ import annotations

import sys

import pytest

import escalation
from escalation.cli import app as cli
from escalation.config.schema import ConfigError
from escalation.config.validation import did_you_mean

SCENARIOS = "deep_strikes, history, instructors, status_quo, template, troops"
POLICY_KEYS = (
    "instructors, troops, deep_strikes, posture, aid, advanced_weapons, new_weapons, timing"
)


def refusal(arguments: list[str], monkeypatch, capsys) -> str:
    """The one line ``escalation ARGUMENTS`` refuses with (status 2, nothing on stdout)."""
    monkeypatch.setattr(sys, "argv", ["escalation", *arguments])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    return line


# -- did you mean ----------------------------------------------------------------------------------

NEAR_MISSES = [
    (
        ["scenario=instructor"],
        f"unknown scenario 'instructor'; did you mean 'instructors'? available: {SCENARIOS}",
    ),
    (
        ["policy.troops=combt"],
        "policy.troops: invalid value 'combt'; did you mean 'combat'? allowed: none, noncombat, "
        "combat",
    ),
    (
        ["policy.trops=none"],
        f"unknown key 'policy.trops'; did you mean 'policy.troops'? allowed keys here: "
        f"{POLICY_KEYS}",
    ),
    (
        ["policy.posture=redlines"],
        "policy.posture: invalid value 'redlines'; did you mean 'red_lines'? allowed: red_lines, "
        "ambiguity",
    ),
    (
        ["--show-scenario", "troop"],
        f"unknown scenario 'troop'; did you mean 'troops'? available: {SCENARIOS}",
    ),
    # No close match: the line the docs show, unchanged.
    (
        ["policy.troops=banana"],
        "policy.troops: invalid value 'banana'; allowed: none, noncombat, combat",
    ),
    (["scenario=nope"], f"unknown scenario 'nope'; available: {SCENARIOS}"),
    (["policy.xyz=1"], f"unknown key 'policy.xyz'; allowed keys here: {POLICY_KEYS}"),
]


@pytest.mark.parametrize(("arguments", "message"), NEAR_MISSES, ids=lambda a: str(a))
def test_a_near_miss_is_answered_with_the_closest_name(arguments, message, monkeypatch, capsys):
    assert refusal(arguments, monkeypatch, capsys) == f"escalation: error: {message}"


def test_the_api_suggests_the_same_names():
    with pytest.raises(ConfigError) as error:
        escalation.simulate("instructor", replicates=5)
    assert str(error.value) == (
        f"unknown scenario 'instructor'; did you mean 'instructors'? available: {SCENARIOS}"
    )
    with pytest.raises(ConfigError) as error:
        escalation.simulate("status_quo", replicates=5, troops="combt")
    assert str(error.value) == (
        "policy.troops: invalid value 'combt'; did you mean 'combat'? allowed: none, noncombat, "
        "combat"
    )
    with pytest.raises(ConfigError) as error:
        escalation.simulate("status_quo", replicates=5, **{"policy.trops": "none"})
    assert str(error.value) == (
        f"unknown key 'policy.trops'; did you mean 'policy.troops'? allowed keys here: "
        f"{POLICY_KEYS}"
    )


@pytest.mark.parametrize(
    ("value", "choices", "prefix", "said"),
    [
        ("combt", ["none", "noncombat", "combat"], "", "did you mean 'combat'? "),
        ("trops", ["troops", "timing"], "policy.", "did you mean 'policy.troops'? "),
        ("banana", ["none", "noncombat", "combat"], "", ""),
        ("", ["none"], "", ""),
    ],
)
def test_did_you_mean_names_the_closest_choice_only(value, choices, prefix, said):
    assert did_you_mean(value, choices, prefix) == said


# -- booleans --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "shown"), [("2", "2"), ("1", "1"), ("0", "0"), ("yes", "'yes'"), ("on", "'on'")]
)
def test_a_boolean_takes_only_true_or_false(given, shown, monkeypatch, capsys):
    line = refusal([f"policy.advanced_weapons={given}"], monkeypatch, capsys)
    assert line == (
        f"escalation: error: policy.advanced_weapons: invalid value {shown}; allowed: true, false"
    )

"""Configuration tests: schema validation through ``load_settings``/``settings_from_dictconfig``,
and the rule that every doctrine number and uncertainty range cites its source.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from escalation.config.scenarios import load_settings
from escalation.config.schema import (
    ConfigError,
    Instructors,
    Posture,
    Range,
    Settings,
    Uncertainties,
    lever_names,
    uncertainty_names,
)
from escalation.config.validation import allowed_keys, settings_from_dictconfig
from escalation.ladder import RUNGS

CONF = Path(__file__).resolve().parents[2] / "conf"


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    """The composed status_quo config as a plain dict, as Hydra hands it to the entry point."""
    return OmegaConf.to_container(
        OmegaConf.structured(load_settings("status_quo", **{"sim.parameters": "point"})),
        enum_to_str=True,
    )


def with_value(config: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``config`` with ``path`` (dotted) set to ``value``."""
    config = copy.deepcopy(config)
    *parents, last = path.split(".")
    node = config
    for part in parents:
        node = node[part]
    node[last] = value
    return config


def without(config: dict[str, Any], path: str) -> dict[str, Any]:
    config = copy.deepcopy(config)
    *parents, last = path.split(".")
    node = config
    for part in parents:
        node = node[part]
    del node[last]
    return config


def test_round_trip_gives_the_same_settings(base):
    settings = settings_from_dictconfig(base)
    assert isinstance(settings, Settings)
    assert settings == load_settings("status_quo", **{"sim.parameters": "point"})
    assert settings.policy.instructors is Instructors.outside
    assert settings.policy.posture is Posture.ambiguity
    assert isinstance(settings.uncertainty.follow_through, Range)


def test_dictconfig_input_is_accepted(base):
    assert settings_from_dictconfig(OmegaConf.create(base)) == settings_from_dictconfig(base)


def test_every_uncertainty_is_a_range_with_low_at_most_high():
    settings = load_settings("status_quo")
    assert uncertainty_names() == [f.name for f in dataclasses.fields(Uncertainties)]
    for name in uncertainty_names():
        bounds = getattr(settings.uncertainty, name)
        assert bounds.low <= bounds.high
    assert lever_names() == ["instructors", "troops", "deep_strikes", "posture"]


# -- unknown keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("banana", "scenario, policy, sim, uncertainty, doctrine, prior, sweep, plots, seed"),
        ("policy.banana", "instructors, troops, deep_strikes, posture, aid, advanced_weapons"),
        ("doctrine.russia.hunger", "rationality"),
        ("doctrine.ukraine.effects.tanks", "deep_strikes_authorized"),
        ("sim.speed", "replicates, months"),
    ],
)
def test_unknown_key_is_named_with_its_allowed_siblings(base, path, allowed):
    with pytest.raises(ConfigError) as caught:
        settings_from_dictconfig(with_value(base, path, 1))
    message = str(caught.value)
    assert f"unknown key '{path}'" in message
    assert allowed in message
    assert "\n" not in message


def test_allowed_keys_lists_siblings():
    assert allowed_keys("policy.timing.tanks") == [
        "aid",
        "advanced_weapons",
        "training",
        "instructors",
        "deep_strikes",
        "troops",
    ]
    assert allowed_keys("uncertainty.nonsense") == uncertainty_names()


# -- wrong types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("sim.months", "many", r"sim\.months: .*'many'"),
        ("seed", "abc", r"seed: .*'abc'"),
        ("policy.aid", "maybe", r"policy\.aid: .*'maybe'"),
        (
            "policy.posture",
            "loud",
            r"policy\.posture: invalid value 'loud'; allowed: red_lines, ambiguity",
        ),
        (
            "doctrine.nato.members.us.caution",
            "high",
            r"doctrine\.nato\.members\.us\.caution: .*'high'",
        ),
    ],
)
def test_wrong_type_names_the_key(base, path, value, expected):
    with pytest.raises(ConfigError, match=expected):
        settings_from_dictconfig(with_value(base, path, value))


def test_missing_value_names_the_key(base):
    with pytest.raises(ConfigError, match=r"doctrine\.nato\.article5_answer"):
        settings_from_dictconfig(without(base, "doctrine.nato.article5_answer"))
    with pytest.raises(ConfigError, match=r"uncertainty\.nato_cohesion\.high"):
        settings_from_dictconfig(with_value(base, "uncertainty.nato_cohesion", {"low": 0.5}))


# -- ranges ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "doctrine.nato.members.germany.caution",
            1.5,
            "doctrine.nato.members.germany.caution=1.5 is out of range: must be between 0 and 1",
        ),
        (
            "doctrine.russia.stimuli.memory",
            -0.1,
            "doctrine.russia.stimuli.memory=-0.1 is out of range",
        ),
        (
            "doctrine.ukraine.effects.aid",
            -0.1,
            "doctrine.ukraine.effects.aid=-0.1 is out of range: must be >= 0",
        ),
        ("doctrine.ukraine.position_start", 120.0, "between 0 and 100"),
        ("doctrine.russia.involvement.troops_combat", 13.0, "between 0 and 12"),
        (
            "doctrine.russia.response_months",
            0,
            "doctrine.russia.response_months=0 is out of range: must be >= 1",
        ),
        ("sim.replicates", 0, "sim.replicates=0 is out of range: must be >= 1"),
        ("sim.months", -1, "sim.months=-1 is out of range: must be between 1 and 600"),
        (
            "sim.narrative_replicate",
            1000,
            "sim.narrative_replicate=1000 must be below sim.replicates=1000",
        ),
        ("sim.start", "2024-13", "sim.start='2024-13' must be a month like '2024-10'"),
        ("sim.start", "October", "sim.start='October'"),
        (
            "policy.timing.troops",
            {"month": 0, "position_below": None},
            "policy.timing.troops.month=0 is out of range: must be >= 1",
        ),
        (
            "policy.timing.instructors",
            {"month": 1, "position_below": 150.0},
            "policy.timing.instructors.position_below=150 is out of range: "
            "must be between 0 and 100",
        ),
    ],
)
def test_out_of_range_value_names_the_key_and_what_is_allowed(base, path, value, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)):
        settings_from_dictconfig(with_value(base, path, value))


@pytest.mark.parametrize(
    "name",
    [
        "follow_through",
        "western_resolve",
        "ambiguity_aversion",
        "ambiguity_alarm",
        "nuclear_use_in_conflict",
    ],
)
@pytest.mark.parametrize("value", [-0.1, 1.5])
def test_probability_outside_0_1_is_rejected(name, value):
    with pytest.raises(ConfigError, match=rf"uncertainty\.{name}\.low={value:g} .*between 0 and 1"):
        load_settings("status_quo", **{name: value})


def test_the_permission_multiplier_may_exceed_one_but_not_its_bound():
    """``nato_cohesion`` multiplies the record's permission hazards (model v3): 0 to 10."""
    assert load_settings("status_quo", nato_cohesion=2.5).uncertainty.nato_cohesion.low == 2.5
    with pytest.raises(ConfigError, match=r"uncertainty\.nato_cohesion\.low=11 .*between 0 and 10"):
        load_settings("status_quo", nato_cohesion=11)


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_probability_bounds_themselves_are_allowed(value):
    settings = load_settings("status_quo", follow_through=value)
    assert settings.uncertainty.follow_through.low == value


def test_inverted_range_is_rejected(base):
    config = with_value(base, "uncertainty.follow_through", {"low": 0.9, "high": 0.1})
    with pytest.raises(
        ConfigError, match=r"uncertainty\.follow_through: low=0\.9 is above high=0\.1"
    ):
        settings_from_dictconfig(config)


def test_range_end_outside_bounds_is_rejected(base):
    config = with_value(base, "uncertainty.red_line_threshold", {"low": 5.0, "high": 13.0})
    with pytest.raises(
        ConfigError, match=r"uncertainty\.red_line_threshold\.high=13 .*between 0 and 12"
    ):
        settings_from_dictconfig(config)


def test_errors_are_one_line(base):
    bad = [
        with_value(base, "policy.troops", "banana"),
        with_value(base, "sim.months", "many"),
        with_value(base, "policy.banana", 1),
        with_value(base, "uncertainty.follow_through", {"low": 2.0, "high": 2.0}),
    ]
    for config in bad:
        with pytest.raises(ConfigError) as caught:
            settings_from_dictconfig(config)
        assert len(str(caught.value).splitlines()) == 1


# -- every number cites its source -----------------------------------------------------------------

# A key line holding a value: `key: value  # comment`; a key line opening a block has no value.
KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_]\w*):(?P<rest>.*)$")
SOURCE_MARKERS = (
    "article",
    "assumption",
    "source:",
    "North Atlantic Treaty",
    "NATO Brussels Summit",
    "McKelvey",
    "ISW",
)
LADDER_RUNG = re.compile(r'ladder rung "([^"]+)"')


def valued_key_lines(path: Path) -> list[tuple[int, str, str, str]]:
    """(line number, key, value, comment) of every key line of ``path`` that holds a value."""
    lines = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = KEY_LINE.match(line)
        if not match:
            continue
        value, _, comment = match["rest"].partition("#")
        if value.strip():
            lines.append((number, match["key"], value.strip(), comment.strip()))
    return lines


def cites_a_source(comment: str) -> bool:
    lowered = comment.lower()
    if any(marker.lower() in lowered for marker in SOURCE_MARKERS):
        return True
    # A rung of the escalation ladder, which quotes its own source (escalation.ladder.RUNGS).
    labels = {info.label for info in RUNGS.values()}
    rungs = LADDER_RUNG.findall(comment)
    return bool(rungs) and all(rung in labels for rung in rungs)


@pytest.mark.parametrize("relative", ["doctrine/default.yaml", "uncertainty/default.yaml"])
def test_every_value_line_cites_article_source_or_assumption(relative):
    path = CONF / relative
    lines = valued_key_lines(path)
    assert len(lines) >= 9
    uncited = [
        f"{relative}:{number}: {key}: {value}  # {comment}"
        for number, key, value, comment in lines
        if not cites_a_source(comment)
    ]
    assert uncited == []


def test_value_lines_are_detected():
    """The textual parser sees every doctrine number (guards the citation test above)."""
    keys = {key for _, key, _, _ in valued_key_lines(CONF / "doctrine" / "default.yaml")}
    assert {
        "position_start",
        "position_noise",
        "us",
        "germany",
        "article5_answer",
        "clash_escalation",
        "troops_combat",
        "strikes_on_nato",
        "rationality",
        "response_months",
    } <= keys
    uncertainties = {
        key for _, key, _, _ in valued_key_lines(CONF / "uncertainty" / "default.yaml")
    }
    assert uncertainties == set(uncertainty_names())


@pytest.mark.parametrize(
    ("comment", "cited"),
    [
        ("assumption", True),
        ('article: "boots on the ground"', True),
        ("source: ISW", True),
        ('ladder rung "Military aid"', True),
        ('ladder rung "Tea party"', False),
        ("sd of the monthly change", False),
        ("", False),
    ],
)
def test_citation_check_can_fail(comment, cited):
    assert cites_a_source(comment) is cited


def test_nato_needs_france_among_its_members(base):
    members = {k: v for k, v in base["doctrine"]["nato"]["members"].items() if k != "france"}
    with pytest.raises(ConfigError, match=r"doctrine\.nato\.members must include 'france'"):
        settings_from_dictconfig(with_value(base, "doctrine.nato.members", members))


def test_strike_shares_cannot_add_up_to_more_than_one(base):
    config = with_value(base, "doctrine.nato.members.poland.strike_share", 0.9)
    with pytest.raises(
        ConfigError, match=r"strike_share values add up to 1\.85; must be at most 1"
    ):
        settings_from_dictconfig(config)


def test_new_weapon_months_start_at_one(base):
    config = with_value(base, "policy.new_weapons", [3, 0])
    with pytest.raises(ConfigError, match=r"policy\.new_weapons=0 is out of range: must be >= 1"):
        settings_from_dictconfig(config)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("policy.troops", "combat"),
        ("uncertainty.red_line_threshold", 6.5),
        ("uncertainty.red_line_threshold.high", 9.0),
        ("sim.months", 24),
        ("seed", 3),
    ],
)
def test_validating_only_the_changed_section_gives_the_full_validations_settings(base, path, value):
    """A batched sweep point re-validates only the sections its overrides touch."""
    from escalation.config.validation import settings_with_sections

    full = settings_from_dictconfig(base)
    changed = with_value(base, path, value)
    cheap = settings_with_sections(full, changed, {path.split(".")[0]})
    assert cheap == settings_from_dictconfig(changed)
    assert cheap != full


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("policy.troops", "many", r"policy\.troops: invalid value 'many'"),
        ("sim.replicates", 0, r"sim\.replicates"),
        ("seed", "x", r"seed"),
    ],
)
def test_validating_only_the_changed_section_reports_errors_as_the_full_one(
    base, path, value, expected
):
    from escalation.config.validation import settings_with_sections

    full = settings_from_dictconfig(base)
    with pytest.raises(ConfigError, match=expected):
        settings_with_sections(full, with_value(base, path, value), {path.split(".")[0]})

"""API misuse raises ``ConfigError`` (a ``ValueError``) or ``ValueError`` with one clear line."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import escalation
from escalation.config.scenarios import load_settings
from escalation.config.schema import ConfigError
from escalation.model import EscalationModel

DESIGN_HELP = (
    ": give a DataFrame or a list of dicts, one per design point, e.g. "
    "[{'troops': 'none'}, {'troops': 'combat'}]"
)
RNG_HELP = (
    ": give None (fresh entropy), a seed (a whole number >= 0 or a list of them), or a numpy "
    "Generator, SeedSequence or BitGenerator"
)


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ([1, 2], f"design=[1, 2]{DESIGN_HELP}"),
        ("troops", f"design='troops'{DESIGN_HELP}"),
        (["troops"], f"design=['troops']{DESIGN_HELP}"),
        ({"troops": "none"}, f"design={{'troops': 'none'}}{DESIGN_HELP}"),
        ([{"troops": "none"}, 5], f"design=[{{'troops': 'none'}}, 5]{DESIGN_HELP}"),
        (None, f"design=None{DESIGN_HELP}"),
        ("x" * 10_000, f"design='xxxxxxxxxxxx...xxxxxxxxxxxxx'{DESIGN_HELP}"),
        ([], "the design has no rows: give at least one design point"),
        (pd.DataFrame(), "the design has no rows: give at least one design point"),
        (
            pd.DataFrame(columns=["troops"]),
            "the design has no rows: give at least one design point",
        ),
    ],
    ids=[
        "ints",
        "string",
        "strings",
        "dict",
        "one-not-a-dict",
        "none",
        "long",
        "empty",
        "empty-frame",
        "no-rows",
    ],
)
def test_simulate_many_refuses_a_design_that_is_not_a_table_of_points(design, message):
    with pytest.raises(ConfigError) as caught:
        escalation.simulate_many(design, replicates=2)
    assert _one_line(caught) == message


@pytest.mark.parametrize("replicates", [True, 0, 2.0, "2", None])
def test_simulate_many_refuses_replicates_that_are_not_a_whole_number(replicates):
    with pytest.raises(ConfigError) as caught:
        escalation.simulate_many([{"troops": "none"}], replicates=replicates)
    assert _one_line(caught) == f"replicates={replicates!r}: give a whole number >= 1"


def test_simulate_many_checks_the_whole_table_before_the_first_point_runs(monkeypatch):
    ran = []
    monkeypatch.setattr(EscalationModel, "run", lambda model: ran.append(model))
    design = pd.DataFrame({"troops": ["none"] + ["combat"] * 10**6})  # a table of 10**9 rows
    with pytest.raises(ConfigError) as caught:
        escalation.simulate_many(design, replicates=1000)
    assert re.fullmatch(
        r"the design's 1,000,001 points x 1,000 replicates \(1,000,001,000 rows\) need about "
        r"[\d,.]+ GiB of memory, more than the [\d,.]+ GiB available; run fewer points or "
        r"replicates per call",
        str(caught.value),
    )
    assert ran == []
    with pytest.raises(ConfigError, match=r"^sim\.replicates=1,000,000,000 x sim\.months=36 "):
        escalation.simulate_many([{"troops": "none"}], replicates=10**9)  # one point too large
    assert ran == []


def test_a_design_given_as_a_generator_of_dicts_still_runs():
    rows = ({"troops": troops} for troops in ("none", "combat"))
    table = escalation.simulate_many(rows, replicates=2, months=2, seed=1)
    assert table["troops"].tolist() == ["none", "none", "combat", "combat"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"timing": "2025-03"}, "timing='2025-03': give a dict, e.g. timing={'troops': '2025-03'}"),
        (
            {"doctrine": [1]},
            "doctrine=[1]: give a dict, e.g. doctrine={'russia.rationality': 2.0}",
        ),
        ({"config_dir": 5}, "config_dir=5: give a folder's path"),
        ({"months": 601}, "sim.months=601 is out of range: must be between 1 and 600"),
        ({"months": 10**6}, "sim.months=1000000 is out of range: must be between 1 and 600"),
    ],
)
def test_simulate_refuses_arguments_of_the_wrong_kind(arguments, message):
    with pytest.raises(ConfigError) as caught:
        escalation.simulate(replicates=2, **arguments)
    assert _one_line(caught) == message


@pytest.fixture(scope="module")
def settings():
    return load_settings("status_quo", replicates=3, months=2, seed=1)


@pytest.mark.parametrize(
    ("rng", "shown"),
    [("x", "'x'"), (1.5, "1.5"), (-1, "-1"), ([1, -2], "[1, -2]"), (object, "<class 'object'>")],
)
def test_a_model_refuses_an_rng_numpy_cannot_seed_from(settings, rng, shown):
    with pytest.raises(ConfigError) as caught:
        EscalationModel(settings, rng=rng)
    assert _one_line(caught) == f"rng={shown}{RNG_HELP}"
    with pytest.raises(ConfigError, match=f"^rng={shown.replace('[', '.').replace(']', '.')}"):
        escalation.ScenarioModel(rng=rng)


@pytest.mark.parametrize(
    "rng", [None, 7, [1, 2], np.random.default_rng(3), np.random.SeedSequence(4)]
)
def test_a_model_takes_what_numpy_seeds_from(settings, rng):
    assert EscalationModel(settings, rng=rng).run().month == 2


@pytest.mark.parametrize(
    ("uncertainties", "message"),
    [
        (
            {"follow_through": np.ones((3, 2))},
            "uncertainties['follow_through'] has shape (3, 2); give one value per replicate, "
            "shape (3,)",
        ),
        (
            {"follow_through": [0.5, 0.5]},
            "uncertainties['follow_through'] has shape (2,); give one value per replicate, "
            "shape (3,)",
        ),
        (
            {"follow_through": 0.5},
            "uncertainties['follow_through'] has shape (); give one value per replicate, "
            "shape (3,)",
        ),
        (
            {"follow_through": "abc"},
            "uncertainties['follow_through']: give numbers, one per replicate (3)",
        ),
        (
            [0.5, 0.5, 0.5],
            "uncertainties=[0.5, 0.5, 0.5]: give a mapping of parameter names to arrays of 3 "
            "values",
        ),
    ],
    ids=["2-d", "too-short", "scalar", "strings", "not-a-mapping"],
)
def test_a_model_refuses_uncertainties_of_the_wrong_shape(settings, uncertainties, message):
    with pytest.raises(ConfigError) as caught:
        EscalationModel(settings, uncertainties=uncertainties)
    assert _one_line(caught) == message


def test_stepping_a_finished_model_is_a_value_error(settings):
    model = EscalationModel(settings).run()
    with pytest.raises(ValueError) as caught:
        model.step()
    assert _one_line(caught) == (
        "the run is over: all 2 months are simulated; build a new model to run again"
    )
    assert model.month == 2

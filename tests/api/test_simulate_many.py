"""Design tables in one call (``simulate_many``) and EMA Workbench's batch evaluator."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import escalation
from escalation.config.schema import ConfigError, lever_names, uncertainty_names
from escalation.ladder import Rung

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "experiments"))

DESIGN = [
    {"troops": "combat", "posture": "red_lines", "follow_through": 0.9},
    {"troops": "none", "posture": "ambiguity", "follow_through": 0.1, "red_line_threshold": 6.0},
    {"troops": "combat", "posture": "red_lines", "follow_through": 0.3},
]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return escalation.simulate_many(DESIGN, replicates=25, months=12, seed=4)


def test_one_row_per_point_and_replicate_with_point_columns_first(table):
    assert len(table) == 75
    assert list(table.columns[:6]) == [
        "point",
        "troops",
        "posture",
        "follow_through",
        "red_line_threshold",
        "replicate",
    ]
    assert table["point"].tolist() == [0] * 25 + [1] * 25 + [2] * 25
    assert table["replicate"].tolist() == list(range(25)) * 3
    assert table.groupby("point")["follow_through"].unique().map(list).tolist() == [
        [0.9],
        [0.1],
        [0.3],
    ]


def test_a_value_a_point_leaves_out_is_drawn_within_its_range(table):
    """Fixed where the point gives it; elsewhere one value per draw (posterior particles, drawn
    with replacement, may repeat)."""
    unique = table.groupby("point")["red_line_threshold"].nunique()
    assert unique[1] == 1
    assert unique[0] > 12 and unique[2] > 12
    sampled = table.loc[table["point"] != 1, "red_line_threshold"]
    assert sampled.between(4.5, 10.0).all()


def test_same_design_and_seed_give_identical_rows(table):
    again = escalation.simulate_many(DESIGN, replicates=25, months=12, seed=4)
    pd.testing.assert_frame_equal(table, again)
    other = escalation.simulate_many(DESIGN, replicates=25, months=12, seed=5)
    assert not other["western_resolve"].equals(table["western_resolve"])


def test_points_are_independent_unless_they_share_random_numbers(table):
    first, third = (table[table["point"] == point] for point in (0, 2))
    assert not np.array_equal(first["western_resolve"], third["western_resolve"])
    shared = escalation.simulate_many(
        DESIGN, replicates=25, months=12, seed=4, common_random_numbers=True
    )
    first, third = (shared[shared["point"] == point] for point in (0, 2))
    assert np.array_equal(first["western_resolve"], third["western_resolve"])
    # with common random numbers a point alone gives the rows it gives in the design
    alone = escalation.simulate_many(
        DESIGN[2:], replicates=25, months=12, seed=4, common_random_numbers=True
    )
    columns = [name for name in alone.columns if name != "point"]
    mine = third.reset_index(drop=True)
    pd.testing.assert_frame_equal(alone[columns], mine[columns], check_dtype=False)


def test_with_common_random_numbers_a_point_is_the_run_of_simulate():
    design = [{"troops": "combat", "posture": "red_lines"}, {"instructors": "inside"}]
    table = escalation.simulate_many(
        design, replicates=30, months=10, seed=9, common_random_numbers=True
    )
    for point, levers in enumerate(design):
        single = escalation.simulate(replicates=30, months=10, seed=9, **levers)
        rows = table[table["point"] == point].reset_index(drop=True)
        pd.testing.assert_frame_equal(rows[single.columns], single)


def test_with_common_random_numbers_the_batches_do_not_change_the_rows(monkeypatch):
    from escalation.run import worlds

    whole = escalation.simulate_many(
        DESIGN, replicates=25, months=12, seed=4, common_random_numbers=True
    )
    monkeypatch.setattr(worlds, "WORLD_BATCH", 25 * 12)  # one point per model
    again = escalation.simulate_many(
        DESIGN, replicates=25, months=12, seed=4, common_random_numbers=True
    )
    pd.testing.assert_frame_equal(again, whole)


def test_batches_of_at_most_a_chunk_of_replicates_give_the_same_rows_on_any_workers(
    monkeypatch,
):
    from escalation.run import parallel

    monkeypatch.setattr(parallel, "CHUNK", 50)  # two points of 25 replicates per batch
    one = escalation.simulate_many(DESIGN * 2, replicates=25, months=12, seed=4, workers=1)
    two = escalation.simulate_many(DESIGN * 2, replicates=25, months=12, seed=4, workers=2)
    pd.testing.assert_frame_equal(one, two)
    # batch c draws from stream c: points 0-1 are one batch, points 2-3 the next; the first
    # batch is the first two points run alone (a batch of its own, stream 0)
    alone = escalation.simulate_many(DESIGN[:2], replicates=25, months=12, seed=4, workers=1)
    pd.testing.assert_frame_equal(one[one["point"] < 2], alone)
    second = one[one["point"].isin([2, 3])]
    assert not np.array_equal(second["western_resolve"], alone["western_resolve"])


@pytest.mark.parametrize("workers", [-1, 1.5, "2", True])
def test_workers_must_be_a_count(workers):
    with pytest.raises(
        ConfigError, match=r"workers=.*: give a whole number >= 0 \(0: every core\)"
    ):
        escalation.simulate_many(DESIGN, replicates=2, months=2, workers=workers)


def test_outcome_columns_are_those_of_simulate(table):
    single = escalation.simulate(replicates=2, months=12, seed=1)
    assert set(single.columns) - {"replicate"} <= set(table.columns)
    assert table["max_rung"].between(0, max(Rung)).all()


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ([{"troop": "none"}], "unknown design column 'troop'; allowed: instructors, troops"),
        (
            [{"follow_through": 0.5}, {"follow_through": 1.5}],
            "design row 1: uncertainty.follow_through.low=1.5 is out of range: must be "
            "between 0 and 1",
        ),
        ([{"troops": "some"}], "design row 0: policy.troops: invalid value 'some'; allowed:"),
        (
            [{"troops": "none"}, {"troops": "combats"}],
            "design row 1: policy.troops: invalid value 'combats'; did you mean 'combat'? ",
        ),
    ],
)
def test_bad_design_is_refused_in_one_line(design, message):
    with pytest.raises(ConfigError) as error:
        escalation.simulate_many(design, replicates=2, months=2)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_batch_evaluator_reports_each_experiment_from_simulate_many():
    pytest.importorskip("ema_workbench")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import Sample, perform_experiments

    from ema_workbench_example import POLICIES, ema_model

    from escalation.analysis.ema import BatchEvaluator

    model = ema_model(replicates=10, months=6, seed=3)
    policies = [Sample(name, **levers) for name, levers in list(POLICIES.items())[:2]]
    with BatchEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(
            model,
            scenarios=4,
            policies=policies,
            evaluator=evaluator,
            uncertainty_sampling_kwargs={"rng": 2},
        )
    assert len(experiments) == 8
    names = [*uncertainty_names(), *lever_names()]
    design = experiments[names].to_dict("records")
    expected = escalation.simulate_many(design, replicates=10, months=6, seed=3, parameters="point")
    means = expected.groupby("point")["direct_conflict"].mean().to_numpy()
    np.testing.assert_allclose(outcomes["direct_conflict"], means)

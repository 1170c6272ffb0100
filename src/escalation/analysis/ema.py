"""EMA Workbench evaluates its experiments through ``escalation.simulate_many``, in batches.

EMA Workbench's ``perform_experiments`` hands an evaluator every experiment (a scenario of
uncertainty values crossed with a policy of lever values); its ``SequentialEvaluator`` runs the
model's function once per experiment. ``BatchEvaluator`` instead turns all experiments into one
design table and runs them with ``escalation.simulate_many``, so many experiments are one
batched model run (one world each), then reports each experiment's outcomes (the mean over its
replicates) to EMA Workbench as its own evaluators do. Needs the analysis extra.

Example:
    >>> from ema_workbench import perform_experiments
    >>> from escalation.analysis.ema import BatchEvaluator
    >>> with BatchEvaluator(model) as evaluator:  # doctest: +SKIP
    ...     experiments, outcomes = perform_experiments(model, 100, evaluator=evaluator)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # optional parallel back-ends EMA Workbench lacks here
    from ema_workbench.em_framework.evaluators import BaseEvaluator

from escalation.api import simulate_many
from escalation.config.schema import ConfigError, lever_names, uncertainty_names

#: Model constants the evaluator reads when it is not given them.
CONSTANTS = ("replicates", "months", "seed", "scenario", "parameters")


class BatchEvaluator(BaseEvaluator):
    """Evaluate all experiments of ``perform_experiments`` in one ``simulate_many`` call.

    Each experiment's levers and uncertainties (those with escalation's names) become a design
    point; its outcomes are the means over its replicates of the model's outcomes, which must
    be columns of ``escalation.simulate`` (``direct_conflict``, ``ukraine_position_final``, ...).

    Args:
        msis: The EMA Workbench model (or a list with one model).
        replicates: Replicates per experiment; default the model's constant ``replicates``.
        months: Months to simulate; default the model's constant ``months`` or the scenario's.
        seed: Seed; default the model's constant ``seed``.
        scenario: Scenario the points start from; default the constant ``scenario`` or
            ``status_quo``.
        parameters: ``sim.parameters`` of the runs (``posterior``, ``prior``, ``point``);
            default the constant ``parameters`` or the config's.
    """

    def __init__(
        self,
        msis: Any,
        *,
        replicates: int | None = None,
        months: int | None = None,
        seed: int | None = None,
        scenario: str | None = None,
        parameters: str | None = None,
    ):
        super().__init__(msis)
        if len(self._msis) != 1:
            raise ConfigError(f"BatchEvaluator evaluates one model; got {len(self._msis)}")
        model = self._msis[0]
        constants = {constant.name: constant.value for constant in model.constants}
        given = {
            "replicates": replicates,
            "months": months,
            "seed": seed,
            "scenario": scenario,
            "parameters": parameters,
        }
        self.options = {
            name: given[name] if given[name] is not None else constants.get(name)
            for name in CONSTANTS
        }
        if self.options["replicates"] is None:
            raise ConfigError("BatchEvaluator needs replicates (or a model constant replicates)")
        self.outcomes = [outcome.name for outcome in model.outcomes]

    def initialize(self) -> None:
        """Nothing to start: the experiments run in this process."""

    def finalize(self) -> None:
        """Nothing to stop."""

    def evaluate_experiments(
        self, experiments: Iterable[Any], callback: Callable[..., Any], **kwargs: Any
    ) -> None:
        """Run every experiment through ``simulate_many``; report each one's outcomes.

        Args:
            experiments: EMA Workbench ``Experiment`` objects (a scenario and a policy).
            callback: EMA Workbench's callback, called once per experiment with its outcomes.
            **kwargs: Ignored (EMA Workbench passes none here).
        """
        experiments = list(experiments)
        if not experiments:
            return
        names = set(lever_names()) | set(uncertainty_names())
        design = [
            {
                name: value
                for part in (experiment.scenario, experiment.policy)
                for name, value in part.items()
                if name in names
            }
            for experiment in experiments
        ]
        scenario = self.options["scenario"] or "status_quo"
        table = simulate_many(
            design,
            replicates=int(self.options["replicates"]),
            months=self.options["months"],
            seed=self.options["seed"],
            scenario=scenario,
            parameters=self.options["parameters"],
        )
        missing = [name for name in self.outcomes if name not in table.columns]
        if missing:
            raise ConfigError(f"outcome {missing[0]!r} is not a column of escalation.simulate")
        means = table.groupby("point", sort=True)[self.outcomes].mean()
        for experiment, (_, row) in zip(experiments, means.iterrows(), strict=True):
            callback(experiment, {name: float(row[name]) for name in self.outcomes})

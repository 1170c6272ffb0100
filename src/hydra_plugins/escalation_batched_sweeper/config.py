"""The batched sweeper's config, registered as ``hydra/sweeper=batched`` by Hydra's plugin scan."""

from dataclasses import dataclass
from typing import Optional

from hydra.core.config_store import ConfigStore


@dataclass
class BatchedSweeperConf:
    """Settings of ``hydra/sweeper=batched``.

    Attributes:
        params: Swept keys and their values, as for Hydra's basic sweeper (presets set them).
        chunk: Points per launched job; None: all points split evenly, one chunk per worker of
            the launcher (``n_jobs`` of joblib, ``array_parallelism`` of submitit; else one).
        points: Set by the sweeper on each launched job: the ``[start, stop)`` point numbers
            that job runs. Not for the command line.
    """

    _target_: str = "hydra_plugins.escalation_batched_sweeper.batched_sweeper.BatchedSweeper"
    params: Optional[dict[str, str]] = None  # noqa: UP045 - OmegaConf needs Optional
    chunk: Optional[int] = None  # noqa: UP045
    points: Optional[list[int]] = None  # noqa: UP045


ConfigStore.instance().store(
    group="hydra/sweeper", name="batched", node=BatchedSweeperConf, provider="escalation"
)

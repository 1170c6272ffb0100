"""The model: the ladder's actors as Mesa agents and the Mesa model that advances them.

Modules, in the order of the pipeline: ``measures`` (Western measures and what they add up to),
``actions`` (Russia's options), ``beliefs`` (Russia's set of priors about Western resolve),
``ukraine``, ``west`` (NATO's member governments, France among them), ``russia`` and ``world``
(the ``EscalationModel``).
"""

from typing import Any

from escalation.ladder import OUTCOME_COLUMNS

__all__ = ["OUTCOME_COLUMNS", "EscalationModel"]


def __getattr__(name: str) -> Any:
    """``EscalationModel``, imported when first asked for.

    The counting rules (``measures``, ``replay``) can then be read without importing Mesa.
    """
    if name == "EscalationModel":
        from escalation.model.world import EscalationModel

        return EscalationModel
    raise AttributeError(f"module 'escalation.model' has no attribute {name!r}")

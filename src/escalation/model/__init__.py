"""The model: the ladder's actors as Mesa agents and the Mesa model that advances them.

Modules, in the order of the pipeline: ``measures`` (Western measures and what they add up to),
``actions`` (Russia's options), ``beliefs`` (Russia's set of priors about Western resolve),
``ukraine``, ``west`` (NATO's member governments, France among them), ``russia`` and ``world``
(the ``EscalationModel``).
"""

from escalation.ladder import OUTCOME_COLUMNS
from escalation.model.world import EscalationModel

__all__ = ["OUTCOME_COLUMNS", "EscalationModel"]

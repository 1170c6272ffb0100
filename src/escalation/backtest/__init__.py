"""The back-test: replay a dated timeline of Western and Ukrainian events, score Russia's moves.

Pipeline: ``timeline`` (the sourced events, validated) → ``forecast`` (the replay and the
monthly probabilities) → ``scores`` (Brier and log scores against the base rate) → ``figures``
and ``report``; ``cli`` is the ``escalation-backtest`` command. ``refit`` (with ``baselines``) is
its ``--refit``: a calibration before each rolling origin, the posterior-predictive forecast of
the months from it, real-time baselines and block-bootstrap skill intervals. See
docs/BACKTEST.md.
"""

from escalation.timeline import (
    SCORED_EVENTS,
    Timeline,
    TimelineError,
    load_timeline,
    shipped_timeline_path,
)

__all__ = ["SCORED_EVENTS", "Timeline", "TimelineError", "load_timeline", "shipped_timeline_path"]

"""escalation: an agent-based escalation scenario simulator (France, NATO, Russia, Ukraine).

A teaching and exploration model, not a forecast. ``simulate`` runs a scenario from Python,
``simulate_many`` a table of design points; the
``escalation`` command runs it through Hydra and writes tables, figures and a narrative.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("escalation")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"


def simulate(*args, **kwargs):  # noqa: D103 - documented in escalation.api.simulate
    from escalation.api import simulate as _simulate

    return _simulate(*args, **kwargs)


def simulate_many(*args, **kwargs):  # noqa: D103 - documented in escalation.api.simulate_many
    from escalation.api import simulate_many as _simulate_many

    return _simulate_many(*args, **kwargs)


simulate.__doc__ = "Run a scenario; see ``escalation.api.simulate``."
simulate_many.__doc__ = (
    "Run a table of design points in batches; see ``escalation.api.simulate_many``."
)
__all__ = ["__version__", "simulate", "simulate_many"]

"""escalation: an agent-based escalation scenario simulator (France, NATO, Russia, Ukraine).

A teaching and exploration model, not a forecast. ``simulate`` runs a scenario from Python; the
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


simulate.__doc__ = "Run a scenario; see ``escalation.api.simulate``."
__all__ = ["__version__", "simulate"]

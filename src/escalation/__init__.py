"""escalation: an agent-based escalation scenario simulator (France, NATO, Russia, Ukraine).

A teaching and exploration model, not a forecast. ``simulate`` runs a scenario from Python,
``simulate_many`` a table of design points, ``ScenarioModel`` is the Mesa model composed from a
scenario (for ``mesa.batch_run``); the
``escalation`` command runs it through Hydra and writes tables, figures and a narrative.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("escalation")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["ScenarioModel", "__version__", "simulate", "simulate_many"]
#: Names imported on first use (``escalation.api`` imports pandas and Hydra's config tools),
#: so that ``import escalation`` stays cheap; ``help()`` and tab completion show the real ones.
_LAZY = {name: "escalation.api" for name in ("ScenarioModel", "simulate", "simulate_many")}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'escalation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""The config a run folder recorded: read back into ``Settings`` for ``escalation-report``.

Hydra saves each run's composed config as ``.hydra/config.yaml`` and its own settings as
``.hydra/hydra.yaml``; rebuilding a run's summary and figures starts from them. This is the one
place that turns a stored config into ``Settings``, as ``load_settings`` is for a scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from escalation.config.changes import run_changes
from escalation.config.dates import resolve_timing_months
from escalation.config.scenarios import compose_scenario
from escalation.config.schema import ConfigError, Settings
from escalation.config.validation import settings_from_dictconfig
from escalation.errors import first_line


def stored_settings(path: Path) -> tuple[Settings, dict[str, Any]]:
    """A run's recorded config (``.hydra/config.yaml``): its settings and its resolved container.

    Raises:
        ConfigError: The file is malformed or its settings are invalid (one line).
    """
    try:
        cfg = OmegaConf.load(path)
        settings = settings_from_dictconfig(cfg)
        config = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    except Exception as error:  # OmegaConf and YAML raise many kinds; all mean malformed
        raise ConfigError(first_line(error)) from None
    assert isinstance(config, dict)
    return settings, config


def recorded_changes(hydra_yaml: Path, config: dict[str, Any]) -> list[str] | None:
    """A run's changes from its scenario, found again from Hydra's record of the run.

    The scenario is composed with the config groups and the config folder that Hydra recorded
    (``.hydra/hydra.yaml``); None when that fails (a folder from elsewhere).
    """
    try:
        runtime = OmegaConf.load(hydra_yaml).hydra.runtime
        sources = [s for s in runtime.config_sources if s.provider == "command-line"]
        config_dir = sources[0].path if sources else None
        choices = {g: runtime.choices[g] for g in ("policy", "doctrine", "uncertainty")}
        base = compose_scenario(runtime.choices.scenario, config_dir, choices)
        plain = OmegaConf.to_container(base, resolve=True, enum_to_str=True)
        return run_changes(resolve_timing_months(plain), resolve_timing_months(dict(config)))
    except Exception:  # a folder from elsewhere: its changes are not shown, nothing else lost
        return None

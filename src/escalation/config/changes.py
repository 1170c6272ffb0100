"""What a run changed from its scenario: the keys that differ, in words and in a folder name.

``escalation scenario=instructors policy.posture=red_lines`` runs the ``instructors`` scenario
with one change, ``posture=red_lines``; the summary header, the figure titles, the narrative's
heading and the run folder (``outputs/instructors-posture=red_lines/<date_time>/``) show it. The
changes come from comparing the run's config with the scenario's own (composed with the same
config groups), not from the command line: an override that repeats the scenario's value is no
change, and a timing month (``month`` or ``until``) shows as a date whether it was given as
``6`` or ``2025-03``. A timing of a measure the run's policy never takes (``troops`` with
``policy.troops=none``) changes nothing, and is no change either (``unused_timings`` warns).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from escalation.config.dates import absent_measures, month_date

#: Keys that change what is written or drawn, or how fast, not the run's numbers: never listed
#: as changes.
OUTPUT_KEYS = (
    "sim.figures",
    "sim.trajectories",
    "sim.narrative_replicate",
    "sim.workers",
    "plots.",
    "sweep.",
)
#: Changes the summary header and the titles already show in their own words.
SHOWN_ELSEWHERE = ("seed", "sim.replicates", "sim.months")
#: Prefixes left out of a change's short name (``policy.posture`` → ``posture``).
SHORT_PREFIXES = ("policy.",)
#: Longest folder name suffix for the changes; longer lists end with ``+N`` (N more).
FOLDER_SUFFIX_LENGTH = 80
#: Last parts of keys that mean little alone (``troops.month``, ``follow_through.low``).
PAIRED_PARTS = ("month", "position_below", "until", "low", "high")
UNSAFE = re.compile(r"[^A-Za-z0-9._=+-]")


def run_changes(base: Mapping[str, Any], run: Mapping[str, Any]) -> list[str]:
    """The changes from the scenario's config ``base`` to the run's config ``run``.

    Args:
        base: The scenario's resolved config (plain dicts), without Hydra's node.
        run: The run's resolved config, likewise; timing months as numbers.

    Returns:
        ``"short.key=value"`` strings in config order, e.g. ``["posture=red_lines",
        "timing.troops.month=2025-03", "seed=7"]``.
    """
    start = str(_get(run, "sim.start") or "2024-10")
    before = dict(_leaves(base))
    unused = () if _get(run, "scenario.timeline") else absent_measures(_get(run, "policy") or {})
    changes = []
    for key, value in _leaves(run):
        if key.startswith("hydra.") or key.startswith("scenario.") or _output_key(key):
            continue
        if key.split(".")[:2] == ["policy", "timing"] and key.split(".")[2] in unused:
            continue
        if key in before and before[key] == value:
            continue
        shown = value
        if re.fullmatch(r"policy\.timing\.\w+\.(month|until)", key) and isinstance(value, int):
            shown = month_date(value, start)
        changes.append(f"{_short(key)}={_text(shown)}")
    return changes


def retimed(base: Mapping[str, Any], run: Mapping[str, Any]) -> set[str]:
    """The measures whose ``policy.timing`` block differs from ``base`` to ``run``.

    Both are plain configs with timing months as numbers.
    """
    before, after = _get(base, "policy.timing") or {}, _get(run, "policy.timing") or {}
    return {measure for measure, block in after.items() if before.get(measure) != block}


def displayed(changes: Sequence[str] | None) -> list[str]:
    """The changes to show beside a title: those the title's details do not already give."""
    return [c for c in changes or () if c.partition("=")[0] not in SHOWN_ELSEWHERE]


def changes_words(changes: Sequence[str] | None) -> str:
    """The changes for a title or a heading, e.g. ``"posture=red_lines, troops=combat"``."""
    return ", ".join(displayed(changes))


def folder_name(scenario: str, changes: Sequence[str] | None) -> str:
    """A run folder's name: the scenario, then its changes, filesystem-safe and short.

    Examples: ``instructors``, ``instructors-posture=red_lines``,
    ``troops-troops.month=2025-03,seed=7`` (each key by its last part, two for a timing or a
    range); changes beyond ``FOLDER_SUFFIX_LENGTH`` characters are
    counted (``...,+3``).
    """
    name = UNSAFE.sub("_", scenario).strip(".") or "run"
    if not changes:
        return name
    parts: list[str] = []
    for index, change in enumerate(changes):
        key, _, value = change.partition("=")
        part = UNSAFE.sub("_", f"{_folder_key(key)}={value}")
        if len(",".join([*parts, part])) > FOLDER_SUFFIX_LENGTH:
            parts.append(f"+{len(changes) - index}")
            break
        parts.append(part)
    return f"{name}-{','.join(parts)}"


def _folder_key(key: str) -> str:
    """A change's key in a folder name: its last part, or last two for a timing or a range."""
    parts = key.split(".")
    if len(parts) > 1 and parts[-1] in PAIRED_PARTS:
        return ".".join(parts[-2:])
    return parts[-1]


def _output_key(key: str) -> bool:
    return any(key == prefix or key.startswith(prefix) for prefix in OUTPUT_KEYS)


def _short(key: str) -> str:
    for prefix in SHORT_PREFIXES:
        if key.startswith(prefix):
            return key.removeprefix(prefix)
    return key


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ",".join(_text(item) for item in value) + "]"
    return str(value)


def _leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every (dotted key, value) leaf of a nested dict; lists are leaves."""
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{path}.")
        else:
            yield path, value


def _get(node: Mapping[str, Any], key: str) -> Any:
    for part in key.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node

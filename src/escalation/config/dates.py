"""Months as dates: ``policy.timing.<measure>.month`` given as ``YYYY-MM`` instead of a number.

Month 1 is ``sim.start`` (``2024-10`` by default), so ``2025-03`` is month 6. A date is turned
into its month number before the run, and the config a run records holds the number: the date
form and the number form are the same run, byte for byte.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from typing import Any

from escalation.config.schema import PolicyTiming
from escalation.timeline import is_month, month_index, month_name

#: The measures with a ``policy.timing`` block, as ``Settings.policy.timing`` names them.
MEASURES = tuple(f.name for f in dataclasses.fields(PolicyTiming))


#: Each measure's lever, the lever's values under which the measure never happens, and what
#: that means: a timing given for such a measure has no effect.
ABSENT_UNDER = {
    "aid": ("aid", (False,), "no military aid is given"),
    "advanced_weapons": ("advanced_weapons", (False,), "no advanced weapons are sent"),
    "training": ("instructors", ("none",), "no Ukrainian soldiers are trained"),
    "instructors": ("instructors", ("none", "outside"), "no instructors go into Ukraine"),
    "deep_strikes": ("deep_strikes", ("prohibited",), "no strikes into Russia are permitted"),
    "troops": ("troops", ("none",), "no troops are sent"),
}


class DateError(ValueError):
    """A month is neither a month number nor a ``YYYY-MM`` date; the message says which key."""


def month_number(value: Any, start: str, key: str) -> Any:
    """The month number of ``value``: a number as it is, a ``YYYY-MM`` date counted from ``start``.

    Args:
        value: A month number (1 = ``start``) or a ``"YYYY-MM"`` date.
        start: ``sim.start``, ``"YYYY-MM"``.
        key: The config key, for the error message.

    Returns:
        The month number (may be below 1 for a date before ``start``: validation refuses it,
        naming the key); values that are neither are returned unchanged for validation to refuse.

    Raises:
        DateError: ``value`` looks like a date but is not a valid month (``2025-13``).
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.isdigit():
        return int(text)
    if not is_month(text):
        if re.fullmatch(r"\d{4}-\d{1,2}", text):
            raise DateError(f"{key}={value!r}: not a month; give YYYY-MM, e.g. 2025-03")
        return value
    if not is_month(str(start)):
        return value  # sim.start is refused by validation, naming it
    number = month_index(text) - month_index(str(start)) + 1
    if number < 1:
        raise DateError(f"{key}={text}: before sim.start ({start}), the first simulated month")
    return number


def month_date(number: int, start: str) -> str:
    """The ``YYYY-MM`` date of month ``number`` (1 = ``start``)."""
    return month_name(month_index(start) + number - 1)


def resolve_timing_months(config: dict[str, Any]) -> dict[str, Any]:
    """Turn the dates of ``policy.timing.<measure>.month`` into month numbers, in place.

    Args:
        config: A plain config (nested dicts) with ``sim.start`` and ``policy.timing``.

    Returns:
        The same dict, for chaining.

    Raises:
        DateError: A month looks like a date but is not one.
    """
    start = str((config.get("sim") or {}).get("start", "2024-10"))
    timing = (config.get("policy") or {}).get("timing") or {}
    if not isinstance(timing, dict):
        return config
    for measure, block in timing.items():
        for part in ("month", "until"):
            if isinstance(block, dict) and block.get(part) is not None:
                key = f"policy.timing.{measure}.{part}"
                block[part] = month_number(block[part], start, key)
    return config


def never_in_force(settings: Any) -> list[str]:
    """Warnings for measures the policy allows but times after the last simulated month.

    Args:
        settings: Validated ``Settings``.

    Returns:
        One sentence per such measure, e.g. ``policy.timing.troops.month=2028-01 (month 40) is
        after the last simulated month (2027-09, month 36): troops will never come into force``.
    """
    policy, sim = settings.policy, settings.sim
    if settings.scenario.timeline:
        return []  # a replayed timeline decides the measures
    absent = absent_measures(vars(policy))
    warnings = []
    for measure in MEASURES:
        month = getattr(policy.timing, measure).month
        if measure not in absent and month > sim.months:
            warnings.append(
                f"policy.timing.{measure}.month={month_date(month, sim.start)} (month {month}) "
                f"is after the last simulated month ({month_date(sim.months, sim.start)}, month "
                f"{sim.months}): {measure.replace('_', ' ')} will never come into force"
            )
    return warnings


def absent_measures(policy: Mapping[str, Any]) -> dict[str, str]:
    """The measures a policy's levers never allow, each with why (``ABSENT_UNDER``).

    Args:
        policy: Lever values by name, plain (``"none"``, ``False``) or the schema's enums; a
            lever not given allows its measure.

    Returns:
        E.g. ``{"troops": "policy.troops=none: no troops are sent"}``.
    """
    absent = {}
    for measure, (lever, values, meaning) in ABSENT_UNDER.items():
        value = getattr(policy.get(lever), "value", policy.get(lever))  # an enum: its name
        if lever in policy and type(value) is type(values[0]) and value in values:
            shown = str(value).lower() if isinstance(value, bool) else value
            absent[measure] = f"policy.{lever}={shown}: {meaning}"
    return absent


def unused_timings(settings: Any, measures: Collection[str]) -> list[str]:
    """Warnings for timings the user gave for measures the policy never takes.

    Args:
        settings: Validated ``Settings``.
        measures: The measures whose timing the user set (on the command line, in a file of
            their own or through the API); the scenario's own timings are not warned about.

    Returns:
        One sentence per such measure, e.g. ``policy.timing.troops is set but policy.troops=none:
        no troops are sent, the timing has no effect``.
    """
    if settings.scenario.timeline:
        return []  # a replayed timeline decides the measures
    absent = absent_measures(vars(settings.policy))
    return [
        f"policy.timing.{measure} is set but {absent[measure]}, the timing has no effect"
        for measure in MEASURES
        if measure in measures and measure in absent
    ]

"""What the dashboard computes: runs, paired differences and a contrasting pair of stories.

Nothing here imports Streamlit. A run is composed with ``escalation.config.scenarios.load_settings``
(the packaged Hydra configs), adjusted with the dashboard's timing months and assumption ranges,
validated, and run by ``EscalationModel``. Two policies compared on one seed share their common
random numbers: the model draws every replicate's assumptions first, so replicate ``i`` of both
runs holds the same assumptions and their outcomes can be differenced replicate by replicate.
"""

from __future__ import annotations

import calendar
import dataclasses
import functools
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from escalation.config.comments import yaml_comments
from escalation.config.dates import month_date
from escalation.config.scenarios import load_settings
from escalation.config.schema import (
    LEVERS,
    ConfigError,
    Range,
    Settings,
    Uncertainties,
    uncertainty_names,
)
from escalation.config.validation import validate
from escalation.model import EscalationModel
from escalation.run.narrative.story import tell
from escalation.run.results import PROBABILITIES, mean_interval, summarize
from escalation.run.runs import run_meta

TIMED_MEASURES: tuple[str, ...] = ("instructors", "deep_strikes", "troops")
"""Measures whose month of adoption the dashboard sets (``policy.timing.<measure>.month``)."""

DIFFERENCE_MEANS: dict[str, str] = {
    "max_rung": "Highest rung reached (mean)",
    "ukraine_position_final": "Ukraine's final position (% of territory, mean)",
}
"""Numeric outcomes whose paired differences the dashboard shows, with their labels."""

CONTRASTS: tuple[tuple[str, str], ...] = (
    ("nuclear_use", "nuclear use"),
    ("direct_conflict", "NATO-Russia war"),
    ("lethal_engagement", "a lethal NATO-Russia engagement"),
    ("contained_clash", "a NATO-Russia military clash"),
    ("russian_retaliation", "Russian retaliation for a crossed red line"),
    ("nuclear_signalling", "Russian nuclear signalling"),
)
"""Yes/no outcomes that make two stories differ, most important first."""

MAX_REPLICATES = 20_000
"""Most replicates the dashboard runs at once (a class waits a few seconds at most)."""

MAX_MONTHS = 240
"""Most months the dashboard simulates (its slider's end)."""

MAX_REPLICATE_MONTHS = MAX_REPLICATES * 36
"""Most replicates x months of one policy's run: the most replicates over the default 36 months,
or 3,000 over 240 (about 0.3 GB while it runs, 0.12 GB in the page's cache)."""


@dataclass
class Run:
    """One policy run: its settings, tables and summary (``escalation.run.results.summarize``)."""

    settings: Settings
    outcomes: pd.DataFrame
    trajectories: pd.DataFrame
    summary: dict[str, Any]


def assumption_bounds(name: str, low: float, high: float) -> tuple[float, float]:
    """The interval a dashboard slider for an assumption spans: the range and two widths each side.

    A slider over the whole schema interval puts a narrow range's two handles on top of each
    other (``collapse_gain`` 2-6 of 0-100 is 10 px of a sidebar), so they cannot be dragged
    apart; two widths either side, cut to the schema's bounds, the range fills at least a fifth.

    Args:
        name: An uncertainty name (``escalation.config.schema.uncertainty_names``).
        low: Its configured lower end.
        high: Its configured upper end.

    Returns:
        ``low`` and ``high`` moved out by twice their distance (by 1 if they are equal), within
        the schema's bounds.
    """
    field = next(f for f in dataclasses.fields(Uncertainties) if f.name == name)
    lower, upper = field.metadata.get("bounds", (None, None))
    width = 2.0 * ((high - low) or 0.5)
    start, end = round(low - width, 10), round(high + width, 10)  # no float noise in the labels
    return (
        start if lower is None else max(float(lower), start),
        end if upper is None else min(float(upper), end),
    )


@functools.cache
def assumption_help() -> dict[str, str]:
    """Each assumption's meaning, as its slider's help.

    It is the comment of the assumption's line in ``conf/uncertainty/default.yaml`` up to its
    first ``;``: what it is and its unit, before the sources.
    """
    path = resources.files("escalation.conf").joinpath("uncertainty/default.yaml")
    return {
        name: comment.split(";")[0].strip()
        for name, (comment, _, flow) in yaml_comments(path).items()
        if flow and comment
    }


def timing_label(number: int, start: str) -> str:
    """A timing control's choice as a date, with its month number: ``Jan 2025 (month 4)``."""
    year, month = month_date(number, start).split("-")
    return f"{calendar.month_abbr[int(month)]} {year} (month {number})"


def slider_format(*values: float) -> str:
    """The printf format of a slider: enough decimals to show every one of ``values`` exactly.

    Streamlit shows two decimals by default, so a bound of 0.005 reads "0.01"; this gives the
    fewest decimals (2 to 6) that print each value as it is.
    """
    for decimals in range(2, 7):
        if all(abs(round(value, decimals) - value) < 1e-12 for value in values):
            return f"%.{decimals}f"
    return "%.6f"


def build_settings(
    scenario: str,
    *,
    levers: Mapping[str, str] | None = None,
    timing: Mapping[str, int] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    replicates: int | None = None,
    months: int | None = None,
    seed: int | None = None,
) -> Settings:
    """Validated settings for the dashboard's controls.

    Args:
        scenario: A packaged scenario name.
        levers: Lever values by name (``instructors``, ``troops``, ``deep_strikes``,
            ``posture``).
        timing: Month of adoption by measure (see ``TIMED_MEASURES``).
        ranges: ``(low, high)`` by uncertainty name: the range sampled per replicate.
        replicates: Monte Carlo replicates (at most ``MAX_REPLICATES``).
        months: Months to simulate.
        seed: Seed of the model's generator.

    Raises:
        ConfigError: Any invalid value; the one-line message names the key and what is allowed.
    """
    if replicates is not None and replicates > MAX_REPLICATES:
        raise ConfigError(
            f"sim.replicates={replicates} is too many for the dashboard: at most {MAX_REPLICATES}"
        )
    settings = load_settings(
        scenario, replicates=replicates, months=months, seed=seed, **dict(levers or {})
    )
    check_size(settings.sim.replicates, settings.sim.months)
    for measure, month in (timing or {}).items():
        if measure not in TIMED_MEASURES:
            raise ConfigError(f"unknown timing {measure!r}; allowed: {', '.join(TIMED_MEASURES)}")
        getattr(settings.policy.timing, measure).month = int(month)
    for name, (low, high) in (ranges or {}).items():
        if not hasattr(settings.uncertainty, name):
            raise ConfigError(f"unknown assumption {name!r}")
        setattr(settings.uncertainty, name, Range(low=float(low), high=float(high)))
    return validate(settings)


def check_size(replicates: int, months: int, *, prefix: str = "sim.") -> None:
    """A run of the dashboard has at most ``MAX_MONTHS`` months and ``MAX_REPLICATE_MONTHS``.

    Args:
        replicates: The run's replicates.
        months: The run's months.
        prefix: Put before the names in the message (``sim.``; none for a link's parameters).

    Raises:
        ConfigError: Names both values and what is allowed.
    """
    if months > MAX_MONTHS:
        raise ConfigError(
            f"{prefix}months={months} is too many for the dashboard: at most {MAX_MONTHS}"
        )
    if replicates * months > MAX_REPLICATE_MONTHS:
        raise ConfigError(
            f"{prefix}replicates={replicates} x {prefix}months={months} is too large for the "
            "dashboard: "
            f"replicates x months must be at most {MAX_REPLICATE_MONTHS:,} (at most "
            f"{MAX_REPLICATE_MONTHS // months:,} replicates over {months} months)"
        )


def run(settings: Settings) -> Run:
    """Run the model on ``settings``; return its tables and summary."""
    model = EscalationModel(settings).run()
    outcomes = model.outcomes()
    config = {"policy": policy_config(settings)}
    return Run(
        settings, outcomes, model.trajectories(), summarize(outcomes, run_meta(settings, config))
    )


def policy_config(settings: Settings) -> dict[str, str]:
    """The four levers of ``settings`` as plain strings (``run_figure_data.policy_words``)."""
    policy = settings.policy
    return {
        "instructors": policy.instructors.value,
        "troops": policy.troops.value,
        "deep_strikes": policy.deep_strikes.value,
        "posture": policy.posture.value,
    }


def paired_differences(first: Run, second: Run) -> pd.DataFrame:
    """Replicate-by-replicate differences (second minus first) with both intervals.

    Both runs must share their replicates' assumptions (same seed and assumption ranges), so
    each replicate is a matched pair, with the same parameter draw under both policies. The
    95% interval is that of the mean paired difference (``mean_interval`` over the draws: the
    clustered Monte Carlo error), much narrower than the difference of two independent
    estimates; the parameter band is 5-95% of the difference across the parameter draws
    (``escalation.run.results.parameter_band`` of y_second - y_first).

    Args:
        first: The first policy's run.
        second: The second policy's run, on the same seed.

    Returns:
        One row per outcome (the probabilities of ``escalation.run.results.PROBABILITIES``, then
        ``DIFFERENCE_MEANS``) with columns ``outcome``, ``label``, ``first``, ``second``,
        ``difference``, ``low``, ``high`` (the 95% interval), ``band_low``, ``band_high``
        (the parameter band; NaN with fewer than two draws), probabilities as 0..1, and
        ``kind`` (``probability`` or ``mean``).

    Raises:
        ValueError: The runs do not share their replicates' assumptions.
    """
    check_common_numbers(first, second)
    rows = []
    a = first.outcomes.assign(red_line_crossed=first.outcomes["red_lines_crossed"] > 0)
    b = second.outcomes.assign(red_line_crossed=second.outcomes["red_lines_crossed"] > 0)
    columns = [(name, label, "probability") for name, label in PROBABILITIES.items()]
    columns += [(name, label, "mean") for name, label in DIFFERENCE_MEANS.items()]
    draw = a["draw"].to_numpy() if "draw" in a else None
    for name, label, kind in columns:
        x = a[name].to_numpy(dtype=float)
        y = b[name].to_numpy(dtype=float)
        interval = mean_interval(pd.Series(y - x), draw)
        rows.append(
            {
                "outcome": name,
                "label": label,
                "first": float(np.nanmean(x)),
                "second": float(np.nanmean(y)),
                "difference": interval["mean"],
                "low": interval["low"],
                "high": interval["high"],
                "band_low": np.nan if interval["band_low"] is None else interval["band_low"],
                "band_high": np.nan if interval["band_high"] is None else interval["band_high"],
                "kind": kind,
            }
        )
    return pd.DataFrame(rows)


def check_common_numbers(first: Run, second: Run) -> None:
    """Raise ValueError unless both runs drew the same assumptions and draw for each replicate."""
    names = [*uncertainty_names(), "draw"]
    if len(first.outcomes) != len(second.outcomes) or not np.array_equal(
        first.outcomes[names].to_numpy(), second.outcomes[names].to_numpy()
    ):
        raise ValueError(
            "the two runs do not share their replicates' assumptions: use the same seed, "
            "replicates and assumption ranges"
        )


@dataclass
class Contrast:
    """A replicate whose outcome differs between two policies, and how."""

    replicate: int
    outcome: str
    sentence: str


def contrasting_replicate(first: Run, second: Run, *, labels: tuple[str, str]) -> Contrast | None:
    """The first replicate whose most important outcome differs between two runs.

    Outcomes are tried in the order of ``CONTRASTS`` (nuclear use, NATO-Russia war, a lethal
    engagement, a clash, retaliation, nuclear signalling), then the highest rung reached.

    Args:
        first: The first policy's run.
        second: The second policy's run, on the same seed.
        labels: Names of the two policies, for the sentence.

    Returns:
        The replicate, the outcome that differs and a sentence saying how; None when every
        replicate ends alike.
    """
    check_common_numbers(first, second)
    a, b = first.outcomes, second.outcomes
    for column, words in CONTRASTS:
        differs = np.flatnonzero(a[column].to_numpy() != b[column].to_numpy())
        if differs.size:
            i = int(differs[0])
            happened = labels[0] if bool(a[column].iloc[i]) else labels[1]
            other = labels[1] if happened == labels[0] else labels[0]
            share = differs.size / len(a)
            return Contrast(
                int(a["replicate"].iloc[i]),
                column,
                f"Replicate {int(a['replicate'].iloc[i])}: {words} under {happened}, not under "
                f"{other} — the same assumptions, a different story ({share:.1%} of replicates "
                f"differ in {words}).",
            )
    differs = np.flatnonzero(a["max_rung"].to_numpy() != b["max_rung"].to_numpy())
    if differs.size:
        i = int(differs[0])
        replicate = int(a["replicate"].iloc[i])
        return Contrast(
            replicate,
            "max_rung",
            f"Replicate {replicate}: the highest rung is {int(a['max_rung'].iloc[i])} under "
            f"{labels[0]} and {int(b['max_rung'].iloc[i])} under {labels[1]}.",
        )
    return None


def story(run_: Run, replicate: int, *, note: str = "") -> str:
    """The Markdown narrative of one replicate of a run (``run.narrative.story.tell``).

    Its title is short ("The story — replicate N"): the page names the scenario and policy
    above the box, and a long title would fill the box's first screen at projector size.
    """
    trajectory = run_.trajectories[run_.trajectories["replicate"] == replicate]
    outcome = run_.outcomes[run_.outcomes["replicate"] == replicate]
    if trajectory.empty or outcome.empty:
        raise ConfigError(
            f"replicate {replicate} is not in this run (0 to {len(run_.outcomes) - 1})"
        )
    return tell(
        trajectory,
        outcome.iloc[0],
        title="The story",  # the page names the scenario and policy above the box
        posture=run_.settings.policy.posture.value,
        note=note,
    )


#: The dashboard's largest seed: a browser holds integers exactly only up to 2**53-1 (the
#: commands take seeds up to 2**63-1, ``escalation.config.limits.MAX_SEED``).
MAX_SEED = 2**53 - 1

QUERY_NUMBERS: dict[str, tuple[int, int]] = {
    "replicates": (1, MAX_REPLICATES),
    "months": (1, MAX_MONTHS),
    "seed": (0, MAX_SEED),
}
"""Whole-number settings a dashboard link may carry, with their allowed ranges."""

MODES = ("single", "compare")
"""Dashboard modes: one policy, or two policies side by side."""


def read_query(query: Mapping[str, str], scenarios: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Read a dashboard link's settings (``?scenario=troops&posture=red_lines&seed=7``).

    Args:
        query: The link's query parameters.
        scenarios: The scenario names available.

    Returns:
        The valid values by name, and one line per invalid or unknown parameter naming what is
        allowed (the dashboard shows them and uses its defaults instead). Numbers keep to the
        sliders' ranges (``QUERY_NUMBERS``), and replicates with months to
        ``MAX_REPLICATE_MONTHS`` (else the replicates are ignored); values are shortened in the
        messages.
    """
    values: dict[str, Any] = {}
    errors = []
    allowed_keys = ["mode", "scenario", *LEVERS, *QUERY_NUMBERS]
    for key, raw in query.items():
        text = str(raw).strip()
        shown = reprlib.repr(text)  # a long value is shortened in the message
        if key == "mode":
            allowed = list(MODES)
        elif key == "scenario":
            allowed = scenarios
        elif key in LEVERS:
            allowed = [member.value for member in LEVERS[key]]
        elif key in QUERY_NUMBERS:
            low, high = QUERY_NUMBERS[key]
            try:
                number = int(text)
            except ValueError:
                errors.append(f"{key}: {shown} is not a whole number; allowed: {low} to {high}")
                continue
            if not low <= number <= high:
                errors.append(f"{key}={number} is out of range: must be between {low} and {high}")
                continue
            values[key] = number
            continue
        else:
            errors.append(
                f"unknown parameter {reprlib.repr(key)}; allowed: {', '.join(allowed_keys)}"
            )
            continue
        if text not in allowed:
            errors.append(f"{key}: invalid value {shown}; allowed: {', '.join(allowed)}")
            continue
        values[key] = text
    if "replicates" in values and "months" in values:
        try:
            check_size(values["replicates"], values["months"], prefix="")
        except ConfigError as error:  # the link's months are kept, its replicates ignored
            del values["replicates"]
            errors.append(str(error))
    return values, errors


def view_query(chosen: Mapping[str, Any]) -> dict[str, str]:
    """The link of a view: the settings ``read_query`` reads back, in its order.

    The page writes them into its address whenever a control changes, so the address is a link
    that restores the view: mode, scenario, the four levers, replicates, months and seed. The
    second policy of compare mode, the timing and the assumption ranges are not in the link.

    Args:
        chosen: The controls' values, as the page reads them.
    """
    return {
        "mode": chosen["mode"],
        "scenario": chosen["scenario"],
        **{lever: str(chosen["levers"][lever]) for lever in LEVERS},
        **{key: str(int(chosen[key])) for key in QUERY_NUMBERS},
    }

"""The classroom dashboard: a Streamlit page over the model (started by ``escalation-dashboard``).

The sidebar holds the controls (scenario, the four levers, timing months, replicates, months,
seed and the ranges of the assumptions); the page shows the escalation ladder, outcome
probabilities with their 95% Monte Carlo intervals and parameter bands (the line under each
table says what they mean), Ukraine's position, the story of one replicate and the
pathways the model leaves out (``escalation.scope``). In compare
mode two policies run side by side on one seed (common random numbers), with their paired
differences and a pair of stories of the same replicate whose outcomes differ. A link can carry
settings (``?scenario=troops&posture=red_lines&seed=7``); a bad value is named in a message.
Everything is computed by ``escalation.classroom.session``; this module only lays it out.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from escalation.classroom import session
from escalation.classroom.figures import differences_figure
from escalation.classroom.intervals import (
    BAND_COLUMN,
    BAND_NOTE,
    INTERVAL_COLUMN,
    NO_BAND,
    band_span,
    intervals,
    span,
)
from escalation.config.scenarios import available_scenarios, load_settings
from escalation.config.schema import LEVERS, ConfigError
from escalation.figure_style import STYLES
from escalation.run.figure_data import POLICY_WORDS, policy_words, run_title
from escalation.run.figures import ladder_figure, outcomes_figure, position_figure
from escalation.run.narrative.story import pick_replicate
from escalation.run.results import DEFINITIONS
from escalation.scope import scope_markdown

TITLE = "escalation: the classroom"
FIGURE_DPI = 80  # resolution of the figures on the page (the browser scales them to the column)
# Streamlit shows every bare string of this script on the page: comments, not docstrings, here.


@st.cache_data(max_entries=32, show_spinner=False)
def _scenarios() -> dict[str, dict[str, Any]]:
    """Each scenario's title, description, levers, timing months and assumption ranges."""
    scenarios = {}
    for name in available_scenarios():
        settings = load_settings(name)
        scenarios[name] = {
            "title": settings.scenario.title,
            "description": settings.scenario.description,
            "levers": session.policy_config(settings),
            "timing": {
                measure: getattr(settings.policy.timing, measure).month
                for measure in session.TIMED_MEASURES
            },
            "ranges": {
                name: (value.low, value.high) for name, value in vars(settings.uncertainty).items()
            },
            "start": settings.sim.start,
            "months": settings.sim.months,
            "replicates": settings.sim.replicates,
            "seed": settings.seed,
        }
    return scenarios


#: The months a measure may come in, as the timing controls offer them (month 1 = sim.start).
TIMING_MONTHS = list(range(1, 241))

#: Runs kept in the page's cache: each holds up to ``session.MAX_REPLICATE_MONTHS``
#: replicate-months (about 0.12 GB), so the cache stays below about 1 GB.
RUN_CACHE_ENTRIES = 8
#: The probabilities shown as the run's headline numbers, before Ukraine's final position.
METRICS = ("lethal_engagement", "direct_conflict", "nuclear_use", "russian_retaliation")
#: The headline numbers' short labels, which fit a column at projector size (1280 x 720); the
#: full label and its definition are in each number's help.
SHORT_LABELS = {
    "lethal_engagement": "Lethal engagement",
    "direct_conflict": "NATO-Russia war",
    "nuclear_use": "Nuclear use",
    "russian_retaliation": "Retaliation",
}


@st.cache_data(max_entries=RUN_CACHE_ENTRIES, show_spinner=False)
def _run(
    scenario: str,
    levers: tuple[tuple[str, str], ...],
    timing: tuple[tuple[str, int], ...],
    ranges: tuple[tuple[str, tuple[float, float]], ...],
    replicates: int,
    months: int,
    seed: int,
) -> session.Run:
    settings = session.build_settings(
        scenario,
        levers=dict(levers),
        timing=dict(timing),
        ranges=dict(ranges),
        replicates=replicates,
        months=months,
        seed=seed,
    )
    return session.run(settings)


def _show(fig: Any) -> None:
    """Put a matplotlib figure on the page as a PNG and close it."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=FIGURE_DPI)
    finally:
        plt.close(fig)
    st.image(buffer.getvalue(), width="stretch")


def _controls(defaults: dict[str, Any], scenarios: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The sidebar: every control, keyed by scenario so that a new scenario resets them."""
    bar = st.sidebar
    names = list(scenarios)
    mode = bar.radio(
        "Mode",
        session.MODES,
        index=session.MODES.index(defaults.get("mode", "single")),
        format_func={"single": "One policy", "compare": "Compare two policies"}.get,
        key="mode",
    )
    scenario = bar.selectbox(
        "Scenario",
        names,
        index=names.index(defaults.get("scenario", "instructors")),
        format_func=lambda name: f"{name}: {scenarios[name]['title']}",
        key="scenario",
    )
    base = scenarios[scenario]
    bar.caption(base["description"])
    bar.subheader("Policy levers")
    levers = {}
    for lever, values in LEVERS.items():
        options = [member.value for member in values]
        value = defaults.get(lever, base["levers"][lever])
        levers[lever] = bar.selectbox(
            lever.replace("_", " "), options, index=options.index(value), key=f"{scenario}:{lever}"
        )
    bar.subheader("Run")
    replicates = bar.number_input(
        "Replicates",
        min_value=1,
        max_value=session.MAX_REPLICATES,
        value=int(defaults.get("replicates", base["replicates"])),
        step=100,
        key=f"{scenario}:replicates",
        help=f"Replicates x months at most {session.MAX_REPLICATE_MONTHS:,}",
    )
    bar.caption(
        f"At most {session.MAX_REPLICATES:,} replicates, and replicates x months at most "
        f"{session.MAX_REPLICATE_MONTHS:,}: a larger number is not taken."
    )
    months = bar.number_input(
        "Months",
        1,
        session.MAX_MONTHS,
        int(defaults.get("months", base["months"])),
        key=f"{scenario}:months",
    )
    seed = bar.number_input(
        "Seed", 0, session.MAX_SEED, int(defaults.get("seed", base["seed"])), key=f"{scenario}:seed"
    )
    style = bar.radio(
        "Figures",
        list(STYLES),
        format_func={"default": "Screen", "slides": "Slides: large type, for a projector"}.get,
        key="style",
        help="plots.style of the command line",
    )
    with bar.expander("Timing (when each measure comes, if the policy allows it)"):
        timing = {
            measure: st.selectbox(
                measure.replace("_", " "),
                TIMING_MONTHS,
                index=int(month) - 1,
                format_func=lambda number: session.timing_label(number, base["start"]),
                key=f"{scenario}:timing:{measure}",
            )
            for measure, month in base["timing"].items()
        }
    with bar.expander("Assumptions (range sampled per parameter draw)"):
        ranges = {}
        for name, (low, high) in base["ranges"].items():
            lower, upper = session.assumption_bounds(name, low, high)
            ranges[name] = tuple(
                st.slider(
                    name.replace("_", " "),
                    float(lower),
                    float(upper),
                    (float(low), float(high)),
                    format=session.slider_format(lower, upper, low, high),
                    help=session.assumption_help().get(name),
                    key=f"{scenario}:range:{name}",
                )
            )
    second = {}
    if mode == "compare":
        bar.subheader("Second policy")
        bar.caption("What changes in the second policy; the rest, seed included, is the same.")
        for lever, values in LEVERS.items():
            options = ["same", *(member.value for member in values)]
            index = 0
            if lever == "posture":
                flipped = "ambiguity" if levers["posture"] == "red_lines" else "red_lines"
                index = options.index(flipped)
            choice = bar.selectbox(
                f"{lever.replace('_', ' ')} (second)",
                options,
                index=index,
                key=f"{scenario}:second:{lever}",
            )
            if choice != "same":
                second[lever] = choice
    return {
        "mode": mode,
        "scenario": scenario,
        "levers": levers,
        "timing": timing,
        "ranges": ranges,
        "replicates": int(replicates),
        "months": int(months),
        "seed": int(seed),
        "style": style,
        "second": second,
    }


def _compute(chosen: dict[str, Any], levers: dict[str, str]) -> session.Run:
    return _run(
        chosen["scenario"],
        tuple(sorted(levers.items())),
        tuple(sorted(chosen["timing"].items())),
        tuple(sorted(chosen["ranges"].items())),
        chosen["replicates"],
        chosen["months"],
        chosen["seed"],
    )


def _timing_warnings(chosen: dict[str, Any]) -> None:
    for measure, month in chosen["timing"].items():
        if month > chosen["months"]:
            st.warning(
                f"policy.timing.{measure}.month={month} is after the run's {chosen['months']} "
                "months: that measure never comes."
            )


def _metrics(run: session.Run, per_row: int = len(METRICS) + 1) -> None:
    """The headline numbers, ``per_row`` to a row.

    Compare mode's half-width columns take two to a row, so that no label or value is cut at
    projector size (1280 x 720).
    """
    probabilities = run.summary["probabilities"]
    position = run.summary["means"]["ukraine_position_final"]
    cells = [
        (SHORT_LABELS[name], f"{probabilities[name]['p']:.1%}", probabilities[name], name)
        for name in METRICS
    ]
    cells.append(("Ukraine's position", f"{position['mean']:.1f}%", None, ""))
    for start in range(0, len(cells), per_row):
        row = cells[start : start + per_row]
        for column, (label, value, item, name) in zip(st.columns(per_row), row, strict=False):
            if item is None:
                column.metric(
                    label, value, help="Ukraine's final position: % of its territory held"
                )
            else:
                meaning = f"{item['label']}: {DEFINITIONS[name]}. {BAND_NOTE}"
                column.metric(label, value, help=meaning)
                column.caption(intervals(item))


def probability_table(run: session.Run) -> pd.DataFrame:
    """The run's outcome probabilities with both intervals, as text for the page."""
    rows = [
        {
            "Outcome": item["label"],
            "Probability": f"{item['p']:.1%}",
            INTERVAL_COLUMN: span(item["low"], item["high"]),
            BAND_COLUMN: band_span(item),
            "Replicates": f"{item['count']:,} of {run.summary['replicates']:,}",
        }
        for item in run.summary["probabilities"].values()
    ]
    return pd.DataFrame(rows)


#: The columns of the table of paired differences.
DIFFERENCE_COLUMNS = ("Outcome", "First", "Second", "Difference", INTERVAL_COLUMN, BAND_COLUMN)


def difference_table(differences: pd.DataFrame) -> pd.DataFrame:
    """Paired differences as text: probabilities in percentage points, means in their units.

    Each difference has its 95% interval and its parameter band (``session.paired_differences``).
    """
    rows = []
    for _, row in differences.iterrows():
        if row["kind"] == "probability":
            points = row[["difference", "low", "high", "band_low", "band_high"]] * 100
            values = [f"{row['first']:.1%}", f"{row['second']:.1%}"]
            values += [
                f"{points['difference']:+.1f} pp",
                _points(span(points["low"], points["high"], "{:+.1f}")),
                _points(span(points["band_low"], points["band_high"], "{:+.1f}")),
            ]
        else:
            values = [f"{row['first']:.2f}", f"{row['second']:.2f}"]
            values += [
                f"{row['difference']:+.2f}",
                span(row["low"], row["high"], "{:+.2f}"),
                span(row["band_low"], row["band_high"], "{:+.2f}"),
            ]
        rows.append(dict(zip(DIFFERENCE_COLUMNS, [row["label"], *values], strict=True)))
    return pd.DataFrame(rows)


def _points(text: str) -> str:
    """A span in percentage points: ``pp`` after it, unless there is no band."""
    return text if text == NO_BAND else f"{text} pp"


def _single(chosen: dict[str, Any], run: session.Run) -> None:
    st.subheader(f"{run.settings.scenario.title}")
    st.caption(
        f"{policy_words(run.summary['config']['policy'])} · {run.summary['replicates']:,} "
        f"replicates x {run.summary['months']} months · seed {run.summary['seed']}"
    )
    _metrics(run)
    left, right = st.columns(2)
    with left:
        _show(
            ladder_figure(
                run.trajectories,
                run_title(run.summary, "escalation ladder"),
                style=chosen["style"],
            )
        )
    with right:
        _show(outcomes_figure(run.summary, style=chosen["style"]))
        st.table(probability_table(run), hide_index=True)
        st.caption(BAND_NOTE)
    left, right = st.columns(2)
    with left:
        _show(
            position_figure(
                run.trajectories,
                run_title(run.summary, "Ukraine's battlefield position"),
                style=chosen["style"],
            )
        )
    with right:
        chosen_replicate, note = pick_replicate(run.outcomes, None)
        replicate = st.number_input(
            "Replicate to tell",
            0,
            len(run.outcomes) - 1,
            chosen_replicate,
            key="story_replicate",
        )
        if replicate != chosen_replicate:
            note = f"Replicate {replicate}, as chosen."
        with st.container(height=520):
            st.markdown(session.story(run, int(replicate), note=note))


def _labels(first: session.Run, second: session.Run) -> tuple[str, str]:
    a = session.policy_config(first.settings)
    b = session.policy_config(second.settings)
    changed = [lever for lever in a if a[lever] != b[lever]] or list(a)
    return tuple(  # type: ignore[return-value]
        ", ".join(POLICY_WORDS[lever][policy[lever]] for lever in changed) for policy in (a, b)
    )


def _compare(chosen: dict[str, Any], first: session.Run, second: session.Run) -> None:
    labels = _labels(first, second)
    st.subheader(f"{first.settings.scenario.title}: {labels[0]} versus {labels[1]}")
    st.caption(
        f"Both on seed {chosen['seed']}, {chosen['replicates']:,} replicates: replicate i "
        "has the same sampled assumptions under both policies (common random numbers)."
    )
    columns = st.columns(2)
    for column, run, label in zip(columns, (first, second), labels, strict=True):
        with column:
            st.markdown(
                f"**{label.capitalize()}** — {policy_words(run.summary['config']['policy'])}"
            )
            _metrics(run, per_row=2)
            _show(
                ladder_figure(
                    run.trajectories,
                    run_title(run.summary, "escalation ladder"),
                    style=chosen["style"],
                )
            )
    differences = session.paired_differences(first, second)
    st.subheader("Paired differences (second minus first), with both intervals")
    left, right = st.columns(2)
    with left:
        _show(differences_figure(differences, labels, style=chosen["style"]))
    with right:
        st.table(difference_table(differences), hide_index=True)
        st.caption(BAND_NOTE)
    contrast = session.contrasting_replicate(first, second, labels=labels)
    st.subheader("The same replicate, two stories")
    if contrast is None:
        st.info("Every replicate ends alike under both policies: no contrasting pair to tell.")
        return
    st.info(contrast.sentence)
    columns = st.columns(2)
    for column, run in zip(columns, (first, second), strict=True):
        with column, st.container(height=560):
            st.markdown(session.story(run, contrast.replicate, note=contrast.sentence))


def main() -> None:
    """Lay out the page: read the link, the controls, run, draw."""
    st.set_page_config(page_title=TITLE, layout="wide")
    st.title(TITLE)
    scenarios = _scenarios()
    defaults, errors = session.read_query(dict(st.query_params), list(scenarios))
    for error in errors:
        st.error(f"Ignored a setting of the link: {error}")
    chosen = _controls(defaults, scenarios)
    st.query_params.from_dict(session.view_query(chosen))  # the address is a link to this view
    _timing_warnings(chosen)
    started = time.perf_counter()
    try:
        first = _compute(chosen, chosen["levers"])
        second = None
        if chosen["mode"] == "compare":
            second = _compute(chosen, chosen["levers"] | chosen["second"])
    except ConfigError as error:
        st.error(str(error))
        st.stop()
        return
    if second is None:
        _single(chosen, first)
    else:
        _compare(chosen, first, second)
    st.markdown(scope_markdown(level=3))
    st.caption(
        f"Computed and drawn in {time.perf_counter() - started:.2f} s. A teaching and exploration "
        "model, not a forecast: every number is from the article, a cited source or a swept "
        "assumption (docs/MODEL.md)."
    )


main()

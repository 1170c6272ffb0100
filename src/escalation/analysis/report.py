"""The report of ``escalation-analyze`` in words: ``analysis.md``, policy by policy.

What drives the outcome, where it happens (the PRIM box in a sentence), Sobol indices when the
runs allow them, and the method; each job's assumption ranges when they differ between jobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from escalation import __version__
from escalation.analysis.analyse import (
    MASS_MIN,
    PEEL_ALPHA,
    SIGNIFICANCE,
    TREES,
    Analysis,
    Policy,
    PolicyResult,
    join_and,
    leaders,
    percent,
)
from escalation.analysis.figures import MAX_PANELS

# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _range(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.3g}–{bounds[1]:.3g}"


def report_markdown(analysis: Analysis, figures: Mapping[str, str] | None = None) -> str:
    """The analysis as a short Markdown report a student can read.

    Args:
        analysis: What ``analyse`` returned.
        figures: Relative paths of the figures drawn, by kind (``feature_scores``, ``sobol``, and
            ``prim:<job>`` for each policy's box figure), to link them.
    """
    figures = dict(figures or {})
    study, target = analysis.study, analysis.target
    results = analysis.results
    runs = _number_range([result.runs for result in results])
    what = (
        f"a sweep of {len(results)} policies, {runs} runs each"
        if study.kind == "sweep"
        else f"one run folder, {runs} runs"
    )
    scenario = f", scenario {study.scenario}" if study.scenario else ""
    lines = [
        f"# What drives {target.phrase}",
        "",
        f"Analysis of `{study.folder}` ({what}{scenario}) by `escalation-analyze` "
        f"(escalation {__version__}). A run is one Monte Carlo replicate: one draw of the "
        "uncertain assumptions and one history of the model. Everything below is a consequence "
        "of the model's assumptions (docs/MODEL.md), not a forecast.",
        "",
    ]
    if not target.yes_no:
        lines += [
            f"The outcome is numeric: a run counts as a case of {target.phrase} "
            f"(`--above`/`--below` choose the threshold). Feature scores explain "
            f"{target.outcome} itself.",
            "",
        ]
    lines += _assumption_lines([result.policy for result in results])
    lines.append("")
    lines += _overview(analysis, figures)
    for result in analysis.analysed:
        lines += _policy_section(analysis, result, figures)
    if analysis.skipped:
        lines += ["## Policies skipped", ""]
        lines += [f"- {result.policy.title}: {result.skipped}." for result in analysis.skipped]
        lines.append("")
    lines += _method(analysis)
    return "\n".join(lines).rstrip() + "\n"


def _assumption_lines(policies: Sequence[Policy]) -> list[str]:
    """Which assumptions were sampled and over which ranges: once, or per job when they differ.

    A sweep over an uncertainty bound (``uncertainty.red_line_threshold.high=6.5,9.0``) gives
    each job its own range; the report then states every job's ranges.
    """

    def ranges_of(policy: Policy) -> str:
        sampled = ", ".join(
            f"`{name}` ({_range(policy.ranges[name])})" for name in policy.assumptions
        )
        fixed = ", ".join(f"`{name}` = {value:g}" for name, value in policy.fixed.items())
        return sampled + (f"; fixed: {fixed}" if fixed else "")

    first = policies[0]
    if all(policy.ranges == first.ranges for policy in policies):
        ranges = ", ".join(f"`{name}` ({_range(first.ranges[name])})" for name in first.assumptions)
        lines = [f"Assumptions sampled in every run: {ranges}."]
        if first.fixed:
            fixed = ", ".join(f"`{name}` = {value:g}" for name, value in first.fixed.items())
            lines += [f"Fixed: {fixed}."]
        return lines
    lines = ["The assumptions' ranges differ between the jobs:", ""]
    lines += [f"- {policy.title}: {ranges_of(policy)}." for policy in policies]
    return lines


def _number_range(values: Sequence[int]) -> str:
    low, high = min(values), max(values)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def _overview(analysis: Analysis, figures: Mapping[str, str]) -> list[str]:
    analysed = analysis.analysed
    if not analysed:
        return [
            "## Overview",
            "",
            f"No policy could be analysed: {analysis.target.phrase} never or always happens.",
            "",
        ]
    table = leaders(analysis)
    lines = ["## Overview", ""]
    with_scores = [r for r in analysed if r.scores is not None]
    if with_scores and not table.empty:
        named = []
        for name, row in table.head(3).iterrows():
            first, top = int(row["first"]), int(row["top"])
            policies = len(with_scores)
            if first:
                named.append(f"**{name}** (first in {first} of {policies} policies)")
            elif top:
                named.append(f"**{name}** (in the top two in {top} of {policies})")
        if named:
            lines += [f"The assumptions that matter most for {analysis.target.phrase}: "
                      f"{join_and(named)}.", ""]  # fmt: skip
    if len(analysed) > 1 and with_scores:
        lines += [
            "Feature score of each assumption by policy (mean over resamples; the two highest "
            "of each policy in bold):",
            "",
        ]
        lines += _overview_table(with_scores, list(table.index))
        if len(with_scores) <= MAX_PANELS:
            keys = "; ".join(f"job {r.policy.job}: {r.policy.label}" for r in with_scores)
            lines += [f"Policies: {keys}.", ""]
    if "feature_scores" in figures:
        lines += [f"![Feature scores]({figures['feature_scores']})", ""]
    return lines


def _overview_table(results: Sequence[PolicyResult], order: Sequence[str]) -> list[str]:
    """The overview's table of mean scores, the two highest of each policy in bold.

    Assumptions go down the rows; with more than ``MAX_PANELS`` policies, policies do. An
    assumption fixed in a policy's runs but sampled in another's (a sweep over its bounds,
    ``uncertainty.red_line_threshold.high=6.5,9.0`` with the range starting at 6.5) has no score
    in that policy: its cell says "fixed".
    """

    def cell(result: PolicyResult, name: str) -> str:
        if name not in result.scores.index:
            return "fixed"  # fixed in this policy's runs, sampled in another's: not scored
        score = result.scores.loc[name]
        text = f"{score['mean']:.2f}"
        return f"**{text}**" if score["rank"] <= 2 else text

    if len(results) > MAX_PANELS:
        rows = [
            [f"{r.policy.job}", r.policy.label, *[cell(r, name) for name in order]] for r in results
        ]
        header = ["job", "policy", *[f"`{name}`" for name in order]]
    else:
        rows = [[f"`{name}`", *[cell(r, name) for r in results]] for name in order]
        header = ["assumption", *[f"job {r.policy.job}" for r in results]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _policy_section(
    analysis: Analysis, result: PolicyResult, figures: Mapping[str, str]
) -> list[str]:
    target = analysis.target
    policy = result.policy
    heading = policy.title if analysis.study.kind == "sweep" else policy.label
    lines = [
        f"## {heading[0].upper()}{heading[1:]}",
        "",
        f"{target.phrase[0].upper()}{target.phrase[1:]} happens in {percent(result.rate)} of "
        f"runs ({result.cases:,} of {result.runs:,}).",
        "",
    ]
    if result.scores is not None:
        top = list(result.scores.index[:2])
        lines += [
            f"**Which assumptions matter.** {join_and([f'`{n}`' for n in top])} "
            f"{'rank' if len(top) > 1 else 'ranks'} first "
            f"(extra-trees feature scores, mean over {analysis.resamples} bootstrap resamples; "
            "scores sum to 1):",
            "",
            "| rank | assumption | score | 95% of resamples |",
            "|---|---|---|---|",
        ]
        for name, row in result.scores.iterrows():
            lines.append(
                f"| {int(row['rank'])} | `{name}` | {row['mean']:.3f} | "
                f"{row['low']:.3f}–{row['high']:.3f} |"
            )
        lines.append("")
    for number, box in enumerate(result.boxes, start=1):
        title = "Where it happens." if number == 1 else f"Box {number}, among the other runs."
        lines += [f"**{title}** {box.sentence(target, result.rate)}", ""]
        lines += [
            "| assumption | full range | box | quasi-p |",
            "|---|---|---|---|",
        ]
        for name, limits in box.limits.items():
            p = ", ".join(f"{v:.2g}" for v in box.quasi_p[name] if v is not None)
            lines.append(f"| `{name}` | {_range(policy.ranges[name])} | {_range(limits)} | {p} |")
        lines.append("")
    key = f"prim:{policy.job}"
    if key in figures:
        lines += [f"![PRIM box and peeling trajectory]({figures[key]})", ""]
    if result.sobol is not None:
        table = result.sobol.sort_values("ST", ascending=False)
        lines += [
            "**Sobol indices** (SALib; 95% confidence intervals): the first-order index is the "
            "share of the outcome's variance an assumption explains alone; the total index adds "
            "its interactions, and here also the model's own randomness (see Method).",
            "",
            "| assumption | first order S1 | total ST |",
            "|---|---|---|",
        ]
        for name, row in table.iterrows():
            lines.append(
                f"| `{name}` | {row['S1']:.3f} ± {row['S1_conf']:.3f} | "
                f"{row['ST']:.3f} ± {row['ST_conf']:.3f} |"
            )
        lines += [
            "",
            f"Sum of first-order indices: {result.sobol['S1'].sum():.2f}; the rest of the "
            "variance comes from interactions and from the model's own randomness. The lowest "
            f"total index, {result.sobol['ST'].min():.2f}, is an upper bound (in expectation) on "
            "the share of that randomness.",
            "",
        ]
    for note in result.notes:
        lines += [f"*{note}*", ""]
    return lines


def _method(analysis: Analysis) -> list[str]:
    lines = [
        "## Method",
        "",
        f"- **Feature scores**: EMA Workbench's extra-trees scorer (`get_ex_feature_scores`, "
        f"{TREES} trees, {'classification' if analysis.target.yes_no else 'regression'}), "
        f"refitted on {analysis.resamples} bootstrap resamples of each policy's runs; the table "
        "gives the mean and the range of the middle 95% of resamples. A score is the share of "
        "the forest's fit an assumption accounts for, interactions included. Trees also fit each "
        "run's own randomness, which gives every assumption some score: within a policy, scores "
        "close to the lowest ones mean little or no effect.",
        f"- **Scenario discovery**: EMA Workbench's PRIM (peel and paste {PEEL_ALPHA}, smallest "
        f"box {MASS_MIN:.0%} of the runs). On its peeling trajectory the box chosen restricts "
        f"at most {analysis.max_dimensions} assumptions, each with a quasi-p value below "
        f"{SIGNIFICANCE}, and has the highest harmonic mean of coverage and density. "
        "*Coverage*: share of all runs with the outcome that fall in the box. *Density*: share "
        "of the runs in the box that have the outcome.",
    ]
    if any(result.sobol is not None for result in analysis.results):
        lines.append(
            "- **Sobol indices**: the run drew its assumptions on Saltelli's design "
            "(`sim.sampling=sobol`, SALib), and SALib's `analyze.sobol` estimated the indices. "
            "Each run also has its own random history; that randomness is variance no "
            "assumption explains, which lowers the sum of first-order indices and raises every "
            "total index by the same amount. Compare total indices with each other, not with 0."
        )
    lines += [
        f"- Seed of the analysis: {analysis.seed} (same folder and seed, same report).",
        "",
    ]
    return lines

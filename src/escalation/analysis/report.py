"""The report of ``escalation-analyze`` in words: ``analysis.md``, policy by policy.

What drives the outcome's probability at each parameter draw (and whether anything stands out
of the noise), where it happens (the PRIM box in a sentence), Sobol indices when the draws allow
them, and the method; which parameters varied (``sim.parameters``) and each job's ranges when
they differ between jobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from escalation import __version__
from escalation.analysis.analyse import (
    CONFIDENCE,
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

NO_EFFECT = (
    "the highest score any parameter gets when the outcome at each draw is shuffled across the "
    "draws, so that no parameter has an effect"
)
"""What the no-effect reference of the feature scores is, inside a sentence."""

MODES = {
    "prior": (
        "`sim.parameters=prior`: every draw takes each assumption and each doctrine prior "
        "uniformly in its range, so both are analysed."
    ),
    "posterior": (
        "`sim.parameters=posterior`: every draw is a particle of the calibrated posterior, so "
        "the assumptions and the doctrine priors vary as the posterior leaves them; the ranges "
        "below are the priors it was calibrated with."
    ),
    "point": (
        "`sim.parameters=point`: the doctrine priors are fixed at their doctrine values and do "
        "not vary, so only the assumptions are analysed; run with `sim.parameters=prior` (or "
        "`posterior`) to analyse the doctrine priors too."
    ),
}
"""One line per ``sim.parameters`` mode: what varied across the draws."""

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
    draws = _number_range([result.policy.draws for result in results])
    what = (
        f"a sweep of {len(results)} policies, {runs} runs in {draws} parameter draws each"
        if study.kind == "sweep"
        else f"one run folder, {runs} runs in {draws} parameter draws"
    )
    scenario = f", scenario {study.scenario}" if study.scenario else ""
    measure = "probability" if target.yes_no else f"mean of {target.outcome}"
    lines = [
        f"# What drives {target.phrase}",
        "",
        f"Analysis of `{study.folder}` ({what}{scenario}) by `escalation-analyze` "
        f"(escalation {__version__}). A run is one Monte Carlo replicate; the runs are grouped "
        "into parameter draws, each a design point: its runs share one value of every uncertain "
        "parameter and differ only by the model's own randomness, so the share of them with the "
        f"outcome estimates its probability there. The analyses explain the {measure} at each "
        "draw across the draws. Everything below is a consequence of the model's assumptions "
        "(docs/MODEL.md), not a forecast.",
        "",
    ]
    if not target.yes_no:
        lines += [
            f"The outcome is numeric: feature scores and Sobol indices explain the mean of "
            f"{target.outcome} at each draw; PRIM looks for the runs with {target.phrase} "
            "(`--above`/`--below` choose the threshold).",
            "",
        ]
    modes = sorted({result.policy.mode for result in results})
    lines += [" ".join(MODES.get(mode, f"`sim.parameters={mode}`.") for mode in modes), ""]
    lines += _parameter_lines([result.policy for result in results])
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


def _parameter_lines(policies: Sequence[Policy]) -> list[str]:
    """Which parameters varied across the draws and over which ranges: once, or per job.

    A sweep over an uncertainty bound (``uncertainty.red_line_threshold.high=6.5,9.0``) gives
    each job its own range; the report then states every job's ranges.
    """

    def varying(policy: Policy) -> str:
        groups = []
        for kind, plural in (("assumption", "assumptions"), ("doctrine prior", "doctrine priors")):
            names = [name for name in policy.varying if policy.kind(name) == kind]
            if names:
                listed = ", ".join(f"`{name}` ({_range(policy.ranges[name])})" for name in names)
                groups.append(f"{len(names)} {plural if len(names) > 1 else kind}: {listed}")
        return "; ".join(groups) if groups else "none"

    def fixed(policy: Policy) -> str:
        return ", ".join(f"`{name}` = {value:g}" for name, value in policy.fixed.items())

    first = policies[0]
    if all(policy.ranges == first.ranges for policy in policies):
        lines = [f"Parameters that vary across the draws: {varying(first)}."]
        if first.fixed:
            lines += ["", f"Fixed: {fixed(first)}."]
        return lines
    lines = ["The parameters' ranges differ between the jobs:", ""]
    for policy in policies:
        rest = f"; fixed: {fixed(policy)}" if policy.fixed else ""
        lines.append(f"- {policy.title}: {varying(policy)}{rest}.")
    return lines


def _number_range(values: Sequence[int]) -> str:
    low, high = min(values), max(values)
    return f"{low:,}" if low == high else f"{low:,}-{high:,}"


def _overview(analysis: Analysis, figures: Mapping[str, str]) -> list[str]:
    analysed = analysis.analysed
    target = analysis.target
    if not analysed:
        return [
            "## Overview",
            "",
            f"No policy could be analysed: {target.phrase} never or always happens.",
            "",
        ]
    table = leaders(analysis)
    lines = ["## Overview", ""]
    with_scores = [r for r in analysed if r.scores is not None]
    if with_scores and not table.empty:
        policies = len(with_scores)
        standing = table[table["stands_out"] > 0]
        if standing.empty:
            lines += [
                f"**No assumption stands out** for {target.phrase}: in "
                f"{'every policy every' if policies > 1 else 'this run every'} feature score is "
                f"within the no-effect reference ({NO_EFFECT}). These draws cannot tell the "
                "parameters that matter from the Monte Carlo noise of each draw's estimate; more "
                "runs per draw or more draws may.",
                "",
            ]
        else:
            named = []
            for name, row in standing.head(5).iterrows():
                where = f", in {int(row['stands_out'])} of {policies} policies" * (policies > 1)
                named.append(f"**{name}** (score {row['score']:.2f}{where})")
            more = len(standing) - 5
            lines += [
                f"The parameters that stand out for {target.phrase}, their feature score above "
                f"the no-effect reference ({NO_EFFECT}): {join_and(named)}"
                f"{f', and {more} more' if more > 0 else ''}.",
                "",
            ]
    if len(analysed) > 1 and with_scores:
        lines += [
            "Feature score of each parameter by policy (in bold: above the policy's no-effect "
            "reference, last row):",
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
    """The overview's table of scores, those above the no-effect reference in bold.

    Parameters go down the rows; with more than ``MAX_PANELS`` policies, policies do. A
    parameter fixed in a policy's runs but varied in another's (a sweep over its bounds,
    ``uncertainty.red_line_threshold.high=6.5,9.0`` with the range starting at 6.5) has no score
    in that policy: its cell says "fixed".
    """

    def cell(result: PolicyResult, name: str) -> str:
        if name not in result.scores.index:
            return "fixed"  # fixed in this policy's runs, varied in another's: not scored
        score = result.scores.loc[name]
        text = f"{score['score']:.3f}"
        return f"**{text}**" if score["stands_out"] else text

    reference = [f"{r.reference:.3f}" for r in results]
    if len(results) > MAX_PANELS:
        rows = [
            [f"{r.policy.job}", r.policy.label, *[cell(r, name) for name in order], ref]
            for r, ref in zip(results, reference, strict=True)
        ]
        header = ["job", "policy", *[f"`{name}`" for name in order], "no-effect reference"]
    else:
        rows = [[f"`{name}`", *[cell(r, name) for r in results]] for name in order]
        rows.append(["*no-effect reference*", *reference])
        header = ["parameter", *[f"job {r.policy.job}" for r in results]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _spread_line(result: PolicyResult, analysis: Analysis) -> str:
    """How the outcome varies across the draws, and how much of that is Monte Carlo noise."""
    target = analysis.target
    runs = result.draws["runs"]
    low, high = int(runs.min()), int(runs.max())
    each = f"{low:,} runs each" if low == high else f"{low:,} to {high:,} runs each"
    what = f"probability of {target.phrase}" if target.yes_no else f"mean of {target.outcome}"
    text = f"The {len(runs):,} parameter draws ({each}) give the {what} at each draw"
    if result.band is not None:
        show = percent if target.yes_no else (lambda value: f"{value:.3g}")
        text += (
            f"; across the draws it ranges from {show(result.band[0])} to "
            f"{show(result.band[1])} (5–95%, Monte Carlo noise taken out)"
        )
    if result.noise_share is not None:
        text += (
            f". Monte Carlo noise is {result.noise_share:.0%} of the variance of the per-draw "
            "estimates; the rest is what the parameters do"
        )
    return text + "."


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
        f"runs ({result.cases:,} of {result.runs:,}). " + _spread_line(result, analysis),
        "",
    ]
    if result.scores is not None:
        lines += _scores_lines(analysis, result)
    for number, box in enumerate(result.boxes, start=1):
        title = "Where it happens." if number == 1 else f"Box {number}, among the other runs."
        lines += [f"**{title}** {box.sentence(target, result.rate)}", ""]
        lines += [
            "| parameter | kind | full range | box | quasi-p |",
            "|---|---|---|---|---|",
        ]
        for name, limits in box.limits.items():
            p = ", ".join(f"{v:.2g}" for v in box.quasi_p[name] if v is not None)
            lines.append(
                f"| `{name}` | {policy.kind(name)} | {_range(policy.ranges[name])} | "
                f"{_range(limits)} | {p} |"
            )
        lines.append("")
    key = f"prim:{policy.job}"
    if key in figures:
        lines += [f"![PRIM box and peeling trajectory]({figures[key]})", ""]
    if result.sobol is not None:
        lines += _sobol_lines(result)
    for note in result.notes:
        lines += [f"*{note}*", ""]
    return lines


def _scores_lines(analysis: Analysis, result: PolicyResult) -> list[str]:
    """The feature scores: what stands out (or that nothing does), then the table."""
    policy, scores = result.policy, result.scores
    measure = "probability" if analysis.target.yes_no else "mean"
    out = result.standing_out
    if out:
        named = join_and([f"`{name}`" for name in out])
        verb = "stand out" if len(out) > 1 else "stands out"
        sentence = (
            f"**Which parameters matter.** {named} {verb}: "
            f"{'their scores are' if len(out) > 1 else 'its score is'} above the no-effect "
            f"reference, {result.reference:.3f} (the top score with the outcome shuffled across "
            "the draws)."
        )
        if len(out) > 1:
            first, second = scores.iloc[0], scores.iloc[1]
            if first["low"] <= second["high"]:
                sentence += (
                    f" The order of `{scores.index[0]}` and `{scores.index[1]}` is not settled: "
                    "their ranges over the resamples overlap."
                )
    else:
        sentence = (
            f"**Which parameters matter.** No assumption stands out: every score is within the "
            f"no-effect reference, {result.reference:.3f} (the top score with the outcome "
            f"shuffled across the draws); the top score is {scores['score'].iloc[0]:.3f}, and "
            "the order of the scores is noise."
        )
    lines = [
        sentence,
        "",
        f"Extra-trees feature scores of the {measure} at each draw (scores sum to 1; in bold: "
        "above the reference):",
        "",
        "| rank | parameter | kind | score | 95% of resamples |",
        "|---|---|---|---|---|",
    ]
    for name, row in scores.iterrows():
        mark = "**" if row["stands_out"] else ""
        lines.append(
            f"| {int(row['rank'])} | {mark}`{name}`{mark} | {policy.kind(name)} | "
            f"{mark}{row['score']:.3f}{mark} | {row['low']:.3f}–{row['high']:.3f} |"
        )
    lines += [f"| | *no-effect reference* | | {result.reference:.3f} | |", ""]
    return lines


def _sobol_lines(result: PolicyResult) -> list[str]:
    """The Sobol indices with their intervals, and what stands out of the noise."""
    sobol = result.sobol
    table = sobol.table.sort_values("ST", ascending=False)
    out = list(table.index[table["stands_out"].to_numpy(dtype=bool)])
    noise = "unknown (one run per draw)" if sobol.noise is None else f"{sobol.noise:.3f}"
    if out:
        verdict = f"{join_and([f'`{name}`' for name in out])} stand{'s' * (len(out) == 1)} out"
    else:
        verdict = "No assumption stands out"
    lines = [
        f"**Sobol indices** (SALib; ± the half-width of the {CONFIDENCE:.0%} confidence "
        "interval) of the per-draw value: the first-order index S1 is the share of its variance "
        "a parameter explains alone; the total index ST adds its interactions and, in every "
        f"parameter, the Monte Carlo noise of the per-draw estimates (its share, {noise}, is the "
        f"no-effect reference of ST; 0 is S1's). {verdict}: an index stands out when its "
        f"interval, family-wise over the {len(table)} parameters, lies above its reference.",
        "",
        "| parameter | kind | first order S1 | total ST |",
        "|---|---|---|---|",
    ]
    for name, row in table.iterrows():
        mark = "**" if row["stands_out"] else ""
        lines.append(
            f"| {mark}`{name}`{mark} | {result.policy.kind(name)} | "
            f"{row['S1']:.3f} ± {row['S1_conf']:.3f} | {row['ST']:.3f} ± {row['ST_conf']:.3f} |"
        )
    total = table["S1"].sum()
    rest = (
        f"above 1, which only sampling error allows: the design's N = {sobol.base} base points "
        f"are too few for {len(table)} parameters (a larger sim.draws)"
        if total > 1
        else "the rest of the variance comes from interactions and from the Monte Carlo noise "
        "of the per-draw estimates"
    )
    lines += ["", f"Sum of first-order indices: {total:.2f}; {rest}.", ""]
    return lines


def _method(analysis: Analysis) -> list[str]:
    measure = "probability" if analysis.target.yes_no else "mean"
    lines = [
        "## Method",
        "",
        f"- **Per draw**: the runs of each parameter draw give the outcome's {measure} there, "
        "with binomial (Monte Carlo) noise of variance p(1 − p)/R for R runs. The spread across "
        "draws is given with that noise taken out (`parameter_band`, as the run's summary does).",
        f"- **Feature scores**: EMA Workbench's extra-trees scorer (`get_ex_feature_scores`, "
        f"{TREES} trees, regression) fitted on the {measure} at every draw over the parameters "
        "that vary; a score is the share of the forest's fit a parameter accounts for, "
        f"interactions included. The spread is over {analysis.resamples} bootstrap resamples of "
        f"the draws. **No-effect reference**: {NO_EFFECT}, over {analysis.permutations} such "
        "fits. A parameter stands out when its score is above it: a permutation test on the "
        f"highest score (Altmann et al. 2010) at level 1/{analysis.permutations + 1}, "
        "family-wise over the parameters. When nothing stands out the report says so rather "
        "than rank noise.",
        f"- **Scenario discovery**: EMA Workbench's PRIM on the runs, each with its draw's "
        f"parameters (peel and paste {PEEL_ALPHA}, smallest box {MASS_MIN:.0%} of the runs), so a "
        "box's density is the mean probability over its draws. On its peeling trajectory the "
        f"box chosen restricts at most {analysis.max_dimensions} parameters, each with a "
        f"quasi-p value below {SIGNIFICANCE}, and has the highest harmonic mean of coverage and "
        "density. *Coverage*: share of all runs with the outcome that fall in the box. "
        "*Density*: share of the runs in the box that have the outcome.",
    ]
    if any(result.sobol is not None for result in analysis.results):
        lines.append(
            "- **Sobol indices**: the run placed its draws on Saltelli's design "
            "(`sim.sampling=sobol`, SALib), and SALib's `analyze.sobol` estimated the indices of "
            f"the {measure} at each draw, in draw order, with {CONFIDENCE:.0%} bootstrap "
            "intervals. The Monte Carlo noise of each draw's estimate adds nothing to S1 in "
            "expectation and its share of the variance to every ST: that share is ST's no-effect "
            "reference. An index stands out when its interval widened for the number of "
            "parameters (Bonferroni) lies above its reference."
        )
    lines += [
        f"- Seed of the analysis: {analysis.seed} (same folder and seed, same report).",
        "",
    ]
    return lines

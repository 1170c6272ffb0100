"""The refit at rolling origins: real-time baselines, the block bootstrap, what each fit sees.

No test runs pyABC: the fit is injected (a few particles drawn from the prior), and the
command's default fit (``refit.calibration_fit``) is replaced by the same cheap one.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from escalation.backtest import cli, refit
from escalation.backtest.baselines import (
    block_bootstrap_skill,
    block_indices,
    expanding_rate,
    fit_logistic_trend,
    laplace,
    skill_interval,
    trailing_rate,
    trend_rate,
)
from escalation.backtest.refit import (
    FORECAST_COLUMNS,
    INSTALL_HINT,
    SCORE_COLUMNS,
    RefitError,
    baseline_forecasts,
    calibration_fit,
    check_origins,
    parse_origins,
    predictive_settings,
    run_refit,
)
from escalation.backtest.report import LOW_ESS, refit_markdown
from escalation.backtest.scores import NEVER_OBSERVED, POOLED
from escalation.config.sampling import parameter_ranges
from escalation.timeline import SCORED_EVENTS, load_timeline, month_index

DRAWS, PER_DRAW = 4, 5  # a tiny posterior-predictive replay: 20 replicates
SEED = 7
RUSSIAN = {"nuclear_signalling", "hybrid_attacks"}


@pytest.fixture(scope="module")
def shipped():
    return load_timeline()


@pytest.fixture(scope="module")
def ranges(shipped):
    settings = predictive_settings(shipped, end="2024-09", draws=1, replicates=1, seed=SEED)
    return {name: bounds for name, bounds in parameter_ranges(settings).items()}


class PriorFit:
    """A cheap fit: a few particles from the prior, unequal weights; records each ``until``."""

    def __init__(self, ranges, particles: int = 6, equal: bool = False):
        self.ranges, self.particles, self.equal, self.calls = ranges, particles, equal, []

    def __call__(self, until: str) -> pd.DataFrame:
        self.calls.append(until)
        rng = np.random.default_rng(month_index(until))
        table = {
            name: rng.uniform(low, high, self.particles)
            for name, (low, high) in self.ranges.items()
        }
        table["weight"] = (
            np.ones(self.particles) if self.equal else np.arange(1.0, self.particles + 1)
        )
        return pd.DataFrame(table)


def _refit(timeline, fit, origins=("2023-10",), **options):
    return run_refit(
        timeline, fit=fit, origins=origins, draws=DRAWS, replicates=PER_DRAW, seed=SEED, **options
    )


# --------------------------------------------------------------------------------------------
# Real-time baselines
# --------------------------------------------------------------------------------------------


def test_laplace_is_the_rule_of_succession():
    assert laplace(0, 0) == 0.5
    assert laplace(3, 10) == pytest.approx(4 / 12)


def test_expanding_rate_uses_every_month_before_with_laplace():
    y = [1, 0, 0, 1, 1]
    # month 2: 1 of 2 -> 2/4; month 3: 1 of 3 -> 2/5; month 4: 2 of 4 -> 3/6
    np.testing.assert_allclose(expanding_rate(y, 2), [0.5, 0.4, 0.5])
    np.testing.assert_allclose(expanding_rate(y, 0), [0.5, 2 / 3, 2 / 4, 2 / 5, 3 / 6])


def test_trailing_rate_uses_the_twelve_months_before_with_laplace():
    y = [1, 1, 1] + [0] * 12
    # month 12: months 0-11 hold 3 -> 4/14; month 13: months 1-12 hold 2 -> 3/14; then 2/14
    np.testing.assert_allclose(trailing_rate(y, 12), [4 / 14, 3 / 14, 2 / 14])
    # before a year has passed the window is every month so far: month 2 -> (2 + 1) / (2 + 2)
    assert trailing_rate(y, 2)[0] == pytest.approx(3 / 4)


def _penalised_loglik(beta, y, slope_sd=2.0):
    """The trend's objective, written out independently of the module (scipy minimises it)."""
    n = len(y)
    x = (np.arange(n) - (n - 1) / 2) / 12
    p = 1 / (1 + np.exp(-(beta[0] + beta[1] * x)))
    centre = 1 / (1 + np.exp(-beta[0]))
    loglik = np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) + np.log(centre * (1 - centre))
    return loglik - beta[1] ** 2 / (2 * slope_sd**2)


def test_trend_never_seen_is_laplace_with_no_slope():
    # all 0: by symmetry the slope is 0 and the level is Laplace's 1 / (n + 2)
    _, b, centre = fit_logistic_trend(np.zeros(20))
    assert b == pytest.approx(0.0, abs=1e-12)
    assert centre == 9.5
    np.testing.assert_allclose(trend_rate(np.zeros(25), 20), np.full(5, 1 / 22))
    np.testing.assert_allclose(trend_rate(np.ones(25), 20), np.full(5, 21 / 22))


def test_trend_on_a_separable_record_stays_finite_and_symmetric():
    y = np.array([0.0] * 6 + [1.0] * 6)  # all 0 then all 1: the unpenalised slope is infinite
    a, b, _ = fit_logistic_trend(y)
    assert a == pytest.approx(0.0, abs=1e-9)  # p = 1/2 at the centre, by symmetry
    assert 0 < b < 10
    expected = minimize(lambda beta: -_penalised_loglik(beta, y), [0.0, 0.0], method="BFGS").x
    np.testing.assert_allclose([a, b], expected, atol=1e-5)
    forecast = trend_rate(np.concatenate([y, np.zeros(6)]), 12)
    assert np.all(np.diff(forecast) > 0)
    assert np.all(forecast < 1)


@pytest.mark.parametrize(
    "sequence",
    [[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0]],
)
def test_trend_maximises_the_stated_objective(sequence):
    y = np.array(sequence, dtype=float)
    a, b, _ = fit_logistic_trend(y)
    expected = minimize(
        lambda beta: -_penalised_loglik(beta, y), [0.0, 0.0], method="BFGS", options={"gtol": 1e-9}
    ).x
    np.testing.assert_allclose([a, b], expected, atol=1e-5)


def test_trend_of_the_hybrid_record_before_2023_10_rises():
    shipped = load_timeline()
    table = baseline_forecasts(shipped, origin="2023-10", end="2024-09")
    hybrid = table[table["event"] == "hybrid_attacks"]
    # 1 attack in the 20 months before the origin (Mar 2023), late in the window
    assert hybrid["p_expanding"].iloc[0] == pytest.approx(2 / 22)
    assert hybrid["p_trailing12"].iloc[0] == pytest.approx(2 / 14)
    assert np.all(np.diff(hybrid["p_trend"].to_numpy()) > 0)


def test_trend_refuses_an_empty_window():
    with pytest.raises(ValueError, match="at least one month"):
        fit_logistic_trend([])


# --------------------------------------------------------------------------------------------
# Moving-block bootstrap
# --------------------------------------------------------------------------------------------


def test_block_indices_are_runs_of_three_consecutive_months():
    indices = block_indices(12, np.random.default_rng(1), block=3, resamples=50)
    assert indices.shape == (50, 12)
    runs = indices.reshape(50, 4, 3)
    assert np.all(np.diff(runs, axis=2) == 1)
    assert indices.min() >= 0
    assert indices.max() <= 11
    # 13 months: 5 runs, the last cut short
    assert block_indices(13, np.random.default_rng(1), resamples=5).shape == (5, 13)


def test_bootstrap_is_seeded_and_reproducible():
    rng = np.random.default_rng(0)
    model, base = rng.uniform(0, 0.3, 18), rng.uniform(0, 0.4, 18)
    first = block_bootstrap_skill(model, base, seed=11)
    assert block_bootstrap_skill(model, base, seed=11) == first
    assert block_bootstrap_skill(model, base, seed=12) != first


def test_bootstrap_interval_contains_the_point():
    rng = np.random.default_rng(3)
    model, base = rng.uniform(0, 0.3, 18), rng.uniform(0, 0.4, 18)
    low, high = block_bootstrap_skill(model, base, seed=5)
    point = 1 - model.sum() / base.sum()
    assert low < point < high


def test_bootstrap_of_a_constant_ratio_is_that_skill_exactly():
    base = np.linspace(0.1, 0.5, 12)
    assert block_bootstrap_skill(base / 2, base, seed=1) == pytest.approx((0.5, 0.5))


def test_bootstrap_with_a_perfect_baseline_has_no_interval():
    indices = block_indices(6, np.random.default_rng(0), resamples=20)
    low, high = skill_interval(np.full(6, 0.1), np.zeros(6), indices)
    assert np.isnan(low)
    assert np.isnan(high)


# --------------------------------------------------------------------------------------------
# Origins
# --------------------------------------------------------------------------------------------


def test_parse_origins_sorts_and_drops_repeats():
    assert parse_origins("2024-04, 2023-04,2024-04") == ("2023-04", "2024-04")


@pytest.mark.parametrize("text", ["2023-13", "", "2023-10,next"])
def test_parse_origins_refuses_what_is_not_a_month(text):
    with pytest.raises(RefitError, match="--origins") as caught:
        parse_origins(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("origin", ["2022-06", "2023-01", "2024-10", "2021-05"])
def test_origin_out_of_range_is_one_clear_line(shipped, origin):
    with pytest.raises(RefitError) as caught:
        check_origins(shipped, [origin], "2024-09")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"--origins {origin}: an origin needs at least 12 months")
    assert "allowed: 2023-02 to 2024-09" in message


def test_origins_at_the_limits_are_accepted(shipped):
    assert check_origins(shipped, ["2024-09", "2023-02"], "2024-09") == ("2023-02", "2024-09")


# --------------------------------------------------------------------------------------------
# The refit with an injected fit
# --------------------------------------------------------------------------------------------


def test_each_fit_sees_only_the_months_before_its_origin(shipped, ranges):
    fit = PriorFit(ranges)
    result = _refit(shipped, fit, origins=("2024-04", "2023-04", "2023-10"))
    assert fit.calls == ["2023-03", "2023-09", "2024-03"]
    assert result.origins == ("2023-04", "2023-10", "2024-04")
    for origin in result.origins:
        months = result.forecast.loc[result.forecast["origin"] == origin, "month"]
        assert months.min() == origin
        assert months.max() == "2024-09"
        expected = month_index("2024-09") - month_index(origin) + 1
        assert len(months) == expected * len(SCORED_EVENTS)


def test_no_russian_row_from_the_origin_on_changes_the_model_or_the_fit(shipped, ranges):
    # Drop every scored (Russian, joint) row from 2023-10 on: what is scored changes, what the
    # fit is given and what the model forecasts must not.
    before = replace(
        shipped,
        events=tuple(
            e for e in shipped.events if not (e.event in SCORED_EVENTS and e.month >= "2023-10")
        ),
    )
    assert before.last_month == "2024-08"  # the last row left: Kursk
    first, second = PriorFit(ranges), PriorFit(ranges)
    full = _refit(shipped, first, end="2024-09")
    cut = _refit(before, second, end="2024-09")
    assert first.calls == second.calls == ["2023-09"]
    pd.testing.assert_series_equal(full.forecast["p"], cut.forecast["p"])
    assert full.forecast["observed"].any()
    assert not cut.forecast["observed"].any()
    # each baseline's forecast of month m uses months before m only: the origin month agrees
    at_origin = full.forecast["month"] == "2023-10"
    for column in ("p_expanding", "p_trailing12", "p_trend"):
        pd.testing.assert_series_equal(
            full.forecast.loc[at_origin, column], cut.forecast.loc[at_origin, column]
        )
    # the trend is fitted before the origin only, so it never changes
    pd.testing.assert_series_equal(full.forecast["p_trend"], cut.forecast["p_trend"])


def test_refit_is_reproducible_and_scores_every_class(shipped, ranges):
    first = _refit(shipped, PriorFit(ranges), origins=("2023-10", "2024-04"))
    again = _refit(shipped, PriorFit(ranges), origins=("2023-10", "2024-04"))
    pd.testing.assert_frame_equal(first.forecast, again.forecast)
    pd.testing.assert_frame_equal(first.scores, again.scores)
    scores = first.scores
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert list(dict.fromkeys(scores["origin"])) == [POOLED, "2023-10", "2024-04"]
    assert len(scores) == 3 * len(SCORED_EVENTS)
    never = set(scores.loc[scores["note"] == NEVER_OBSERVED, "event"])
    assert never == set(SCORED_EVENTS) - RUSSIAN
    pooled = scores[scores["origin"] == POOLED].set_index("event")
    assert pooled.loc["hybrid_attacks", "months"] == 12 + 6
    assert pooled.loc["hybrid_attacks", "observed_months"] == 5 + 3
    for baseline in ("expanding", "trailing12", "trend"):
        skill = 1 - pooled["brier"] / pooled[f"brier_{baseline}"]
        np.testing.assert_allclose(pooled[f"skill_{baseline}"], skill)
        informative = pooled.loc[sorted(RUSSIAN)]
        assert np.all(informative[f"skill_{baseline}_low"] <= informative[f"skill_{baseline}_high"])
    # the pooled Brier is over every origin's rows
    rows = first.forecast[first.forecast["event"] == "nuclear_signalling"]
    expected = np.mean((rows["p"] - rows["observed"]) ** 2)
    assert pooled.loc["nuclear_signalling", "brier"] == pytest.approx(expected)


def test_forecast_is_the_share_of_replicates_with_a_parameter_band(shipped, ranges):
    result = _refit(shipped, PriorFit(ranges))
    table = result.forecast
    assert list(table.columns) == list(FORECAST_COLUMNS)
    replicates = DRAWS * PER_DRAW
    np.testing.assert_allclose(table["p"] * replicates, np.round(table["p"] * replicates))
    assert table["p"].between(0, 1).all()
    banded = table.dropna(subset=["band_low"])
    assert (banded["band_low"] <= banded["band_high"]).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.drop(columns="weight"), "a 'weight' column"),
        (lambda t: t.assign(mystery=1.0), "unknown parameter 'mystery'"),
        (lambda t: t.assign(weight=-1.0), "weights that are not numbers >= 0"),
        (lambda t: t.assign(kinetic_share=0.9), "kinetic_share outside its prior"),
        (lambda t: t.iloc[:0], "no particle"),
    ],
)
def test_a_posterior_the_model_cannot_use_is_one_line(shipped, ranges, change, message):
    fit = PriorFit(ranges)
    with pytest.raises(RefitError, match=message) as caught:
        _refit(shipped, lambda until: change(fit(until)))
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("the fit up to 2023-09 returned")


def test_parameters_the_fit_leaves_out_are_listed(shipped, ranges):
    fit = PriorFit({name: bounds for name, bounds in ranges.items() if name != "war_end"})
    result = _refit(shipped, fit)
    assert result.unfitted == {"2023-10": ["war_end"]}


def test_report_calls_a_posterior_thin_only_below_the_threshold(shipped, ranges):
    wide = _refit(shipped, PriorFit(ranges, particles=LOW_ESS, equal=True))
    assert wide.ess() == {"2023-10": pytest.approx(LOW_ESS)}
    report = refit_markdown(wide, command="c", timeline="t", fit="f")
    assert "Thin posteriors" not in report
    assert "2023-10 (fitted 2022-02 to 2023-09, 20 particles, effective sample size 20)" in report
    thin = _refit(shipped, PriorFit(ranges, particles=LOW_ESS - 1, equal=True))
    assert "- **Thin posteriors**: at 2023-10 " in refit_markdown(
        thin, command="c", timeline="t", fit="f"
    )


# --------------------------------------------------------------------------------------------
# The default fit: escalation.calibrate, imported late
# --------------------------------------------------------------------------------------------


def test_default_fit_without_the_calibration_names_the_extra(shipped, monkeypatch):
    monkeypatch.setitem(sys.modules, "escalation.calibrate", None)
    with pytest.raises(RefitError) as caught:
        calibration_fit(shipped)
    assert str(caught.value) == INSTALL_HINT
    assert ".venv/bin/pip install -e '.[calibrate]'" in INSTALL_HINT


def test_default_fit_calls_the_calibration_with_until_and_sizes(shipped, monkeypatch):
    calls = []

    class CalibrationError(ValueError):
        pass

    class Result:
        posterior = pd.DataFrame({"war_end": [0.2], "weight": [1.0]})

    def calibrate(**options):
        calls.append(options)
        if options["until"] == "2024-08":
            raise CalibrationError("--particles 3 is out of range; allowed: an integer >= 10")
        return Result()

    fake = type(sys)("escalation.calibrate")
    fake.calibrate, fake.CalibrationError = calibrate, CalibrationError
    monkeypatch.setitem(sys.modules, "escalation.calibrate", fake)
    real = refit.importlib.util.find_spec
    monkeypatch.setattr(
        refit.importlib.util,
        "find_spec",
        lambda name, *rest: object() if name == "pyabc" else real(name, *rest),
    )
    fit = calibration_fit(shipped, particles=40, generations=2, seed=3, progress=False)
    assert fit("2023-09") is Result.posterior
    assert calls == [
        {
            "timeline": shipped,
            "until": "2023-09",
            "progress": False,
            "particles": 40,
            "generations": 2,
            "seed": 3,
        }
    ]
    with pytest.raises(RefitError, match=r"^calibrating up to 2024-08: --particles 3 is out"):
        fit("2024-08")


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


@pytest.fixture
def cheap_command(monkeypatch, ranges):
    """``escalation-backtest --refit`` with the cheap fit in place of the calibration."""
    made = []

    def factory(timeline, **sizes):
        made.append(sizes)
        return PriorFit(ranges)

    monkeypatch.setattr(cli, "calibration_fit", factory)
    return made


def _fails(capsys, argv):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    return err


def test_command_writes_the_documented_files(tmp_path, capsys, cheap_command, ranges):
    out = tmp_path / "refit"
    argv = ["--refit", "--origins", "2023-10,2024-04", "--draws", "3", "--particles", "50"]
    cli.main([*argv, "--out", str(out)])
    assert cheap_command == [
        {
            "particles": 50,
            "generations": None,
            "replicates": None,
            "workers": None,
            "seed": 20241001,
            "progress": True,
        }
    ]
    forecast = pd.read_csv(out / cli.REFIT_FORECAST_FILE)
    assert list(forecast.columns) == list(FORECAST_COLUMNS)
    assert sorted(set(forecast["origin"])) == ["2023-10", "2024-04"]
    scores = pd.read_csv(out / cli.REFIT_SCORES_FILE, keep_default_na=False)
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert set(scores["origin"]) == {POOLED, "2023-10", "2024-04"}
    assert (
        set(scores.loc[scores["note"] == NEVER_OBSERVED, "event"]) == set(SCORED_EVENTS) - RUSSIAN
    )
    posteriors = pd.read_csv(out / cli.REFIT_POSTERIORS_FILE)
    assert list(posteriors.columns) == ["origin", *ranges, "weight"]
    assert (out / "figures" / "refit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / cli.REFIT_REPORT_FILE).read_text(encoding="utf-8")
    assert "# Back-test refitted at rolling origins" in report
    assert (
        "Command: `escalation-backtest --refit --origins 2023-10,2024-04 --particles 50" in report
    )
    assert "## In plain words" in report
    assert "never observed" in report
    # weights 1..6: effective sample size 21² / 91 = 4.8, a thin posterior
    assert "- **Thin posteriors**: at 2023-10, 2024-04 the posterior's effective sample" in report
    run = json.loads((out / cli.REFIT_RUN_FILE).read_text(encoding="utf-8"))
    assert run["origins"] == ["2023-10", "2024-04"]
    assert run["draws"] == 3
    assert run["scored_to"] == "2024-09"
    captured = capsys.readouterr()
    assert "Origin 2023-10 (1 of 2): calibrating on 2022-02 to 2023-09" in captured.err
    assert "Origin 2024-04 (2 of 2)" in captured.err
    assert "a posterior of 6 particles, effective sample size 4.8; replaying 3" in captured.err
    assert "| pooled | nuclear_signalling |" in captured.out
    assert not list(out.glob(".staging*"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--refit", "--origins", "2022-06"], "--origins 2022-06: an origin needs at least 12"),
        (["--refit", "--origins", "2024-10"], "allowed: 2023-02 to 2024-09"),
        (["--refit", "--origins", "2023-10", "--to", "2023-08"], "allowed: 2023-02 to 2023-08"),
        (["--refit", "--origins", "soon"], "'soon' is not a month"),
        (["--refit", "--from", "2023-10"], "--from does not apply with --refit"),
        (["--refit", "--draws", "0"], "--draws 0 is out of range"),
        (["--refit", "--particles", "0"], "--particles 0 is out of range"),
        (["--refit", "--replicates", "-2"], "--replicates -2 is out of range"),
        (["--refit", "--seed", "-1"], "--seed -1 is out of range"),
        (["--origins", "2023-10"], "--origins needs --refit"),
        (["--particles", "100"], "--particles needs --refit"),
    ],
)
def test_command_bad_refit_input_is_one_line(tmp_path, capsys, cheap_command, argv, message):
    err = _fails(capsys, [*argv, "--out", str(tmp_path / "out")])
    assert message in err
    assert cheap_command == []  # refused before any fit
    assert not (tmp_path / "out").exists()


def test_command_refuses_a_folder_of_other_files(tmp_path, capsys, cheap_command):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    err = _fails(capsys, ["--refit", "--out", str(tmp_path)])
    assert "holds files escalation did not make" in err
    assert cheap_command == []


def test_command_without_the_calibration_names_the_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "escalation.calibrate", None)
    err = _fails(capsys, ["--refit", "--out", str(tmp_path / "out")])
    assert "pip install -e '.[calibrate]'" in err

"""Tables as CSV or Parquet (``sim.tables``): same content, either format read back everywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation.analysis.study import load_study
from escalation.config.scenarios import load_settings
from escalation.config.schema import ConfigError
from escalation.config.validation import validate
from escalation.run.results import read_outcomes, read_trajectories
from escalation.run.runs import is_complete, simulate_run, write_run
from escalation.run.tables import (
    count_rows,
    find_table,
    read_table,
    significant,
    table_file,
    write_table,
)

BIN = Path(sys.executable).parent
SMALL = ("sim.replicates=40", "sim.months=12", "sim.draws=20")
TABLES = ("outcomes", "trajectories")


def run(command: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
    return subprocess.run(
        [str(BIN / command), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def files(folder: Path) -> list[str]:
    """The names of the files in ``folder``, without hidden ones (the folder's marker)."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def written_run(folder: Path, tables: str, seed: int = 7) -> dict:
    """A run of 60 replicates x 12 months written in ``tables``; its summary."""
    settings = load_settings("instructors", replicates=60, months=12, seed=seed)
    settings.sim.tables = tables
    outcomes, trajectories = simulate_run(settings)
    return write_run(folder, settings, {"seed": seed}, outcomes, trajectories, figures=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    """The same run written as CSV and as Parquet."""
    root = tmp_path_factory.mktemp("runs")
    for tables in ("csv", "parquet"):
        written_run(root / tables, tables)
    return {tables: root / tables for tables in ("csv", "parquet")}


def test_a_run_writes_its_tables_in_the_chosen_format_only(runs):
    assert files(runs["csv"]) == [
        "narrative.md", "outcomes.csv", "summary.json", "trajectories.csv",
    ]  # fmt: skip
    assert files(runs["parquet"]) == [
        "narrative.md", "outcomes.parquet", "summary.json", "trajectories.parquet",
    ]  # fmt: skip
    assert (runs["parquet"] / "outcomes.parquet").read_bytes()[:4] == b"PAR1"


def test_both_formats_hold_the_same_content_with_the_same_dtypes(runs):
    for name, reader in (("outcomes", read_outcomes), ("trajectories", read_trajectories)):
        from_csv = reader(runs["csv"] / f"{name}.csv")
        from_parquet = reader(runs["parquet"] / f"{name}.parquet")
        pd.testing.assert_frame_equal(from_parquet, from_csv, check_exact=True)
        # An analyst's plain pandas call gets the same frame as the project's reader.
        plain = pd.read_parquet(runs["parquet"] / f"{name}.parquet")
        pd.testing.assert_frame_equal(plain, from_csv, check_exact=True)
    outcomes = pd.read_parquet(runs["parquet"] / "outcomes.parquet")
    assert outcomes["max_rung"].dtype == np.int64  # the model's int8, widened as CSV reads it
    assert outcomes["direct_conflict"].dtype == bool
    assert outcomes["months_to_retaliation"].isna().any()  # NaN stays NaN
    trajectories = pd.read_parquet(runs["parquet"] / "trajectories.parquet")
    assert pd.api.types.is_string_dtype(trajectories["russian_action"])
    assert (trajectories["russian_action"] == "").any()  # a month without action stays ""


def test_trajectories_keep_six_significant_digits_in_both_formats(runs):
    position = pd.read_parquet(runs["parquet"] / "trajectories.parquet")["position"].to_numpy()
    np.testing.assert_array_equal(position, [float(f"{value:.6g}") for value in position])


def test_summaries_are_the_same_whatever_the_format(runs):
    summaries = [json.loads((runs[t] / "summary.json").read_text()) for t in ("csv", "parquet")]
    assert summaries[0] == summaries[1]


def test_parquet_is_byte_identical_for_the_same_config_and_seed(runs, tmp_path):
    written_run(tmp_path / "again", "parquet")
    for name in TABLES:
        file = f"{name}.parquet"
        assert (tmp_path / "again" / file).read_bytes() == (runs["parquet"] / file).read_bytes()
    written_run(tmp_path / "other", "parquet", seed=8)
    other = (tmp_path / "other" / "outcomes.parquet").read_bytes()
    assert other != (runs["parquet"] / "outcomes.parquet").read_bytes()


def test_rows_are_counted_in_either_format(runs):
    for tables in ("csv", "parquet"):
        assert count_rows(runs[tables] / table_file("outcomes", tables)) == 60
        assert count_rows(runs[tables] / table_file("trajectories", tables)) == 60 * 12


def test_writing_one_format_removes_the_other_formats_table(tmp_path):
    frame = pd.DataFrame({"replicate": [0, 1], "label": ["=a", "b"]})
    write_table(tmp_path, "outcomes", frame, "csv")
    assert (tmp_path / "outcomes.csv").read_text() == "replicate,label\n0,'=a\n1,b\n"
    write_table(tmp_path, "outcomes", frame, "parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outcomes.parquet"]
    # Parquet is not for spreadsheets: text is kept as it is, without the CSV's escape.
    assert pd.read_parquet(tmp_path / "outcomes.parquet")["label"].tolist() == ["=a", "b"]
    write_table(tmp_path, "outcomes", frame, "csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outcomes.csv"]


def test_columns_of_python_values_are_stored_as_csv_reads_them(tmp_path):
    frame = pd.DataFrame({"month": pd.Series([3, "2025-05", None], dtype=object)})
    write_table(tmp_path, "outcomes", frame, "parquet")
    assert pd.read_parquet(tmp_path / "outcomes.parquet")["month"].tolist()[:2] == ["3", "2025-05"]
    frame = pd.DataFrame({"high": pd.Series([9, 6.5], dtype=object, index=[5, 7])})
    write_table(tmp_path, "outcomes", frame, "parquet", float_format="%.6g")
    write_table(tmp_path / "csv", "outcomes", frame, "csv", float_format="%.6g")
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "outcomes.parquet"), read_table(tmp_path / "csv/outcomes.csv")
    )


def test_a_folder_with_both_formats_is_refused_naming_both(runs, tmp_path):
    shutil.copytree(runs["csv"], tmp_path / "run")
    shutil.copy(runs["parquet"] / "outcomes.parquet", tmp_path / "run")
    with pytest.raises(ValueError, match=r"holds both outcomes\.csv and outcomes\.parquet: remove"):
        find_table(tmp_path / "run", "outcomes")
    assert find_table(tmp_path / "run", "trajectories") == tmp_path / "run" / "trajectories.csv"
    assert find_table(tmp_path, "outcomes") is None


def test_a_malformed_parquet_table_is_named_in_one_line(tmp_path):
    path = tmp_path / "outcomes.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match=r"^malformed outcomes\.parquet: ") as error:
        read_table(path)
    assert "\n" not in str(error.value)


def test_a_symbolic_link_is_never_read(runs, tmp_path):
    (tmp_path / "outcomes.parquet").symlink_to(runs["parquet"] / "outcomes.parquet")
    with pytest.raises(ValueError, match=r"malformed outcomes\.parquet: .* is a symbolic link"):
        read_table(tmp_path / "outcomes.parquet")


def test_a_complete_parquet_run_is_recognised_for_resume(runs):
    assert is_complete(runs["parquet"], {"seed": 7})
    assert not is_complete(runs["parquet"], {"seed": 8})


def test_bad_format_is_refused_in_one_line_naming_the_key():
    settings = load_settings("status_quo", replicates=8)
    settings.sim.tables = "xlsx"
    message = r"^sim\.tables: invalid value 'xlsx'; allowed: csv, parquet$"
    with pytest.raises(ConfigError, match=message):
        validate(settings)


def test_parquet_without_pyarrow_names_the_extra(monkeypatch, tmp_path):
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "pyarrow" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    settings = load_settings("status_quo", replicates=8)
    settings.sim.tables = "parquet"
    with pytest.raises(ConfigError, match=r"^sim\.tables=parquet needs pyarrow: .*\[parquet\]"):
        validate(settings)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ValueError, match=r"^Parquet tables need pyarrow: .*\[parquet\]'$"):
        read_table(tmp_path / "outcomes.parquet")


@pytest.mark.parametrize("digits", [6, 3, 1])
def test_significant_digits_are_what_printf_writes(digits):
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.normal(0, 1, 20_000) * 10.0 ** rng.integers(-12, 12, 20_000),
            rng.integers(-(10**7), 10**7, 5_000) / 10.0 ** rng.integers(0, 8, 5_000),
            [0.0, -0.0, 1.0, 999999.5, 9999995.0, 0.1234565, 1.5, 2.5, 1e-300, 1e300, 123456.5],
            [np.nan, np.inf, -np.inf],
        ]
    )
    form = f"%.{digits}g"
    expected = np.array([float(form % value) for value in values])
    np.testing.assert_array_equal(significant(values, form), expected)


def test_analysis_reads_a_parquet_run_as_it_reads_a_csv_run(runs):
    studies = [load_study(runs[tables]) for tables in ("csv", "parquet")]
    assert studies[1].table == "outcomes.parquet"
    for csv_policy, parquet_policy in zip(studies[0].policies, studies[1].policies, strict=True):
        pd.testing.assert_frame_equal(parquet_policy.rows, csv_policy.rows, check_exact=True)


def test_cli_run_and_report_in_parquet(tmp_path):
    result = run("escalation", *SMALL, "sim.tables=parquet", "hydra.run.dir=one", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "one"
    assert "Wrote outcomes.parquet, trajectories.parquet, summary.json" in result.stdout
    assert not list(folder.glob("*.csv"))
    original = json.loads((folder / "summary.json").read_text())
    (folder / "summary.json").unlink()
    (folder / "narrative.md").unlink()
    result = run("escalation-report", "one", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((folder / "summary.json").read_text()) == original
    assert (folder / "narrative.md").is_file()


def test_cli_refuses_an_unknown_format_before_making_a_folder(tmp_path):
    result = run("escalation", *SMALL, "sim.tables=xlsx", "hydra.run.dir=one", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "escalation: error: sim.tables: invalid value 'xlsx'; allowed: csv, parquet\n"
    )
    assert not (tmp_path / "one").exists()


GRID = ("policy.troops=none,combat", "policy.posture=red_lines,ambiguity")


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, Path]:
    """The same small sweep gathered as CSV and as Parquet."""
    root = tmp_path_factory.mktemp("sweeps")
    for tables in ("csv", "parquet"):
        result = run(
            "escalation", "-m", *GRID, *SMALL, f"sim.tables={tables}",
            f"hydra.sweep.dir={tables}", cwd=root,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    return {tables: root / tables for tables in ("csv", "parquet")}


def test_a_parquet_sweep_writes_parquet_at_its_root_and_in_its_jobs(sweeps):
    names = files(sweeps["parquet"])
    assert names == ["differences.csv", "multirun.yaml", "outcomes.parquet", "summary.csv"]
    assert "outcomes.csv" in files(sweeps["csv"])
    for job in range(4):  # a batched sweep's Hydra log is its chunk's (.chunks/)
        assert files(sweeps["parquet"] / str(job)) == ["outcomes.parquet", "summary.json"]


def test_the_gathered_table_is_the_same_in_both_formats(sweeps):
    from_csv = read_table(sweeps["csv"] / "outcomes.csv")
    from_parquet = pd.read_parquet(sweeps["parquet"] / "outcomes.parquet")
    assert len(from_parquet) == 4 * 40
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_exact=True)
    for name in ("summary.csv", "differences.csv"):
        assert (sweeps["parquet"] / name).read_bytes() == (sweeps["csv"] / name).read_bytes()


def test_a_parquet_sweep_resumes_and_is_rebuilt_by_the_report(sweeps, tmp_path):
    folder = tmp_path / "parquet"
    shutil.copytree(sweeps["parquet"], folder)
    result = run(
        "escalation", "-m", *GRID, *SMALL, "sim.tables=parquet", f"hydra.sweep.dir={folder}",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("already complete, skipped") == 4
    (folder / "outcomes.parquet").unlink()
    result = run("escalation-report", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "outcomes.parquet, summary.csv, differences.csv, figures/" in result.stdout
    expected = (sweeps["parquet"] / "outcomes.parquet").read_bytes()
    assert (folder / "outcomes.parquet").read_bytes() == expected


def _pandas_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n")


def test_numbers_csv_is_the_text_pandas_writes_for_every_kind_of_number():
    from escalation.run.tables import numbers_csv

    values = [0.1, -0.0, 1e-05, 1e300, 123456789.125, np.nan, np.inf, -np.inf, 3.0, 2.5e-310]
    frame = pd.DataFrame(
        {
            "real": values,
            "small": np.array([*values[:3], 3.4e38, 1.5, *values[5:9], 1e-40], dtype="float32"),
            "whole": np.arange(-5, 5, dtype="int64") * 10**12,
            "rung": np.arange(10, dtype="int8") - 3,
            "count": np.arange(10, dtype="uint16"),
            "yes": np.arange(10) % 3 == 0,
            "name, quoted": np.ones(10),
        }
    )
    assert numbers_csv(frame) == _pandas_csv(frame)


def test_numbers_csv_of_a_model_run_and_of_its_worlds_is_pandas_text():
    from escalation.model import EscalationModel
    from escalation.run.tables import numbers_csv

    settings = load_settings("status_quo", replicates=60, months=6, seed=3)
    model = EscalationModel(settings).run()
    for table in (model.outcomes(), model.outcomes().iloc[::-1]):
        # a second table with the same columns is written from the formatted columns kept
        assert numbers_csv(table) == _pandas_csv(table)
        assert numbers_csv(table) == _pandas_csv(table)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": [1.0, np.nan]}),  # one column: pandas quotes an empty row
        pd.DataFrame({"a": [], "b": []}),
        pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "=1"]}),
        pd.DataFrame({"a": [1.0], "b": pd.to_datetime(["2024-10-01"])}),
        pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]),
        pd.DataFrame([[1.0, 2.0]], columns=[0, 1]),
    ],
)
def test_numbers_csv_leaves_other_tables_to_pandas(frame):
    from escalation.run.tables import numbers_csv

    assert numbers_csv(frame) is None


def test_formatted_columns_kept_are_bounded(monkeypatch):
    from escalation.run import tables

    monkeypatch.setattr(tables, "KEPT_CELLS", 25)
    monkeypatch.setattr(tables, "_formatted", tables.OrderedDict())
    for offset in range(5):
        frame = pd.DataFrame({"a": np.arange(10.0) + offset, "b": np.arange(10) + offset})
        assert tables.numbers_csv(frame) == _pandas_csv(frame)
        assert sum(map(len, tables._formatted.values())) <= 25

"""The documentation: a short README, and a site whose reference is generated and complete.

The site is built as ``make test`` builds it (``mkdocs build --strict``); its generated
reference must list every key of the composed config, every console script's ``--help`` and
every public name of the package. The generator refuses a key it cannot describe.
"""

from __future__ import annotations

import html
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from omegaconf import DictConfig

from escalation.config.scenarios import compose_scenario

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def load_hook():
    spec = importlib.util.spec_from_file_location("reference", ROOT / "docs/hooks/reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["reference"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def leaf_keys(cfg: DictConfig, prefix: str = "") -> list[str]:
    keys = []
    for name in cfg:
        value = cfg[name]
        key = f"{prefix}{name}"
        keys += leaf_keys(value, key + ".") if isinstance(value, DictConfig) else [key]
    return keys


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [str(BIN / "mkdocs"), "build", "--strict", "--site-dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0
    return folder


def page_text(site: Path, name: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", (site / name / "index.html").read_text("utf-8")))


def ancestors(key: str) -> list[str]:
    """``a.b.c`` -> ``["a.b.c", "a.b", "a"]``."""
    parts = key.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def test_every_config_key_is_in_the_built_reference(site):
    page = (site / "reference/config/index.html").read_text("utf-8")
    listed = set(re.findall(r"<tr>\s*<td><code>([^<]+)</code></td>", page))
    keys = leaf_keys(compose_scenario("status_quo"))
    assert len(keys) > 150
    # A key is listed itself, or as the one-line mapping it belongs to (uncertainty ranges,
    # timing blocks, NATO members, priors), whose parts its row describes.
    assert [key for key in keys if not listed & set(ancestors(key))] == []
    assert {"policy.troops", "sim.replicates", "seed", "uncertainty.follow_through"} <= listed


def test_every_command_and_its_help_is_in_the_built_reference(site):
    text = page_text(site, "reference/commands")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert len(scripts) == 6
    for name in scripts:
        assert name in text
    assert "usage: escalation-report" in text
    assert "usage: escalation-backtest" in text
    assert "usage: escalation-dashboard" in text
    assert "Config groups" in text  # escalation --help, Hydra's help template


def test_every_public_name_is_in_the_built_api_reference(site):
    import escalation

    text = page_text(site, "reference/api")
    for name in ("simulate", "simulate_many", "ScenarioModel"):
        assert name in escalation.__all__
        assert f"escalation.api.{name}" in text
    assert "Run a scenario and return its outcomes, one row per replicate." in text


def test_a_key_without_a_description_fails_the_reference(monkeypatch):
    hook = load_hook()
    comments = hook.yaml_comments

    def without_troops(path, prefix=""):
        found = comments(path, prefix)
        found.pop("policy.troops", None)
        return found

    monkeypatch.setattr(hook, "yaml_comments", without_troops)
    with pytest.raises(hook.ReferenceError, match=r"no description .*: policy\.troops$"):
        hook.config_rows()


def test_a_reference_row_has_its_type_default_allowed_values_and_source():
    rows = {row.key: row for row in load_hook().config_rows()}
    troops = rows["policy.troops"]
    assert (troops.type, troops.default, troops.allowed) == (
        "str",
        "none",
        "none | noncombat | combat",
    )
    assert troops.source == "conf/policy/default.yaml:5"
    months = rows["sim.months"]
    assert (months.type, months.default, months.allowed) == ("int", "36", "1 to 600")
    threshold = rows["uncertainty.red_line_threshold"]
    assert (threshold.default, threshold.allowed) == ("{low: 6.5, high: 10.0}", "0 to 12")
    assert rows["sweep.job_figures"].source == "src/escalation/config/schema.py (Sweep)"
    tables = rows["sim.tables"]
    assert (tables.type, tables.default, tables.allowed) == ("str", "csv", "csv | parquet")


def test_the_readme_fits_on_a_screen_and_keeps_the_headline_block():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert text.count("<!-- headline:start -->") == 1
    assert text.count("<!-- headline:end -->") == 1
    assert text.index("<!-- headline:start -->") < text.index("<!-- headline:end -->")
    # The README leads with the policy-difference table: before the set-up.
    assert text.index("<!-- headline:end -->") < text.index("## Quick start")
    # The two set-up commands, then how to put the commands on the PATH, in that order.
    order = [text.index(line) for line in ("make run", "make test", "source .venv/bin/activate")]
    assert order == sorted(order)


def test_every_page_of_the_docs_folder_is_in_the_site_navigation():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {
        path.relative_to(ROOT / "docs").as_posix()
        for path in (ROOT / "docs").rglob("*.md")
        if "includes" not in path.parts
    }
    assert {page for page in pages if f" {page}" not in config} == set()

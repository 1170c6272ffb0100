"""Hydra's keys, users' config files and values (issue 20, items 1 and 5; docs/SAFETY.md).

Most cases run in process: ``escalation.cli.preflight.prepare`` must raise ``ConfigError`` with
one line naming the key (and, for a file, the file and line) before anything is written; the
working folder is hashed before and after. A few end-to-end cases run the command itself and
check that no file outside the run's folder changed.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_bad_input import snapshot

from escalation.cli import app as cli
from escalation.cli.preflight import prepare
from escalation.config.scenarios import available_scenarios, load_settings
from escalation.config.schema import ConfigError
from escalation.config.userconf import (
    MAX_CONFIG_BYTES,
    hydra_setting_allowed,
    read_config,
)
from escalation.config.validation import (
    MAX_SEED,
    schema_type,
    shown_value,
    underscored_number,
)

BIN = Path(sys.executable).parent
ENV = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}

HEADER = "# @package _global_\n"
SCENARIO = HEADER + "scenario:\n  name: mine\n  title: Mine\n  description: My own scenario\n"
SWEEP = HEADER + "sweep:\n  name: mine\nhydra:\n  mode: MULTIRUN\n  sweeper:\n    params:\n"


def refused(arguments: list[str]) -> str:
    """The one-line message ``prepare`` refuses ``arguments`` with."""
    with pytest.raises(ConfigError) as error:
        prepare(arguments)
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty working folder holding a file of the user's; nothing in it may change."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.log").write_text("my notes\n")
    return tmp_path


# -- 1. Hydra's own keys: the allow-list --------------------------------------------------------

#: Hydra settings no user may set, from the command line or a file; each would reach the machine.
REFUSED_KEYS = [
    ("hydra.output_subdir", "../victim"),
    ("hydra.sweep.subdir", "../victim"),
    ("hydra.job.name", "../../x/log"),
    ("hydra.job.chdir", "true"),
    ("hydra.job.env_set.LD_PRELOAD", "/tmp/x.so"),
    ("hydra.job.env_copy", "[HOME]"),
    ("hydra.job_logging.handlers.file.filename", "../victim/x.log"),
    ("hydra.job_logging.handlers.file.mode", "w"),
    ("hydra.job_logging.root.level", "DEBUG"),
    ("hydra.hydra_logging.root.level", "DEBUG"),
    ("hydra.searchpath", "[file:///tmp]"),
    ("hydra.runtime.output_dir", "/tmp"),
    ("hydra.help.template", "x"),
    ("hydra.foo", "1"),
    ("hydra.launcher.temp_folder", "/tmp"),
    ("hydra.launcher.submitit_folder", "/tmp"),
    ("hydra.launcher.setup", "[touch x]"),
    ("hydra.launcher.additional_parameters.output", "/tmp/x"),
    ("hydra.launcher.ray.init.runtime_env.env_vars.X", "1"),
    ("hydra.sweeper.points", "[0,1]"),
]


@pytest.mark.parametrize(("key", "value"), REFUSED_KEYS, ids=[k for k, _ in REFUSED_KEYS])
@pytest.mark.parametrize("prefix", ["", "+", "++"])
def test_a_hydra_key_off_the_allow_list_is_refused_on_the_command_line(home, key, value, prefix):
    before = snapshot(home)
    assert refused([f"{prefix}{key}={value}"]).startswith(f"{key} cannot be set")
    assert snapshot(home) == before


@pytest.mark.parametrize(("key", "value"), REFUSED_KEYS, ids=[k for k, _ in REFUSED_KEYS])
@pytest.mark.parametrize("kind", ["scenario", "sweep"])
def test_a_hydra_key_off_the_allow_list_is_refused_in_a_users_file(home, key, value, kind):
    *parents, last = key.split(".")[1:]  # below hydra:, which the sweep preset opens already
    block = "".join(f"{'  ' * depth}{part}:\n" for depth, part in enumerate(parents, 1))
    block += f"{'  ' * (len(parents) + 1)}{last}: {value}\n"
    text = (
        SCENARIO + "hydra:\n" + block if kind == "scenario" else SWEEP + "      seed: 1,2\n" + block
    )
    (home / "myconf" / kind).mkdir(parents=True)
    (home / "myconf" / kind / "mine.yaml").write_text(text)
    before = snapshot(home)
    message = refused(["--config-dir", "myconf", f"{kind}=mine"])
    assert message.startswith(f"myconf/{kind}/mine.yaml:")
    assert f"{key} cannot be set" in message
    assert snapshot(home) == before


@dataclass
class Refusal:
    """A command line (``prepare``'s arguments) and a distinctive part of its one line."""

    id: str
    arguments: list[str]
    says: str
    files: dict[str, str] = field(default_factory=dict)


COMMAND_LINE = [
    Refusal("job-logging-group", ["hydra/job_logging=disabled"], "hydra/job_logging cannot be"),
    Refusal("hydra-logging-group", ["hydra/hydra_logging=none"], "hydra/hydra_logging cannot"),
    Refusal("callbacks", ["+hydra.callbacks.x._target_=os.system"], "hydra.callbacks cannot"),
    Refusal("hydra-node", ["hydra={}"], "hydra cannot be set"),
    Refusal("delete-hydra", ["~hydra.job_logging"], "~hydra.job_logging: keys cannot be deleted"),
    Refusal("launcher-aws", ["hydra/launcher=ray_aws"], "hydra/launcher=ray_aws: not available"),
    Refusal(
        "joblib-option",
        ["-m", "hydra/launcher=joblib", "hydra.launcher.temp_folder=/tmp", "seed=1,2"],
        "hydra.launcher.temp_folder cannot be set",
    ),
    Refusal(
        "rerun",
        ["--experimental-rerun", "f.pickle"],
        "--experimental-rerun loads a pickle file",
    ),
    Refusal("completion", ["-sc", "install=bash"], "does not install or remove shell"),
    Refusal("completion-remove", ["--shell-completion", "uninstall=zsh"], "does not install"),
    Refusal("config-name", ["--config-name", "other"], "--config-name replaces"),
    Refusal("config-path", ["--config-path", "/tmp"], "--config-path replaces"),
    # -- 2. interpolations
    Refusal("env", ["scenario.title=${oc.env:HOME}"], "scenario.title: interpolations"),
    Refusal("decode", ["seed=${oc.decode:'7'}"], "seed: interpolations"),
    Refusal("now-in-seed", ["seed=${now:%Y}"], "seed: interpolations"),
    Refusal("self", ["sim.months=${sim.replicates}"], "sim.months: interpolations"),
    Refusal("in-sweep", ["-m", "seed=1,${oc.env:HOME}"], "seed: interpolations"),
    Refusal("env-in-run-dir", ["hydra.run.dir=x/${oc.env:HOME}"], "an output folder may use"),
    Refusal("nested-now", ["hydra.run.dir='${now:${oc.env:X}}'"], "hydra.run.dir: interpolations"),
    Refusal("launcher-env", ["hydra.launcher.n_jobs=${oc.env:N}"], "interpolations"),
    # -- 3. values
    Refusal("bool-2", ["sim.trajectories=2"], "sim.trajectories: invalid value 2; allowed: true"),
    Refusal("bool-weapons", ["policy.advanced_weapons=2"], "policy.advanced_weapons: invalid"),
    Refusal("bool-yes", ["sim.figures=yes"], "sim.figures: invalid value 'yes'"),
    Refusal("bool-sweep", ["-m", "policy.aid=true,0"], "policy.aid: invalid value 0"),
    Refusal("delete-sim", ["~sim"], "~sim: keys cannot be deleted"),
    Refusal("delete-seed", ["~seed"], "~seed: keys cannot be deleted"),
    Refusal("delete-plots", ["~plots"], "~plots: keys cannot be deleted"),
    Refusal("delete-scenario", ["~scenario"], "~scenario: keys cannot be deleted"),
    Refusal("add-unknown", ["+sim.foo=1"], "unknown key 'sim.foo'; allowed keys here: replicates"),
    Refusal("add-root", ["+foo=1"], "unknown key 'foo'"),
    Refusal(
        "seed-2**64", ["seed=18446744073709551616"], "must be between 0 and 9223372036854775807"
    ),
    Refusal("members-empty", ["doctrine.nato.members={}"], "doctrine.nato.members={}: an empty"),
    Refusal("timing-empty", ["policy.timing={}"], "policy.timing={}: an empty mapping"),
    Refusal("underscores", ["uncertainty.follow_through.low=1_000.5e-3_0"], "without underscores"),
    Refusal("underscores-int", ["sim.replicates=1_000"], "sim.replicates: write numbers without"),
    Refusal("underscores-sweep", ["-m", "seed=range(1_0,20)"], "seed: write numbers without"),
    Refusal(
        "sweep-presets",
        ["-m", "sweep=policy_grid,deep_strikes"],
        "sweep: one preset sweep at a time",
    ),
    Refusal("shuffle", ["-m", "seed=shuffle(1,2,3)"], "seed: glob() and shuffle() sweeps are not"),
    Refusal("glob", ["-m", "scenario=glob(*)"], "scenario: glob() and shuffle() sweeps"),
    Refusal("title-long", [f"scenario.title={'x' * 201}"], "scenario.title: 201 characters; at"),
    Refusal("name-path", ["scenario.name=../../x"], "scenario.name='../../x': a scenario's name"),
]


@pytest.mark.parametrize("case", COMMAND_LINE, ids=[case.id for case in COMMAND_LINE])
def test_the_command_line_is_refused_in_one_line(home, case):
    before = snapshot(home)
    assert case.says in refused(case.arguments)
    assert snapshot(home) == before


#: Files of one's own (under ``myconf/``) and the line ``--config-dir myconf`` refuses them with.
USER_FILES = [
    Refusal(
        "hydra-block",
        ["scenario=mine"],
        "myconf/scenario/mine.yaml:7: hydra.output_subdir cannot be set",
        {"scenario/mine.yaml": SCENARIO + "hydra:\n  output_subdir: ../victim\n"},
    ),
    Refusal(
        "run-dir-in-file",
        ["scenario=mine"],
        "mine.yaml:8: hydra.run.dir cannot be set in a config file (it would move the output)",
        {"scenario/mine.yaml": SCENARIO + "hydra:\n  run:\n    dir: /tmp/elsewhere\n"},
    ),
    Refusal(
        "sweep-subdir-in-preset",
        ["sweep=mine"],
        "myconf/sweep/mine.yaml:10: hydra.sweep.subdir cannot be set",
        {"sweep/mine.yaml": SWEEP + "      seed: 1,2\n  sweep:\n    subdir: ../x\n"},
    ),
    Refusal(
        "hydra-key-swept-by-a-preset",
        ["sweep=mine"],
        "hydra.job.name cannot be set",
        {"sweep/mine.yaml": SWEEP + "      hydra.job.name: a,b\n"},
    ),
    Refusal(
        "shuffle-in-preset",
        ["sweep=mine"],
        "seed: glob() and shuffle() sweeps are not supported",
        {"sweep/mine.yaml": SWEEP + "      seed: shuffle(1,2)\n"},
    ),
    Refusal(
        "defaults-logging",
        ["scenario=mine"],
        "mine.yaml:3: a defaults list of your own holds only _self_",
        {
            "scenario/mine.yaml": SCENARIO.replace(
                HEADER, HEADER + "defaults:\n  - override /hydra/job_logging: disabled\n"
            )
        },
    ),
    Refusal(
        "package-hydra",
        ["policy=mine"],
        "myconf/policy/mine.yaml:1: @package hydra.job is not a place in the model's config",
        {"policy/mine.yaml": "# @package hydra.job\nname: x\n"},
    ),
    Refusal(
        "root-config",
        [],
        "myconf/config.yaml: a --config-dir cannot replace the root config",
        {"config.yaml": "seed: 1\n"},
    ),
    Refusal(
        "hydra-folder",
        ["hydra/launcher=joblib"],
        "myconf/hydra: a --config-dir cannot replace Hydra's own configs",
        {"hydra/launcher/joblib.yaml": "n_jobs: 1\n"},
    ),
    Refusal(
        "env",
        ["scenario=mine"],
        "myconf/scenario/mine.yaml:4: interpolations (${...}) are not allowed",
        {"scenario/mine.yaml": SCENARIO.replace("title: Mine", "title: ${oc.env:HOME}")},
    ),
    Refusal(
        "decode",
        ["scenario=mine"],
        "myconf/scenario/mine.yaml:5: interpolations",
        {"scenario/mine.yaml": SCENARIO.replace("description: My", "description: ${oc.decode:x}")},
    ),
    Refusal(
        "alias-bomb",
        ["scenario=mine"],
        "YAML aliases (*name) are not allowed",
        {
            "scenario/mine.yaml": SCENARIO
            + "  sources: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"x{i}: &a{i} [*a{'' if i == 0 else i - 1}, *a{'' if i == 0 else i - 1}]\n"
                for i in range(30)
            )
        },
    ),
    Refusal(
        "bool-yes",
        ["scenario=mine"],
        "myconf/scenario/mine.yaml:7: sim.trajectories: invalid value 'yes'; allowed: true, false",
        {"scenario/mine.yaml": SCENARIO + "sim:\n  trajectories: yes\n"},
    ),
    Refusal(
        "bool-2",
        ["scenario=mine"],
        "mine.yaml:7: policy.advanced_weapons: invalid value '2'",
        {"scenario/mine.yaml": SCENARIO + "policy:\n  advanced_weapons: 2\n"},
    ),
    Refusal(
        "underscores",
        ["scenario=mine"],
        "myconf/scenario/mine.yaml:7: '1_000': write numbers without underscores",
        {"scenario/mine.yaml": SCENARIO + "sim:\n  replicates: 1_000\n"},
    ),
    Refusal(
        "members-empty",
        ["scenario=mine"],
        "mine.yaml:8: doctrine.nato.members: an empty mapping changes nothing",
        {"scenario/mine.yaml": SCENARIO + "doctrine:\n  nato:\n    members: {}\n"},
    ),
    Refusal(
        "title-long",
        ["scenario=mine"],
        "scenario.title: 120,000 characters; at most 200 allowed",
        {"scenario/mine.yaml": SCENARIO.replace("title: Mine", f"title: {'x' * 120_000}")},
    ),
    Refusal(
        "title-escape",
        ["scenario=mine"],
        "scenario.title: holds a control character ('\\x1b')",
        {"scenario/mine.yaml": SCENARIO.replace("title: Mine", 'title: "a\\e[31mb"')},
    ),
    Refusal(
        "too-large",
        ["scenario=mine"],
        "myconf/scenario/mine.yaml: larger than 256 KiB",
        {"scenario/mine.yaml": SCENARIO + "# " + "x" * MAX_CONFIG_BYTES + "\n"},
    ),
]


@pytest.mark.parametrize("case", USER_FILES, ids=[case.id for case in USER_FILES])
def test_a_users_config_file_is_refused_in_one_line_naming_file_and_line(home, case):
    for name, text in case.files.items():
        (home / "myconf" / name).parent.mkdir(parents=True, exist_ok=True)
        (home / "myconf" / name).write_text(text)
    before = snapshot(home)
    message = refused(["--config-dir", "myconf", *case.arguments])
    assert case.says in message
    assert "my notes" not in message and "xxxxxxxxxx" not in message  # no content echoed
    assert snapshot(home) == before


def test_a_link_out_of_the_config_folder_is_refused_everywhere(home, capsys, monkeypatch):
    secret = home / "secret.yaml"
    secret.write_text(SCENARIO.replace("My own scenario", "TOP SECRET"))
    (home / "myconf" / "scenario").mkdir(parents=True)
    (home / "myconf" / "scenario" / "mine.yaml").symlink_to(secret)
    says = "myconf/scenario/mine.yaml: a link out of --config-dir myconf"
    assert says in refused(["--config-dir", "myconf", "scenario=mine"])
    assert says in available_scenarios("myconf")["mine"].description
    monkeypatch.setattr(
        sys, "argv", ["escalation", "--config-dir", "myconf", "--show-scenario", "mine"]
    )
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    captured = capsys.readouterr()
    assert (exit_.value.code, captured.out) == (2, "")
    assert captured.err == f"escalation: error: {says}; keep your config files inside it\n"


def test_a_pipe_or_a_folder_is_not_read_as_a_config_file(home):
    os.mkfifo(home / "pipe.yaml")
    (home / "folder.yaml").mkdir()
    for name in ("pipe.yaml", "folder.yaml"):
        with pytest.raises(ConfigError, match=rf"^{name}: not a regular file"):
            read_config(home / name)
        with pytest.raises(ConfigError, match=rf"^{name}: not a regular file"):
            load_settings(name)


def test_a_listing_never_resolves_an_interpolation(home, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "s3cr3t")
    (home / "myconf" / "scenario").mkdir(parents=True)
    text = SCENARIO.replace("title: Mine", "title: ${oc.env:SECRET_TOKEN}")
    (home / "myconf" / "scenario" / "mine.yaml").write_text(text)
    listed = available_scenarios("myconf")["mine"]
    assert listed.title == "(cannot be used)"
    assert "interpolations (${...}) are not allowed" in listed.description
    assert "s3cr3t" not in cli.list_scenarios("myconf")


# -- what stays allowed ---------------------------------------------------------------------------

ALLOWED = [
    ["hydra.verbose=true", "hydra.run.dir=out/${now:%Y}/${scenario.name}"],
    ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "seed=1,2"],
    ["-m", "hydra/launcher=slurm", "hydra.launcher.partition=cpu", "seed=1,2"],
    ["-m", "hydra/launcher=ray_cluster", "+hydra.launcher.ray.init.num_gpus=0", "seed=1,2"],
    ["-m", "hydra/sweeper=batched", "hydra.sweeper.chunk=2", "seed=range(1,5)"],
    ["sweep=policy_grid"],
    ["+doctrine.nato.members.poland={caution:0.5,strike_share:0.0}", "sim.figures=false"],
    ["--config-dir", "myconf", "scenario=mine", "policy.aid=false"],
    ["--config-dir", "myconf", "sweep=mine", "hydra/launcher=joblib"],
]


@pytest.mark.parametrize("arguments", ALLOWED, ids=[" ".join(a) for a in ALLOWED])
def test_what_users_need_stays_allowed(home, arguments):
    (home / "myconf" / "scenario").mkdir(parents=True)
    (home / "myconf" / "sweep").mkdir(parents=True)
    (home / "myconf" / "scenario" / "mine.yaml").write_text(SCENARIO + "sim:\n  figures: false\n")
    preset = SWEEP.replace(HEADER, HEADER + "defaults:\n  - override /hydra/sweeper: batched\n")
    (home / "myconf" / "sweep" / "mine.yaml").write_text(preset + "      seed: 1,2\n")
    before = snapshot(home)
    assert prepare(arguments).arguments
    assert snapshot(home) == before


# -- the API --------------------------------------------------------------------------------------

API = [
    ({"scenario.title": "${oc.env:HOME}"}, "scenario.title: interpolations"),
    ({"sim.trajectories": 2}, "sim.trajectories: invalid value 2; allowed: true, false"),
    ({"policy.aid": "yes"}, "policy.aid: invalid value 'yes'"),
    ({"seed": MAX_SEED + 1}, "seed=9223372036854775808 is out of range"),
    ({"seed": -1}, "seed=-1 is out of range: must be between 0 and 9223372036854775807"),
    ({"scenario.title": "x" * 201}, "scenario.title: 201 characters"),
    ({"doctrine": {"nato.members": {}}}, "doctrine.nato.members must include 'france'"),
]


@pytest.mark.parametrize(("params", "says"), API, ids=[says for _, says in API])
def test_the_api_refuses_the_same_values(params, says):
    with pytest.raises(ConfigError, match="^" + re.escape(says)):
        load_settings(**params)


def test_the_api_reads_ones_own_files_with_the_same_checks(home):
    (home / "myconf" / "scenario").mkdir(parents=True)
    path = home / "myconf" / "scenario" / "mine.yaml"
    path.write_text(SCENARIO.replace("title: Mine", "title: ${oc.env:HOME}"))
    for call in (
        lambda: load_settings("mine", config_dir="myconf"),
        lambda: load_settings("myconf/scenario/mine.yaml"),
    ):
        with pytest.raises(ConfigError, match=r"mine\.yaml:4: interpolations"):
            call()
    path.write_text(SCENARIO)
    os.mkfifo(home / "myconf" / "scenario" / "pipe.yaml")  # never read: not selected
    assert load_settings("myconf/scenario/mine.yaml", config_dir="myconf").scenario.title == "Mine"


# -- helpers --------------------------------------------------------------------------------------


def test_shown_values_are_short_and_carry_no_control_character():
    assert shown_value("a\x1b[31mb") == "'a\\x1b[31mb'"
    long = shown_value("y" * 1000)
    assert len(long) <= 60 and "..." in long


@pytest.mark.parametrize(
    ("text", "underscored"),
    [
        ("1_000.5e-3_0", True),
        ("range(1_0,20)", True),
        ("-1_0", True),
        ("1e-3_0", True),
        ("1000", False),
        ("policy_grid", False),
        ("'1_000'", False),
        ("x_1_2", False),
    ],
)
def test_numbers_with_underscores_are_recognised(text, underscored):
    assert underscored_number(text) is underscored


def test_schema_types_by_dotted_key():
    assert schema_type("sim.trajectories") is bool
    assert schema_type("doctrine.nato.members.poland.caution") is float
    assert schema_type("uncertainty.follow_through.low") is float
    assert schema_type("sim.nope") is None


def test_the_allow_list():
    assert hydra_setting_allowed("hydra.run.dir")
    assert not hydra_setting_allowed("hydra.run.dir", in_file=True)
    assert hydra_setting_allowed("hydra.launcher.n_jobs", "joblib")
    assert not hydra_setting_allowed("hydra.launcher.n_jobs", "slurm")
    assert hydra_setting_allowed("hydra.sweeper.params.policy.troops", in_file=True)
    assert not hydra_setting_allowed("hydra.launcher")
    assert not hydra_setting_allowed("hydra.job.env_set.X")


# -- end to end: nothing outside is touched --------------------------------------------------------


def _pickle_that_writes(path: Path) -> bytes:
    """A pickle that, once loaded, creates ``path``: what --experimental-rerun would run."""

    class Writes:
        def __reduce__(self):
            return (Path.touch, (path,))

    return pickle.dumps(Writes())


END_TO_END = [
    ("output-subdir", ["hydra.output_subdir=../victim"], "hydra.output_subdir cannot be set"),
    (
        "logging-file",
        [
            "hydra.job_logging.handlers.file.filename=../victim/x.log",
            "+hydra.job_logging.handlers.file.mode=w",
        ],
        "hydra.job_logging.handlers.file.filename cannot be set",
    ),
    (
        "hydra-block-in-file",
        ["--config-dir", "myconf", "scenario=mine"],
        "myconf/scenario/mine.yaml:10: hydra.job_logging.handlers.file.filename cannot be set",
    ),
    ("rerun", ["--experimental-rerun", "job.pickle"], "--experimental-rerun loads a pickle"),
]


@pytest.mark.parametrize(("name", "arguments", "says"), END_TO_END, ids=[c[0] for c in END_TO_END])
def test_the_command_refuses_and_touches_nothing(tmp_path, name, arguments, says):
    home = tmp_path / "home"
    (home / "victim").mkdir(parents=True)
    for victim in ("config.yaml", "x.log", "outcomes.csv"):
        (home / "victim" / victim).write_text("the user's\n")
    (home / "myconf" / "scenario").mkdir(parents=True)
    logging = "hydra:\n  job_logging:\n    handlers:\n      file:\n        filename: victim/x.log\n"
    (home / "myconf" / "scenario" / "mine.yaml").write_text(SCENARIO + logging)
    (home / "job.pickle").write_bytes(_pickle_that_writes(home / "pwned"))
    before = snapshot(home)
    result = subprocess.run(
        [str(BIN / "escalation"), *arguments, "sim.replicates=20", "sim.months=3"],
        cwd=home,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith("escalation: error: ") and says in line
    assert snapshot(home) == before
    assert not (home / "pwned").exists()

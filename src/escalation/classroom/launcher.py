"""The ``escalation-dashboard`` command: start the classroom dashboard on this machine.

It runs ``streamlit run`` on the packaged ``app.py`` with the packaged settings
(``streamlit.toml``: usage statistics off, served on 127.0.0.1) as defaults, so it behaves the
same from an installed package and from any working folder. Streamlit's own options pass
through and win: ``escalation-dashboard --server.port 8601 --server.headless true``.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

APP = Path(__file__).with_name("app.py")
SETTINGS = Path(__file__).with_name("streamlit.toml")

#: What the command says when Streamlit is missing: the commands that install it from a clone
#: (the package is not on PyPI, so ``pip install 'escalation[dashboard]'`` would fail).
MISSING_STREAMLIT = (
    "escalation-dashboard: error: Streamlit is missing; install the dashboard extra from the "
    "clone's folder: make dashboard (installs it and starts the dashboard), or "
    ".venv/bin/pip install -e '.[dashboard]'"
)

USAGE = """usage: escalation-dashboard [STREAMLIT OPTIONS]

Start the classroom dashboard in a browser (http://127.0.0.1:8501 by default). It works offline:
usage statistics are off and it serves 127.0.0.1 only unless told otherwise.
Streamlit's options pass through, e.g.
  escalation-dashboard --server.port 8601 --server.headless true
A link can carry settings: http://127.0.0.1:8501/?mode=compare&scenario=troops&seed=7
"""


def default_options(path: Path = SETTINGS) -> dict[str, str]:
    """The packaged Streamlit settings as ``--section.key`` options with their values.

    Args:
        path: The TOML file of settings.

    Returns:
        ``{"--browser.gatherUsageStats": "false", "--server.address": "127.0.0.1", ...}``.
    """
    options = {}
    for section, values in tomllib.loads(path.read_text(encoding="utf-8")).items():
        for key, value in values.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            options[f"--{section}.{key}"] = text
    return options


def command_line(arguments: list[str]) -> list[str]:
    """The ``streamlit run`` arguments: the app, the user's options, then the defaults not given.

    Args:
        arguments: The user's options (``--server.port 8601`` or ``--server.port=8601``).

    Returns:
        ``["run", APP, *arguments, *defaults]``; ``--server.headless true`` is added when
        standard input is not a terminal (no browser to open, no prompt to answer).
    """
    given = {argument.split("=", 1)[0] for argument in arguments if argument.startswith("--")}
    if not sys.stdin.isatty() and "--server.headless" not in given:
        # Without a terminal Streamlit's first-run e-mail prompt would end the command.
        arguments = [*arguments, "--server.headless", "true"]
        given.add("--server.headless")
    defaults = [
        part
        for option, value in default_options().items()
        if option not in given
        for part in (option, value)
    ]
    return ["run", str(APP), *arguments, *defaults]


def main(argv: list[str] | None = None) -> None:
    """Console entry point: ``escalation-dashboard [STREAMLIT OPTIONS]``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in ("-h", "--help"):
        print(USAGE, end="")
        return
    try:
        from streamlit.web import cli as streamlit_cli
    except ImportError:
        print(MISSING_STREAMLIT, file=sys.stderr)
        sys.exit(2)
    sys.argv = ["streamlit", *command_line(arguments)]
    sys.exit(streamlit_cli.main())

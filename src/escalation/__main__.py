"""``python -m escalation``: the same as the ``escalation`` command."""

from escalation.cli.app import main

main()

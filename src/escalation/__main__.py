"""``python -m escalation``: the same as the ``escalation`` command."""

from escalation.cli import main

main()

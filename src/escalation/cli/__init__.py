"""Stage 6, the commands that serve runs and sweeps alike.

``escalation`` (``app``) with its pre-run checks (``preflight``) and its folder rules
(``folders``), and ``escalation-report`` (``report``).
"""

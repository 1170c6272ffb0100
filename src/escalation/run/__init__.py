"""Stage 3, one run: simulate a scenario and write its tables, story and figures.

Imports ``escalation.config`` and ``escalation.model``, never the sweep, analysis or commands.
"""

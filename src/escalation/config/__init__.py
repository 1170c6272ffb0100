"""Stage 1, what a run is: schema, validation, scenarios, sampling and dates.

The typed schema (``schema``) and its checks (``validation``), the packaged scenarios and users'
own config folders (``scenarios``, ``userconf``), the sampling of uncertain assumptions
(``sampling``) and the dates of measures (``dates``). It imports only the shared vocabulary
below it (``escalation.ladder``, ``timeline``, ``files``, ``errors``).
"""

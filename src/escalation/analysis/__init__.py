"""Stage 5, what drives an outcome: sensitivity and scenario discovery on a sweep's table.

Feature scoring, Sobol indices and PRIM (``analyse``, ``methods``, ``study``), their report and
figures, the ``escalation-analyze`` command (``cli``) and the EMA Workbench adapter (``ema``).
"""

"""Hydra plugin of ``escalation``: the batched sweeper (``hydra/sweeper=batched``)."""

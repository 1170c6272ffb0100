"""The packaged Hydra configs of escalation (``escalation.conf``)."""

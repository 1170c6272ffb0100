"""The Hydra config groups of escalation, installed as the package ``escalation.conf``."""

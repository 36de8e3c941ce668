"""failgate: make git guard an AI agent's failure dataset."""

__version__ = "0.1.0"

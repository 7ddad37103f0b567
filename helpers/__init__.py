"""Helpers for the character-recognition notebooks: data, balancing, models, reports."""

__version__ = "0.1.0"

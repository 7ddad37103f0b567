"""Errors and warnings the bundle raises for bad input."""


class DataError(ValueError):
    """Input data that cannot be used; the message names the file or option and the problem."""


class DataWarning(UserWarning):
    """Input that was skipped or repaired; the message names the file."""

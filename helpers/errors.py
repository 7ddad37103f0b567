"""Errors and warnings the bundle raises for bad input.

A data defect (a file that cannot be read, images of the wrong shape) and a configuration
mistake (an unknown network, zero epochs, a schedule that does not exist) are different errors:
the first names the input and what is wrong with it, the second the option and what it allows.
The command lines print either as one `error:` line.
"""


class BundleError(ValueError):
    """Anything the bundle refuses with a message meant for the user. A notebook shows it as
    one line, `ConfigError: <message>`, not as a traceback through helpers/."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class DataError(BundleError):
    """Input data that cannot be used; the message names the file or array and the problem."""


class ConfigError(BundleError):
    """A parameter or option that is out of range or unknown; the message says what it allows."""


class DataWarning(UserWarning):
    """Input that was skipped or repaired; the message names the file."""


"""Counter operator clients: a Python library, a keyboard console and a web page."""

from .client import ClientClosed, CommandRefused, CommandResult, CounterClient, CounterError, SessionRefused

__all__ = ["ClientClosed", "CommandRefused", "CommandResult", "CounterClient", "CounterError", "SessionRefused"]

"""The affectzoo version, in a module of its own so anything can import it without a cycle."""

__version__ = "0.1.0"

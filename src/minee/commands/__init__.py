"""Subcommands of the ``minee`` command line: one module each, what they share in ``common``."""

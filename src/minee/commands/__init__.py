"""Subcommands of the ``minee`` command line (one module each)."""

"""Errors shared across the exporter's packages."""

from __future__ import annotations


class SettingsError(ValueError):
    """Operator input that cannot work; the message is the one line printed at exit."""

"""The package version: the one place it is written (hatchling reads it from here)."""

from __future__ import annotations

__version__ = "0.1.0"

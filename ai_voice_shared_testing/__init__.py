"""Test doubles for the AI Voice services: pytest fixtures, factories and strategies.

The pytest plugin (``ai_voice_shared_testing.plugin``) loads automatically through the
``pytest11`` entry point. Fixtures, factories and strategies arrive with their issues.
"""

from __future__ import annotations

__all__: list[str] = []

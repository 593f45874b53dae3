"""Every missing setting at once: a service that builds several clients from the environment
reports the problems of all their settings groups in one ConfigurationError, not one group per
run (``AsyncMediaIngest()`` names S3's and Twilio's together)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ai_voice_shared.errors import ConfigurationError

__all__ = ["SettingsGathering"]

T = TypeVar("T")


class SettingsGathering:
    """Build each default client, keeping its ``ConfigurationError`` instead of raising it;
    :meth:`check` then raises one error with them all (and closes what was built)."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.errors: list[ConfigurationError] = []
        self.built: list[object] = []

    def build(self, factory: Callable[[], T]) -> T | None:
        """``factory()``, or ``None`` when its settings are missing or invalid."""
        try:
            client = factory()
        except ConfigurationError as exc:
            self.errors.append(exc)
            return None
        self.built.append(client)
        return client

    def check(self) -> None:
        """Raise the gathered problems, if any, as one :class:`ConfigurationError`."""
        if not self.errors:
            return
        for client in self.built:
            close = getattr(client, "close", None)
            if callable(close):
                close()
        if len(self.errors) == 1:
            raise self.errors[0]
        problems = "\n\n".join(str(error) for error in self.errors)
        raise ConfigurationError(
            f"{self.owner} cannot be built from the environment: {len(self.errors)} groups of "
            f"settings are missing or invalid (all of them listed here):\n\n{problems}"
        )

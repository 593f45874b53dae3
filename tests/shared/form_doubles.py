"""Form sources that misbehave as a web framework's multi-dict or a lazy request body can."""

from __future__ import annotations

from collections.abc import Iterator, Mapping


class FormDataOf(dict[str, str]):
    """A multi-dict whose ``multi_items()`` (Starlette's API) returns whatever it was given."""

    def __init__(self, items: object) -> None:
        super().__init__()
        self.items_given = items

    def multi_items(self) -> object:
        return self.items_given


class QueryDictOf(dict[str, str]):
    """A multi-dict whose ``lists()`` (Django's and Werkzeug's API) returns what it was given."""

    def __init__(self, items: object) -> None:
        super().__init__()
        self.items_given = items

    def lists(self) -> object:
        return self.items_given


class BrokenMapping(Mapping[str, str]):
    """A mapping that fails while it is read, as a lazily read request body can."""

    def __getitem__(self, key: str) -> str:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("the connection closed")

    def __len__(self) -> int:
        return 1

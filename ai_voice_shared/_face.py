"""The one mechanism behind every package face: public names that load on first use.

A face (``ai_voice_shared``, ``ai_voice_shared.models``, ``ai_voice_shared_testing``, ...) lists
its names in a sorted ``__all__`` and says in one table which module defines each; this builds
the module's ``__getattr__`` and ``__dir__`` (PEP 562), so ``import ai_voice_shared`` costs
nothing until a name is used and ``S3Service`` imports boto3 only when first touched.

Written by hand rather than taken from ``lazy_loader`` (scientific-python): the mechanism is
these few lines, ``lazy_loader`` would be a runtime dependency of every service for them, and
its ``EAGER_IMPORT`` switch and ``.pyi``-stub convention are more than a face needs. There is no
fallback: a name missing from the table is an :class:`AttributeError`, and a table that names a
module without the name is an :class:`ImportError` that says which.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_face"]


def lazy_face(
    package: str, table: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of the face ``package``.

    ``table`` maps a module to the public names it defines; a module name with leading dots is
    relative to the face's package (``".services.s3_service"`` in ``ai_voice_shared``). A name
    resolves by importing its module and is then cached in the face's globals, so later lookups
    do not reach ``__getattr__``.
    """
    where: dict[str, str] = {}
    for module, names in table.items():
        for name in names:
            if name in where:
                raise ValueError(
                    f"{package}: {name!r} is listed under both {where[name]!r} and {module!r}"
                )
            where[name] = module

    def face_getattr(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            value = getattr(importlib.import_module(module, sys.modules[package].__package__), name)
        except AttributeError:
            raise ImportError(
                f"{package}.{name} is listed as defined in {module!r}, which has no {name!r}: "
                "the face's table is out of date."
            ) from None
        setattr(sys.modules[package], name, value)
        return value

    def face_dir() -> list[str]:
        face = sys.modules[package]
        return sorted({*vars(face), *getattr(face, "__all__", ()), *where})

    return face_getattr, face_dir

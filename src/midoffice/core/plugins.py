"""A small registry for plugins: every external system sits behind one of these.

A plugin kind (say, "dosis") defines an abstract base class; implementations register
under a name; configuration picks one by name. The demo and the tests use the fakes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PluginNotFound(LookupError):
    pass


class Registry(Generic[T]):
    """Named implementations of one plugin interface."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._plugins: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        def decorator(cls: type[T]) -> type[T]:
            if name in self._plugins:
                raise ValueError(f"{self.kind} plugin {name!r} is registered twice")
            self._plugins[name] = cls
            return cls

        return decorator

    def get(self, name: str) -> type[T]:
        try:
            return self._plugins[name]
        except KeyError:
            known = ", ".join(sorted(self._plugins)) or "none"
            raise PluginNotFound(f"no {self.kind} plugin {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._plugins)

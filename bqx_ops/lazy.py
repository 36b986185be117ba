"""pandas and numpy, imported on first use rather than when the code location loads.

Loading the code location (`dg check defs`, the code server, every run's start) builds definitions
only; pandas and numpy were ~40% of its CPU. Modules write ``from bqx_ops.lazy import pd`` and use
``pd`` as they would the module: the first attribute read imports it, later reads are plain
attribute hits (each one is kept on the proxy). Annotations stay unevaluated
(``from __future__ import annotations``) so that a signature does not import pandas either.
"""

import importlib
from types import ModuleType


class LazyModule:
    """A module imported on the first attribute read; the attributes read are kept on this object."""

    def __init__(self, name: str):
        self.__name = name
        self.__module: ModuleType | None = None

    def __getattr__(self, attr: str):
        if self.__module is None:
            self.__module = importlib.import_module(self.__name)
        value = getattr(self.__module, attr)
        setattr(self, attr, value)  # the next read of this name never reaches __getattr__
        return value

    def __repr__(self) -> str:
        state = "imported" if self.__module is not None else "not imported yet"
        return f"<lazy module {self.__name!r}, {state}>"


pd = LazyModule("pandas")
np = LazyModule("numpy")

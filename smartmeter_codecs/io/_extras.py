"""Optional third-party modules, imported only when a port is opened.

A missing extra is a :class:`MissingExtraError` naming the pip command, so the CLI can print
it as one line and a library user sees what to install.
"""
from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


# import name -> the name pip knows it by
_DISTRIBUTIONS = {"serial": "pyserial", "serial_asyncio_fast": "pyserial-asyncio-fast"}


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``smartmeter-codecs[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        raise MissingExtraError(
            f"{what} needs the optional package {_DISTRIBUTIONS.get(top, top)!r}: "
            f"pip install 'smartmeter-codecs[{extra}]'") from err

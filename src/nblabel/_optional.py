"""Optional dependencies: import one, or say exactly why it cannot be used.

"Not installed" and "installed but fails to import" (a pyarrow built for another numpy, say)
need different fixes, and libraries such as pandas report both as missing.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from types import ModuleType

from ._errors import NblabelError

__all__ = ["require"]


def require(module: str, *, extra: str, purpose: str, package: str | None = None) -> ModuleType:
    """Import ``module`` for ``purpose`` (e.g. "writing Parquet"), or raise a clear error.

    ``extra`` is the nblabel extra that installs it; ``package`` its name on PyPI when that
    differs from the module's.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = package or module
        try:
            installed = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            installed = False
        if not installed:
            raise NblabelError(
                f"{purpose} needs {package}, which is not installed: "
                f"pip install 'nblabel[{extra}]' (or pip install {package})"
            ) from None
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "of unknown version"
        import numpy

        raise NblabelError(
            f"{purpose} needs {package}: {package} {version} is installed but cannot be "
            f"imported ({type(exc).__name__}: {exc}). It was likely built for other versions "
            f"of the libraries it uses (this is numpy {numpy.__version__}): install a {package} "
            f"release made for them (pip install --upgrade {package} numpy, or pin {package} "
            "to an older release)"
        ) from exc

"""itspec: executable integration test specs.

The wheel carries the ``itspec`` binary (installed on PATH beside the Python
that installed it) and a pytest plugin, :mod:`itspec.pytest_plugin`, that
runs the cases of your specs as pytest items (docs/python.md).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = ["__version__", "find_itspec_bin"]


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return "unknown"
    try:
        return version("itspec")
    except PackageNotFoundError:
        return "unknown"


__version__ = _version()

_EXE = "itspec.exe" if os.name == "nt" else "itspec"


def _script_dirs() -> list[Path]:
    """Where an installer put this package's scripts: beside this Python
    (a virtualenv's bin/, pipx's and uv's tool environments), the install
    scheme's scripts folder, and the user scheme's (``pip install --user``)."""
    dirs = [Path(sys.executable).parent]
    try:
        dirs.append(Path(sysconfig.get_path("scripts")))
    except KeyError:  # pragma: no cover
        pass
    try:
        dirs.append(Path(sysconfig.get_path("scripts", f"{os.name}_user")))
    except KeyError:  # pragma: no cover - schemes without a user variant
        pass
    seen: list[Path] = []
    for d in dirs:
        if d not in seen:
            seen.append(d)
    return seen


def find_itspec_bin(explicit: str | os.PathLike[str] | None = None) -> str | None:
    """The ``itspec`` binary to run: ``explicit``, else ``$ITSPEC_BIN``, else
    the one installed with this package, else the first on PATH; ``None``
    when there is none."""
    for given in (explicit, os.environ.get("ITSPEC_BIN")):
        if given:
            found = shutil.which(os.fspath(given))
            return found if found else os.fspath(given)
    for folder in _script_dirs():
        candidate = folder / _EXE
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("itspec")

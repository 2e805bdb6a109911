"""``python -m itspec …`` runs the ``itspec`` binary installed with this package."""

from __future__ import annotations

import os
import subprocess
import sys

from itspec import find_itspec_bin


def main() -> int:
    binary = find_itspec_bin()
    if binary is None:
        sys.stderr.write(
            "error: the itspec binary is not installed beside this Python nor on PATH "
            "(reinstall the itspec wheel, or set ITSPEC_BIN)\n"
        )
        return 2
    args = [binary, *sys.argv[1:]]
    if os.name == "posix":
        os.execv(binary, args)
    return subprocess.call(args)  # pragma: no cover - Windows


if __name__ == "__main__":
    sys.exit(main())

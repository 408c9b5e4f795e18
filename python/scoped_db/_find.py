"""Where pip, pipx or uv installed the ``scoped-db`` binary."""

from __future__ import annotations

import os
import sys
import sysconfig


def find_scoped_db_bin() -> str:
    """Return the path of the ``scoped-db`` binary installed with this package.

    The wheel puts it in the scripts directory of the scheme the package was installed into: the
    environment's (a virtual environment, pipx, ``uv tool``), the user's (``pip install --user``),
    or a ``--target`` or ``--prefix`` directory next to this package.
    """
    exe = "scoped-db" + (sysconfig.get_config_var("EXE") or "")
    candidates = [sysconfig.get_path("scripts")]
    if sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    elif os.name == "nt":
        user_scheme = "nt_user"
    elif sys.platform == "darwin" and sys._framework:  # type: ignore[attr-defined]
        user_scheme = "osx_framework_user"
    else:
        user_scheme = "posix_user"
    candidates.append(sysconfig.get_path("scripts", scheme=user_scheme))
    # `pip install --target DIR`: DIR/scoped_db/ and DIR/bin/; `--prefix`: lib/pythonX.Y/site-packages.
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates.append(os.path.join(package_parent, "bin"))
    candidates.append(os.path.join(package_parent, "..", "..", "..", "bin"))
    for directory in candidates:
        path = os.path.join(directory, exe)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"the scoped-db binary was not found in {', '.join(candidates)}; "
        "reinstall the package (pip install --force-reinstall scoped-db)"
    )

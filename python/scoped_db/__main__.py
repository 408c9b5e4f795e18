"""``python -m scoped_db ...`` runs the ``scoped-db`` binary with the same arguments."""

from __future__ import annotations

import os
import subprocess
import sys

from scoped_db._find import find_scoped_db_bin


def main() -> None:
    binary = find_scoped_db_bin()
    if sys.platform == "win32":
        # Windows has no exec: run it and pass its exit status on.
        completed = subprocess.run([binary, *sys.argv[1:]], check=False)
        sys.exit(completed.returncode)
    os.execvp(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()

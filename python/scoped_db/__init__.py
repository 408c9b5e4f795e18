"""scoped-db: catch database connections and transactions that escape the scope that manages them.

The package carries the ``scoped-db`` binary; this module only finds it, for ``python -m
scoped_db`` and for tools that want its path.
"""

from scoped_db._find import find_scoped_db_bin

__all__ = ["find_scoped_db_bin"]

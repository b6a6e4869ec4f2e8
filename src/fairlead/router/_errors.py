"""What a router raises about its store: a file it cannot use, and one that is damaged."""

from __future__ import annotations

from fairlead.records import InputError

#: What a damaged store's message ends with: the way out.
REPAIR_HINT = (
    "`fairlead repair-store STORE --managers FILE` (or fairlead.repair_store(path, "
    "managers, policy)) recomputes the state from the leads table and says what it changed"
)


class StoreError(InputError):
    """The router store cannot be used as it is.

    Raised for a file that is not a fairlead router store, one written in a newer
    format, or one opened with other settings than it was created with. An
    :class:`~fairlead.InputError` (so a ``ValueError``): the store is an input of the
    router, named by ``field="store"`` and ``value`` (its path).

    Examples
    --------
    >>> from fairlead.router import DamagedStoreError, StoreError
    >>> issubclass(DamagedStoreError, StoreError) and issubclass(StoreError, ValueError)
    True
    """

    __module__ = "fairlead.router"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message, field="store", value=path)
        self.path = path


class DamagedStoreError(StoreError):
    """The router store holds what a router did not write: its books do not add up.

    The message says what does not match, with the ids and numbers involved;
    :func:`fairlead.router.repair_store` recomputes the state from the leads table.
    """

    __module__ = "fairlead.router"

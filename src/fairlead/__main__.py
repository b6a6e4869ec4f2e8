"""``python -m fairlead``: the same as the ``fairlead`` command."""

from fairlead.app import main

if __name__ == "__main__":
    raise SystemExit(main())

"""``fairlead`` on the command line, also as ``python -m fairlead.cli``."""

from fairlead.app import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())

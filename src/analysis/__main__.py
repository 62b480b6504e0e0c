"""Entry point for ``python -m analysis``: ``python -m analysis run --corpus corpus``."""

from analysis.cli import main

if __name__ == "__main__":
    main()

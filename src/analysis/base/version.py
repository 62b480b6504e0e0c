"""What a stored value or table was made by: the package version and the cache schema.

Usage::

    from analysis.base.version import program_version
    program_version()  # "0.1.0-s6"
"""

__version__ = "0.1.0"

#: Bump when the structure of a cached value or table changes, so old entries are never read back.
SCHEMA = 7


def program_version() -> str:
    """The package version and :data:`SCHEMA`: what a stored value or table was made by."""
    return f"{__version__}-s{SCHEMA}"

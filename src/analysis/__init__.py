"""Compare Danish municipal udsattepolitikker: from a corpus of policy documents to evidence.

The package follows the flow of text-as-data work::

    corpus -> ingest -> segment -> nlp -> themes -> clusters -> compare -> plots -> reports

Usage::

    from analysis import pipeline
    result = pipeline.run_pipeline("corpus", "outputs")
"""

__version__ = "0.1.0"

#: Bump when the structure of a cached value or table changes, so old entries are never read back.
SCHEMA = 5


def program_version() -> str:
    """The package version and :data:`SCHEMA`: what a stored value or table was made by."""
    return f"{__version__}-s{SCHEMA}"

"""Compare Danish municipal udsattepolitikker: from a corpus of policy documents to evidence.

The package follows the flow of text-as-data work::

    corpus -> ingest -> segment -> nlp -> themes -> clusters -> compare -> plots -> reports

Usage::

    from analysis import pipeline
    result = pipeline.run_pipeline("corpus", "outputs")
"""

__version__ = "0.1.0"

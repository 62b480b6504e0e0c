"""Comparison across municipalities: theme profiles with intervals, differences, similarity,
keyness, key words in context, and bottom-up clusters and topics of the segments.

Takes the measured segments; gives the comparison tables and ``cluster``/``topic`` per segment
(:func:`run.clusters_and_comparison`).
"""

"""The corpus: ``metadata.csv`` read and validated against the 98 municipalities, the documents
read in their formats, cleaned and cut into segments, and the documents and segments tables.

Takes a corpus folder; gives :class:`metadata.Corpus`, segments by document
(:func:`tables.ingest_corpus`) and the tables (:func:`tables.build_tables`). ``manage`` adds and
checks documents (``analysis add``, ``analysis check``).
"""

"""The Danish spaCy pipeline (blank "da" with the lookup lemmatizer, or a trained one when
installed): tokens, lemmas and stop words per segment, cached per document.

Takes segment texts by document; gives the token table (:func:`tokens.analyse_documents`).
"""

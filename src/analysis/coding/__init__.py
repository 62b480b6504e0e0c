"""The corpus's own hand coding: a seeded sample of paragraphs to code, coding sheets for
coders, reading them back into the corpus's annotations, agreement between the coders, the
method's accuracy on the corpus, and theme shares corrected for the measured error.

Takes the segments of a run and the corpus's ``coding/`` folder; gives the sample register,
the coding sheets, the annotations and the tables of :func:`own.own_coding`.
"""

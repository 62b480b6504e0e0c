"""The eight themes of the codebook measured per segment: the codebook and its lexicon, passing
mentions by sentence structure, the estimators, the development set and the hand coding, their
validation, and the measurement of a run.

Takes the segments and tokens tables; gives ``score_<theme>`` and ``theme_<theme>`` per segment
and the tables that explain them (:func:`measure.measure_themes`).
"""

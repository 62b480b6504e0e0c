"""The engine every stage stands on: settings, paths, errors, the cache, freshness of the
tables, parallel work, Danish language data, and the run's result type.

Takes nothing from the rest of the project; gives :func:`config.load_config`,
:class:`errors.InputError` (the one-line problems), :func:`cache.cached`,
:func:`parallel.map_documents`, :class:`result.RunResult` and :func:`version.program_version`.
"""

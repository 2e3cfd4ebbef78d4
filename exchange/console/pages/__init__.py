"""The console's pages, one module per page; each has a ``router`` that ``app.py`` includes.

A page calls the engine functions the CLI calls (the store, the scheduler, the
imports...): no logic lives here that a command would write again.
"""

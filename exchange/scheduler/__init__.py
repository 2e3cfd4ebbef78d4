"""Scheduled exchanges: cron translation (:mod:`.cron`), run records (:mod:`.runs`)
and the jobs (:mod:`.jobs`).

:func:`run_job` is named here because job tables store it by reference
(``exchange.scheduler:run_job``): jobs saved by an earlier version of the node
keep resolving.
"""

from exchange.scheduler.jobs import run_job

__all__ = ["run_job"]

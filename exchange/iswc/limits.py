"""The documented limits of CISAC's ISWC database, the defaults of ``[iswc]``.

From the REST API specification (2019-12-17): 10 requests a minute and 1,000,000
a month per agency (2.2.2); the batch operations take an array of items, which
the node sends 100 at a time; a workflow task left pending is completed by the
database after a configurable number of days, 30 by default (3.4).
"""

REQUESTS_PER_MINUTE = 10
REQUESTS_PER_MONTH = 1_000_000
BATCH_SIZE = 100
AUTO_APPROVE_DAYS = 30

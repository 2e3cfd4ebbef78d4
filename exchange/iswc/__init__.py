"""The node and CISAC's ISWC database: the agency REST API (see docs/iswc.md).

- :mod:`exchange.iswc.client`: the API's operations for one agency;
- :mod:`exchange.iswc.transport`: requests waited for, retried and recorded;
- :mod:`exchange.iswc.rate`: the rate limit shared by the node's processes;
- :mod:`exchange.iswc.payloads`: the Submission JSON built from a work;
- :mod:`exchange.iswc.answers`: the answers read into typed results;
- :mod:`exchange.iswc.codes`: error codes, title types, roles and other vocabularies;
- :mod:`exchange.iswc.repertoire`: our works submitted and looked up, answers kept;
- :mod:`exchange.iswc.tasks`: workflow tasks on our works;
- :mod:`exchange.iswc.notifications`: notification files applied to our works;
- :mod:`exchange.iswc.collect`: notification files collected from where ``[iswc]`` says.
"""

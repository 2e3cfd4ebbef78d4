"""A stand-in of CISAC's ISWC database, for the tests and for trying the node.

It follows the ISWC Database REST API specification (2019-12-17) in
``docs/standards/iswc/``: the paths, the subscription key in the
``Ocp-Apim-Subscription-Key`` header, the JSON shapes, 207 answers per item, the
error codes of the rules it checks (113 ISWC format, 141 check digit, 137 an IPI
name number it does not know, 155 concurrency, ...) and the rate limit (429).
It assigns ISWCs with correct check digits from T-900.000.001 on and keeps
everything in memory. It is not CISAC's database: no matching beyond the same
title and creators, no IPI data but a set of known name numbers, no
notification files.

Start it on a loopback port::

    python -m tests.iswc_standin --port 8099 --key KEY [--rpm 10] [--ipi FILE]
"""

"""Fuzzing the file readers: mutated CWR and ACK files, plain and zipped.

``python -m tests.fuzz --cases N`` runs N mutated files through ``validate``
and ``import`` and says which broke a promise (see :mod:`tests.fuzz.target`);
``tests/test_fuzz.py`` runs a short bounded campaign in the test suite.
"""

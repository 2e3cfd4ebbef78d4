"""Incoming files: the report every import gives, batching, applying accepted
transactions to the store, the import ledger, and one module per kind of incoming
file (CWR registrations, ACKs, MWN, spreadsheets, parties).
"""

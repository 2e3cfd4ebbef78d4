"""ISWC EDI v3.00 record layout table (package data): ``edi300.csv``."""

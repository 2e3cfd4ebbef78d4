"""Outgoing files: the claim policy (which claims of a work go to whom) and one
module per outgoing format (CWR, ACKs, MWN, spreadsheets).
"""

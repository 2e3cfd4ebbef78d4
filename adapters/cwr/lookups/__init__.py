"""CWR 2.x lookup tables (package data)."""

"""CWR 2.x record layout tables (package data)."""

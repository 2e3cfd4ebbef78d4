"""Disputed claims: the rules that detect them, their lifecycle, and the reports."""

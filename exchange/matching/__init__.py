"""Matching incoming works to the store: the matcher and the review queue of uncertain matches."""

"""Triage Lens."""

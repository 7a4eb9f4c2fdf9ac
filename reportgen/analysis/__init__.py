"""Stages, findings: what the numbers say."""

"""Reach dashboard and exports."""

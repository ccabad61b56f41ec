"""Costs: per-environment monthly reports from consolidated billing, for finance."""

"""Pandera contracts: one schema per input format, plus the metric catalogue's own."""

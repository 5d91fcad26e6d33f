"""Presenting results: the sweep's aggregate report (tables, dose-response plot, HTML)."""

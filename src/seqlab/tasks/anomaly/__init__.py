"""Anomaly detection on NAB-style series: fit a detector on a series' early part, score alarms
against labelled windows (point-wise, window-wise and NAB scores)."""

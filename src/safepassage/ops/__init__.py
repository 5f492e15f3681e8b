"""Corridor operations: report intake now; the event log, live state and API (issue 5) next."""

"""One router per resource: events, intake, state, public, reports, admin."""

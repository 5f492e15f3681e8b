"""Forecasts: Monte Carlo of convoys through checkpoint queues (in progress, issue 4)."""

"""Offline basemaps: vector tiles built from the user's own OpenStreetMap extract."""

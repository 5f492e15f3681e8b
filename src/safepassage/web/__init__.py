"""Web pages and their assets, all served from the package (no CDN, font or tile server): the
public status page (no script), the dashboard, the map component with offline basemaps, the
field reporters' page and the reports' templates (docs/web.md)."""

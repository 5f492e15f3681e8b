"""The HTTP API (FastAPI; its OpenAPI spec is at /openapi.json): `app` builds it, `deps` holds
authentication and every authorisation rule, `routes` one router per resource."""

"""The HTTP interface: the API under /api/v1, the pages, and the app factory."""

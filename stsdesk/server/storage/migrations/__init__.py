"""Alembic migrations of the STS database, shipped in the package (run by stsdesk.server.storage.migrate)."""

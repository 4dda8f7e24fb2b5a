"""The embedded STS: an ASGI application served by uvicorn over HTTPS."""

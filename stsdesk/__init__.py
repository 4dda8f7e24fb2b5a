"""stsdesk: administration console and embedded STS for WS-Trust security token services."""

__version__ = "0.1.0"

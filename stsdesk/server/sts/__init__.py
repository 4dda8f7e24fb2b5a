"""The WS-Trust endpoint: authentication, issuance and the token life cycle."""

"""Protocol and crypto, sans-IO: bytes and dataclasses in, bytes and dataclasses out."""

"""A machine without Kerberos, in process: python-gssapi (and MIT's libraries under it) cannot be
imported, so scenario 20 is the one scenario the STS cannot enforce."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from stsdesk.server.sts.kerberos import kerberos_unavailable_reason

__all__ = ["without_kerberos"]


@contextmanager
def without_kerberos() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, "gssapi", None)
        patch.setitem(sys.modules, "gssapi.raw", None)
        kerberos_unavailable_reason.cache_clear()
        try:
            yield
        finally:
            kerberos_unavailable_reason.cache_clear()
    kerberos_unavailable_reason.cache_clear()

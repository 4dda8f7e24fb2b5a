"""The Test client page: a request form, a controller driving the token session, a result view.

``form`` reads and checks what the person typed, ``controller`` (no widgets) runs the requests
off the GUI thread and keeps the session, ``result_view`` shows what came back; ``page``
wires the three together.
"""

from __future__ import annotations

from stsdesk.ui.pages.test_client.controller import (
    RequestFailure,
    ServerChoices,
    TestClientController,
    fetch_choices,
    keyring_key,
)
from stsdesk.ui.pages.test_client.form import (
    DEFAULT_TIMEOUT_SECONDS,
    IDENTITY_DIALECT,
    TokenRequestForm,
    endpoint_problem,
)
from stsdesk.ui.pages.test_client.page import TestClientPage
from stsdesk.ui.pages.test_client.result_view import TokenResultView

__all__ = [
    "TestClientPage", "TokenRequestForm", "TestClientController", "TokenResultView",
    "RequestFailure", "ServerChoices", "fetch_choices", "endpoint_problem", "keyring_key",
    "IDENTITY_DIALECT", "DEFAULT_TIMEOUT_SECONDS",
]

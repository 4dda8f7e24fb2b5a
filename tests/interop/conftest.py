"""The live HTTPS STS of the end-to-end tests, reused: the interop tests take its tokens."""

from tests.e2e.conftest import live_sts  # noqa: F401 - a pytest fixture

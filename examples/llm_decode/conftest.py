"""The decoder is built once per run: its 221 MB of random weights take about a second."""

import pytest
from model import TinyLlama


@pytest.fixture(scope="session")
def tiny_llama():
    return TinyLlama()

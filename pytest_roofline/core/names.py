"""The one form names are compared in: hardware, models and dtypes.

The closest-name suggestion ("did you mean ...") lives in :mod:`pytest_roofline.errors`,
because the errors that offer it import nothing of ours.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1024)
def normalize(name: str) -> str:
    """The form names are compared in: lower case, '-' for spaces and underscores.

    Cached: every roofline test looks its hardware name up, mostly the same few names.
    """
    return "-".join(name.strip().lower().replace("_", " ").split())

"""``python -m pytest_roofline`` runs the ``roofline`` command."""

from .cli import main

raise SystemExit(main())

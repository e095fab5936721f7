"""``python -m pytest_roofline`` runs the ``roofline`` command."""

from pytest_roofline.cli import main

raise SystemExit(main())

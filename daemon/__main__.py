"""`python -m daemon` runs the tronwatch CLI."""

from daemon.cli import main

raise SystemExit(main())

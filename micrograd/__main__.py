"""`python -m micrograd`: the command line (micrograd.cli)."""

from micrograd.cli.main import main

raise SystemExit(main())

"""``python -m seqviz run`` does what the ``seqviz`` command does."""

from seqviz.cli import main

raise SystemExit(main())

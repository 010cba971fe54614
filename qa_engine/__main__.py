"""`python -m qa_engine` is the `qa` command."""

from qa_engine.cli import main

main()

"""The `qa` command line (placeholder until the CLI lands)."""


def main() -> None:
    raise SystemExit("qa: not built yet")

"""Placeholder: this command group is being written (see docs/architecture.md)."""


def register(subparsers) -> None:
    pass

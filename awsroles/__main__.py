"""Entry point for ``python -m awsroles``."""

from awsroles.cli import main

if __name__ == "__main__":
    main()

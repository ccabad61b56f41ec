"""Entry point for ``python -m awsroles``."""

from awsroles.entry import main

if __name__ == "__main__":
    main()

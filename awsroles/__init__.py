"""awsroles: run AWS the multi-account way, with the whole org kept as code."""

__version__ = "0.1.0"

"""The local sandbox AWS: a moto server on 127.0.0.1 with awsroles' fixes for what moto does not
enforce, seeded from an org file.

- :mod:`.process`: the server's processes (:class:`~.process.Sandbox`, ``sandbox start|stop``).
- :mod:`.state`: the detached sandbox's state file. :mod:`.client`: talking to a running server.
- :mod:`.seed`: the org, the admin and the bill seeded into a fresh server; people enrolled.
- :mod:`.console_org`: an org made by hand in the console (path ``/``), to import.
- :mod:`.server`: the server itself and every moto workaround (the only package importing moto).

May import: awsroles.org, awsroles.iam, awsroles.aws, awsroles.errors, awsroles.fsutil, awsroles.paths,
awsroles.creds (shell variables).
"""

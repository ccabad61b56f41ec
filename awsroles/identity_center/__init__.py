"""The IAM Identity Center backend (``[org] identity = identity-center``): teams are Identity Store
groups, users Identity Store users, roles permission sets, grants account assignments.

``names`` (how awsroles names and marks what it makes), ``desired`` (the org -> what it manages),
``checks`` (the org file against Identity Center's rules), ``state`` (what is live), ``runner``
(apply's calls, with names resolved to ids and asynchronous requests waited on). The plan of it
is :mod:`awsroles.sync.identity_center`, beside IAM's and the other services'.

May import: awsroles.org, awsroles.errors.
"""

"""AWS Budgets as code: each environment's budget in the org file as the AWS Budget awsroles makes
in the billing account (``desired.py``), and the budgets that are there (``state.py``, read with a
Budgets client it is given). Planning and applying them is :mod:`awsroles.sync`'s, the Terraform
export :mod:`awsroles.export`'s; budget against actual cost is :mod:`awsroles.costs`'.

May import: awsroles.org, awsroles.errors.
"""

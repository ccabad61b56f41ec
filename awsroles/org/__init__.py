"""The org file: its model (``model.py`` the Org, ``entries.py`` what it holds, ``marks.py`` the
names and tags awsroles gives what it makes in AWS), parsing and validation (FILE:LINE),
comment-preserving edits, writing a whole file from the model (:mod:`awsroles.org.write`), and
the IAM name rules and quotas it checks.

Reading: ``dialect.py`` (the configparser settings), ``parse.py`` (the entry: parse_org,
check_org, load_org), ``keys.py`` (the sections and their keys), ``builder.py`` (values and
FILE:LINE problems), ``sections.py`` (one reader per kind of section), ``policyfile.py`` (a
role's policy documents, kept as canonical JSON by ``jsondoc.py``), ``checks.py`` (whole-model
checks, and how a caller adds its own); ``skim.py`` reads only the names a file declares,
unvalidated, for tab completion.

May import: nothing of awsroles but the top-level helpers (errors, fsutil); a test keeps it so.
The checks that need the IAM documents generated from the org (their sizes) live in
the IAM package (``iam/checks.py``), which passes them to the parser: commands validate through it.
"""

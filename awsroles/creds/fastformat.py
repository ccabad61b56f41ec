"""What the fast cache (:mod:`awsroles.creds.fastcache`, which writes) and the hot path
(:mod:`awsroles.creds.hotpath`, which reads) must agree on, kept once. No imports: the hot path
loads this on every AWS CLI call. The file names are in :mod:`awsroles.paths`.

A session file is one header line ``MAGIC EXPIRY NAME NONCE ORG`` (expiry in epoch seconds, the
session's name, the hex nonce, the org's name or ``-``; authenticated as associated data), then
the sealed ``credential_process`` JSON. The org is checked whenever one is asked for, so a
profile of one org is never answered with another org's session. Files of an older format are
misses (and are sealed again in this one).
"""

MAGIC = b"awsroles-fast-2"
NO_ORG = b"-"

# Refresh thresholds (seconds before expiry), as botocore's: advisory (refresh, but keep the old
# session if that fails; the hot path hands over to the full CLI from here), mandatory (never use it).
ADVISORY_REFRESH = 15 * 60
MANDATORY_REFRESH = 10 * 60

"""Size caps applied to cluster input before it is decoded.

A Secret can hold at most 1 MiB of decoded data (the API server's limit), so anything
larger cannot come from a real cluster and is refused before any work is done on it.
"""

from __future__ import annotations

#: Longest base64 string that can encode 1 MiB: 4 characters per 3 bytes, padded.
MAX_DATA_VALUE_CHARS = 4 * ((1024 * 1024 + 2) // 3)

#: Registry entries processed per secret; real secrets hold a handful, the rest is noise.
MAX_REGISTRIES = 1000

#: Colons a decoded docker config may hold before it is parsed at all. Every JSON object
#: member needs one, so this bounds the members ``json.loads`` would build: a hostile 1 MiB
#: config of 100k tiny registries is refused in a byte count instead of ~25 ms of parsing.
#: Real entries hold a handful of members plus colons in keys (``https:``, ports) and
#: values (a GCP key file): 16 per registry leaves room for MAX_REGISTRIES real ones.
MAX_CONFIG_COLONS = 16 * MAX_REGISTRIES

#: Longest string tried as a JWT. ACR refresh tokens are ~1.5 KiB; 16 KiB leaves room for
#: fat claims while keeping a hostile 1 MiB "token" away from base64 and JSON decoding.
MAX_JWT_CHARS = 16 * 1024

#: Longest annotation value read as a timestamp (RFC 3339 with nanoseconds is 35).
MAX_TIMESTAMP_CHARS = 64

#: Longest ECR password decoded; real ones (base64 of a KMS envelope) are 2-3 KiB.
MAX_ECR_PASSWORD_CHARS = 16 * 1024

"""Pull-secret credentials: parsing, expiry decoding and kubelet's registry matching.

Pure functions over cluster data: no I/O, no logging, and no secret material kept after
a call returns (only registry keys, kinds, times and keyed fingerprints).
"""

from exporter.credentials.annotations import (
    EXPIRES_AT_ANNOTATION,
    EXPIRES_AT_REGISTRY_PREFIX,
    GENERATOR_EXPIRY_ANNOTATIONS,
)
from exporter.credentials.credential import Credential, ExpirySource, ParsedSecret
from exporter.credentials.keyring import covering_keys, key_matches, registry_matches
from exporter.credentials.kinds import Kind, typical_lifetime_seconds
from exporter.credentials.problems import PULL_SECRET_TYPES, Problem
from exporter.credentials.pull_secret import parse_pull_secret
from exporter.credentials.registry_keys import normalise_registry_key

__all__ = [
    "EXPIRES_AT_ANNOTATION",
    "EXPIRES_AT_REGISTRY_PREFIX",
    "GENERATOR_EXPIRY_ANNOTATIONS",
    "PULL_SECRET_TYPES",
    "Credential",
    "ExpirySource",
    "Kind",
    "ParsedSecret",
    "Problem",
    "covering_keys",
    "key_matches",
    "normalise_registry_key",
    "parse_pull_secret",
    "registry_matches",
    "typical_lifetime_seconds",
]

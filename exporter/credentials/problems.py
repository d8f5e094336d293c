"""What can be wrong with a pull secret, one ``problem`` label value each."""

from __future__ import annotations

from enum import StrEnum

DOCKER_CONFIG_JSON_TYPE = "kubernetes.io/dockerconfigjson"
DOCKER_CFG_TYPE = "kubernetes.io/dockercfg"
#: The only secret types kubelet reads imagePullSecrets from (pkg/credentialprovider/
#: secrets): any other type referenced as an imagePullSecret is silently ignored.
PULL_SECRET_TYPES = frozenset({DOCKER_CONFIG_JSON_TYPE, DOCKER_CFG_TYPE})
#: The data key kubelet reads for each pull-secret type.
DATA_KEY_BY_TYPE = {DOCKER_CONFIG_JSON_TYPE: ".dockerconfigjson", DOCKER_CFG_TYPE: ".dockercfg"}


class Problem(StrEnum):
    """A reason a pull secret will not authenticate pulls as its owner expects."""

    #: The data value, or an entry's ``auth`` field, is not base64 (of ``user:password``).
    invalid_base64 = "invalid_base64"
    #: The decoded data is not JSON, or not the shape kubelet unmarshals (an object of
    #: objects of strings); kubelet fails every pull that uses the secret.
    invalid_json = "invalid_json"
    #: Valid JSON with no registry entry kubelet reads: no ``auths``, an empty map, only
    #: ``credHelpers``/``credsStore``, or the data key of the other pull-secret type.
    no_auths = "no_auths"
    #: A registry entry without a password (kubelet reads only ``auth`` or
    #: ``username``/``password``; ``identitytoken`` and ``registrytoken`` are ignored).
    empty_credentials = "empty_credentials"
    #: A registry key kubelet cannot use: empty, blanks or control characters, a user
    #: name, query or fragment in it, or no host.
    invalid_registry_key = "invalid_registry_key"
    #: The secret's type is not one kubelet reads pull credentials from.
    wrong_type = "wrong_type"
    #: Larger than any real secret (1 MiB of data, 1000 registries); the excess is skipped.
    too_large = "too_large"

"""The shell commands ``check`` prints to fix each problem, as an SRE would run them.

* One command per secret. A ``.dockerconfigjson`` is one value: writing one registry
  replaces all the others, so a secret with more than one registry is edited in place
  (``kubectl get -o json | jq | kubectl replace``: the entries that are fine are kept,
  and ``replace`` refuses to overwrite a change made since the ``get``), and a new
  config with several registries is written whole by ``jq -n``.
* No token on a command line, where ``ps``, the shell history and audit logs would see
  it (docs/runbooks.md holds the same rule): each is pasted at a ``read -rs`` prompt or
  taken from the issuer's CLI into a variable, and jq reads it from its environment
  (``$ENV.TOKEN_1``); the variables are unset at the end.
* Nothing is written when a step fails: the new config is made first, into a variable,
  and the secret is written only if that worked. (``kubectl create secret --from-file``
  fed by a pipe whose first command failed would write an empty secret.)
* Every value taken from the cluster (names, namespaces, registry keys) is shell-quoted:
  a registry key may legally hold ``$``, ``(`` or ``;``, and fixes are pasted into shells.
* The ``<user>`` placeholder is left unquoted on purpose: pasted unedited, the shell
  refuses it as a redirection, the step fails, and nothing is written.

>>> print(write_command("pull", "shop", DOCKER_CONFIG_JSON_TYPE,
...                     [login_for("ghcr.io", "github_pat")], exists=True))
read -rsp 'new token for ghcr.io: ' TOKEN_1 && [ -n "$TOKEN_1" ] && export TOKEN_1 \
&& config="$(jq -nc --arg r1 ghcr.io --arg u1 <user> '...')" && export config \
&& kubectl get secret pull --namespace shop -o json | jq '.data[".dockerconfigjson"] = \
($ENV.config | @base64) | del(...)' | kubectl replace -f -; unset TOKEN_1 config
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from shlex import quote

from exporter.credentials import EXPIRES_AT_ANNOTATION, EXPIRES_AT_REGISTRY_PREFIX
from exporter.credentials.ecr import is_ecr_registry
from exporter.credentials.kinds import ACR_USERNAME, GCP_ACCESS_TOKEN_USERNAME
from exporter.credentials.problems import DATA_KEY_BY_TYPE, DOCKER_CONFIG_JSON_TYPE

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
USER = "<user>"
REGISTRY = "<registry>"
WORKLOAD = "deployment/<workload>"
_PLACEHOLDERS = frozenset({USER, REGISTRY})

JQ_NOTE = (
    "needs jq 1.6 or later; the other entries are kept, and kubectl replace refuses to "
    "write over a change made since the get (run it again)"
)
# kubelet's keyring key of a docker config key, in jq: scheme dropped, an empty port
# dropped, one /v1/ or /v2/ dropped, a bare "/" dropped (exporter.credentials.registry_keys).
JQ_NORM = (
    'def norm: sub("^https?://"; "") | (index("/") // length) as $i'
    ' | (.[:$i] | sub(":$"; "")) + (.[$i:] | if test("^/v[12]/") then .[3:] else . end'
    ' | if . == "/" then "" else . end);'
)
_JQ_ENTRY = 'def entry($u; $p): {username: $u, password: $p, auth: ("\\($u):\\($p)" | @base64)};'
_ECR_REGION = re.compile(r"^[^.]+\.dkr(?:\.ecr(?:-fips)?|-ecr)\.([a-z0-9-]+)\.")
_ACR_NAME = re.compile(r"^([a-z0-9]+)\.azurecr\.(?:io|cn|us)$")
# An annotation name after the "/" is at most 63 characters of [-A-Za-z0-9_.].
_ANNOTATION_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def _word(value: str) -> str:
    return value if value in _PLACEHOLDERS else quote(value)


@dataclass(frozen=True, slots=True)
class Login:
    """How to get the credential of one registry entry."""

    registry: str
    username: str
    """A shell word: a fixed name (``AWS``) or the ``<user>`` placeholder."""
    token_command: str | None = None
    """A command printing the token (the issuer's CLI); ``None``: pasted at a prompt."""


def login_for(registry: str, kind: str | None) -> Login:
    """The credential to write for ``registry``, from the issuer's CLI where there is one.

    >>> login_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", None).token_command
    'aws ecr get-login-password --region eu-west-1'
    >>> login_for("quay.io", "basic")
    Login(registry='quay.io', username='<user>', token_command=None)
    """
    host = registry.partition("/")[0]
    if kind == "ecr" or (kind is None and is_ecr_registry(registry)):
        if host == "public.ecr.aws":
            return Login(registry, "AWS", "aws ecr-public get-login-password --region us-east-1")
        match = _ECR_REGION.match(host)
        region = match[1] if match else "<region>"
        return Login(registry, "AWS", f"aws ecr get-login-password --region {region}")
    if kind == "acr":
        match = _ACR_NAME.match(host)
        name = match[1] if match else "<registry name>"
        command = f"az acr login --name {name} --expose-token --output tsv --query accessToken"
        return Login(registry, ACR_USERNAME, command)
    if kind == "gcp_access_token":
        return Login(registry, GCP_ACCESS_TOKEN_USERNAME, "gcloud auth print-access-token")
    return Login(registry, USER)


def _variables(logins: Sequence[Login]) -> list[str]:
    return [f"TOKEN_{i}" for i in range(1, len(logins) + 1)]


def _get_tokens(logins: Sequence[Login]) -> str:
    """Each token into ``TOKEN_i``, exported for jq; an empty one stops the command."""
    steps = []
    for variable, login in zip(_variables(logins), logins, strict=True):
        if login.token_command is None:
            prompt = quote(f"new token for {login.registry}: ")
            steps.append(f"read -rsp {prompt} {variable}")
        else:
            steps.append(f'{variable}="$({login.token_command})"')
        steps.append(f'[ -n "${variable}" ]')
    return " && ".join([*steps, f"export {' '.join(_variables(logins))}"])


def _unset(logins: Sequence[Login], *more: str) -> str:
    return f"; unset {' '.join([*_variables(logins), *more])}"


def _jq_args(logins: Sequence[Login]) -> str:
    return " ".join(
        f"--arg r{i} {_word(login.registry)} --arg u{i} {login.username}"
        for i, login in enumerate(logins, 1)
    )


def _jq_entries(count: int) -> str:
    entries = (f"($r{i}): entry($u{i}; $ENV.TOKEN_{i})" for i in range(1, count + 1))
    return "{" + ", ".join(entries) + "}"


def _make_config(secret_type: str, logins: Sequence[Login]) -> str:
    """``config="$(jq -nc ...)"``: the new docker config, one entry per login."""
    document = _jq_entries(len(logins))
    if secret_type == DOCKER_CONFIG_JSON_TYPE:
        document = "{auths: " + document + "}"
    return f"config=\"$(jq -nc {_jq_args(logins)} '{_JQ_ENTRY} {document}')\""


def _create_secret(name: str, namespace: str, secret_type: str) -> str:
    """``kubectl create secret`` of ``name`` from ``$config`` (on stdin)."""
    key = DATA_KEY_BY_TYPE[secret_type]
    kind = (
        "docker-registry"
        if secret_type == DOCKER_CONFIG_JSON_TYPE
        else f"generic --type={quote(secret_type)}"
    )
    return (
        f"printf '%s' \"$config\" | kubectl create secret {kind} {_word(name)} "
        f"--from-file={key}=/dev/stdin --namespace {_word(namespace)}"
    )


def write_command(
    name: str, namespace: str, secret_type: str, logins: Sequence[Login], *, exists: bool
) -> str:
    """Overwrite all of the data of ``name`` (``exists``), or create it, with one entry per
    login. Never ``kubectl apply``: it would copy the data, token and all, into the
    last-applied-configuration annotation, where ``kubectl describe`` shows it. An existing
    secret is rewritten in place (its labels and annotations kept, that annotation
    dropped, and ``replace`` refuses to overwrite a change made since the ``get``)."""
    steps = [_get_tokens(logins), _make_config(secret_type, logins)]
    if exists:
        program = (
            f'.data["{DATA_KEY_BY_TYPE[secret_type]}"] = ($ENV.config | @base64) '
            f'| del(.metadata.annotations["{LAST_APPLIED}"])'
        )
        steps += [
            "export config",
            f"kubectl get secret {_word(name)} --namespace {_word(namespace)} -o json "
            f"| jq '{program}' | kubectl replace -f -",
        ]
    else:
        steps.append(_create_secret(name, namespace, secret_type))
    return " && ".join(steps) + _unset(logins, "config")


def recreate_command(name: str, namespace: str, logins: Sequence[Login]) -> str:
    """Delete ``name`` and create it again as a dockerconfigjson (a type cannot change).

    The new config is made first: if that fails, nothing is deleted.
    """
    delete = f"kubectl delete secret {_word(name)} --namespace {_word(namespace)}"
    steps = [
        _get_tokens(logins),
        _make_config(DOCKER_CONFIG_JSON_TYPE, logins),
        delete,
        _create_secret(name, namespace, DOCKER_CONFIG_JSON_TYPE),
    ]
    return " && ".join(steps) + _unset(logins, "config")


def edit_command(
    name: str, namespace: str, secret_type: str, keep: Iterable[str], logins: Sequence[Login]
) -> str:
    """Rewrite ``logins``' entries of an existing secret; keep those whose key is in
    ``keep``; drop the rest (entries with an unusable key, the ones being rewritten).

    If jq fails, ``kubectl replace`` gets nothing and writes nothing.
    """
    key = DATA_KEY_BY_TYPE[secret_type]
    kept = "with_entries(select(.key | norm | IN($keep[])))"
    entries = f"({kept} + {_jq_entries(len(logins))})"
    if secret_type == DOCKER_CONFIG_JSON_TYPE:
        entries = f".auths |= {entries}"
    program = (
        f'{JQ_NORM} {_JQ_ENTRY} .data["{key}"] |= '
        f"(@base64d | fromjson | {entries} | tojson | @base64)"
    )
    keep_json = json.dumps(list(dict.fromkeys(keep)), separators=(",", ":"))
    args = " ".join(filter(None, [f"--argjson keep {quote(keep_json)}", _jq_args(logins)]))
    edit = (
        f"kubectl get secret {_word(name)} --namespace {_word(namespace)} -o json "
        f"| jq {args} '{program}' | kubectl replace -f -"
    )
    if not logins:
        return edit
    return f"{_get_tokens(logins)} && {edit}{_unset(logins)}"


def copy_command(name: str, source: str, target: str) -> str:
    """Copy a secret into another namespace: name, type, data and annotations only (owner
    references, UIDs and managedFields belong to the original)."""
    program = (
        "{apiVersion, kind, type, data, metadata: {name: .metadata.name, annotations: "
        "((.metadata.annotations // {}) "
        f'| del(.["{LAST_APPLIED}"]))}}}}'
    )
    return (
        f"kubectl get secret {_word(name)} --namespace {_word(source)} -o json "
        f"| jq '{program}' | kubectl create --namespace {_word(target)} -f -"
    )


def annotate_command(name: str, namespace: str, registry: str) -> str:
    """Declare the new credential's expiry (the old annotation would still say expired)."""
    annotation = EXPIRES_AT_REGISTRY_PREFIX + registry
    if not _ANNOTATION_NAME.fullmatch(annotation.partition("/")[2]):
        annotation = EXPIRES_AT_ANNOTATION  # a port or path cannot be named in a key
    return (
        f"kubectl annotate secret {_word(name)} --namespace {_word(namespace)} --overwrite "
        f"{annotation}=<new expiry, RFC 3339>"
    )


def restart_commands(namespace: str, workloads: Iterable[str]) -> list[str]:
    """``kubectl rollout restart`` of each workload (guessed from its pods' names)."""
    return [
        f"kubectl rollout restart {w if w == WORKLOAD else quote(w)} --namespace {quote(namespace)}"
        for w in sorted(set(workloads))
    ]

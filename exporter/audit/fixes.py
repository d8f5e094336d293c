"""The shell commands ``check`` prints to fix each problem, as an SRE would run them.

* One command per secret. A ``.dockerconfigjson`` is one value: writing one registry
  with ``kubectl create secret docker-registry`` replaces all the others, so a secret
  with more than one registry is edited in place (``kubectl get -o json | jq | kubectl
  replace``: the entries that are fine are kept, and ``replace`` refuses to overwrite a
  change made since the ``get``), and a new secret with several registries is written
  whole by ``jq -n``.
* Every value taken from the cluster (names, namespaces, registry keys) is shell-quoted:
  a registry key may legally hold ``$``, ``(`` or ``;``, and fixes are pasted into shells.
* Placeholders (``<user>``, ``<new token>``) are left unquoted on purpose: run unedited,
  the shell refuses them as redirections instead of storing them in the secret.

>>> create_command("pull", "shop", login_for("ghcr.io", "github_pat"), apply=False)[38:]
'pull --docker-server=ghcr.io --docker-username=<user> --docker-password=<new token> ...'
>>> create_command("pull", "shop", login_for("ghcr.io/$(reboot)", None)).split()[5]
"--docker-server='ghcr.io/$(reboot)'"
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

USER = "<user>"
TOKEN = "<new token>"
REGISTRY = "<registry>"
WORKLOAD = "deployment/<workload>"
_PLACEHOLDERS = frozenset({USER, TOKEN, REGISTRY})

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
    """Shell words for the username and password of one registry entry."""

    registry: str
    username: str
    password: str


def login_for(registry: str, kind: str | None) -> Login:
    """The credential to write for ``registry``, from the issuer's CLI where there is one.

    >>> login_for("123456789012.dkr.ecr.eu-west-1.amazonaws.com", None).password
    '"$(aws ecr get-login-password --region eu-west-1)"'
    >>> login_for("quay.io", "basic")
    Login(registry='quay.io', username='<user>', password='<new token>')
    """
    host = registry.partition("/")[0]
    if kind == "ecr" or (kind is None and is_ecr_registry(registry)):
        if host == "public.ecr.aws":
            return Login(
                registry, "AWS", '"$(aws ecr-public get-login-password --region us-east-1)"'
            )
        match = _ECR_REGION.match(host)
        region = match[1] if match else "<region>"
        return Login(registry, "AWS", f'"$(aws ecr get-login-password --region {region})"')
    if kind == "acr":
        match = _ACR_NAME.match(host)
        name = match[1] if match else "<registry name>"
        command = f"az acr login --name {name} --expose-token --output tsv --query accessToken"
        return Login(registry, ACR_USERNAME, f'"$({command})"')
    if kind == "gcp_access_token":
        return Login(registry, GCP_ACCESS_TOKEN_USERNAME, '"$(gcloud auth print-access-token)"')
    return Login(registry, USER, TOKEN)


def create_command(name: str, namespace: str, login: Login, *, apply: bool = True) -> str:
    """``kubectl create secret docker-registry`` for a secret of one registry."""
    command = (
        f"kubectl create secret docker-registry {_word(name)} "
        f"--docker-server={_word(login.registry)} --docker-username={login.username} "
        f"--docker-password={login.password} --namespace {_word(namespace)}"
    )
    return f"{command} --dry-run=client -o yaml | kubectl apply -f -" if apply else command


def _jq_args(logins: Sequence[Login]) -> str:
    return " ".join(
        f"--arg r{i} {_word(login.registry)} --arg u{i} {login.username} "
        f"--arg p{i} {login.password}"
        for i, login in enumerate(logins, 1)
    )


def _jq_entries(count: int) -> str:
    return "{" + ", ".join(f"($r{i}): entry($u{i}; $p{i})" for i in range(1, count + 1)) + "}"


def _manifest(name: str, namespace: str, secret_type: str, logins: Sequence[Login]) -> str:
    """A command printing a new pull secret holding every one of ``logins``."""
    if secret_type == DOCKER_CONFIG_JSON_TYPE and len(logins) == 1:
        return create_command(name, namespace, logins[0], apply=False) + " --dry-run=client -o yaml"
    document = _jq_entries(len(logins))
    if secret_type == DOCKER_CONFIG_JSON_TYPE:
        document = "{auths: " + document + "}"
    key = DATA_KEY_BY_TYPE[secret_type]
    program = (
        f'{_JQ_ENTRY} {{apiVersion: "v1", kind: "Secret", type: "{secret_type}", '
        f'metadata: {{name: $name, namespace: $ns}}, data: {{"{key}": ({document} | tojson '
        f"| @base64)}}}}"
    )
    return (
        f"jq -n --arg name {_word(name)} --arg ns {_word(namespace)} {_jq_args(logins)} '{program}'"
    )


def write_command(
    name: str, namespace: str, secret_type: str, logins: Sequence[Login], *, exists: bool
) -> str:
    """Overwrite all of the data of ``name`` (``exists``), or create it, with one entry per
    login. A new secret is created, not applied: ``kubectl apply`` would copy the data into
    its last-applied-configuration annotation."""
    if secret_type == DOCKER_CONFIG_JSON_TYPE and len(logins) == 1:
        return create_command(name, namespace, logins[0], apply=exists)
    verb = "apply" if exists else "create"
    return f"{_manifest(name, namespace, secret_type, logins)} | kubectl {verb} -f -"


def recreate_command(name: str, namespace: str, logins: Sequence[Login]) -> str:
    """Delete ``name`` and create it again as a dockerconfigjson (a type cannot change).

    The new manifest is made first: if that fails (a placeholder left unedited), nothing
    is deleted.
    """
    manifest = _manifest(name, namespace, DOCKER_CONFIG_JSON_TYPE, logins)
    return (
        f'manifest="$({manifest})" && kubectl delete secret {_word(name)} --namespace '
        f"{_word(namespace)} && printf '%s\\n' \"$manifest\" | kubectl create -f -"
    )


def edit_command(
    name: str, namespace: str, secret_type: str, keep: Iterable[str], logins: Sequence[Login]
) -> str:
    """Rewrite ``logins``' entries of an existing secret; keep those whose key is in
    ``keep``; drop the rest (entries with an unusable key, the ones being rewritten)."""
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
    return (
        f"kubectl get secret {_word(name)} --namespace {_word(namespace)} -o json "
        f"| jq {args} '{program}' | kubectl replace -f -"
    )


def copy_command(name: str, source: str, target: str) -> str:
    """Copy a secret into another namespace: name, type, data and annotations only (owner
    references, UIDs and managedFields belong to the original)."""
    program = (
        "{apiVersion, kind, type, data, metadata: {name: .metadata.name, annotations: "
        "((.metadata.annotations // {}) "
        '| del(.["kubectl.kubernetes.io/last-applied-configuration"]))}}'
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

"""``imagepull-exporter simulate``: run the Kubernetes API simulator in the foreground.

Writes a kubeconfig pointing at it, prints one ready line, serves until SIGINT/SIGTERM.
With a token (the default generates one) it serves HTTPS with a self-signed certificate
that the kubeconfig trusts, because kubectl sends tokens only over TLS.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import sys

from exporter.simulator import ScenarioError, Simulator
from exporter.simulator.chaos import DEFAULT_STALL_SECONDS, validate_rate, validate_stall_seconds

NAME = "simulate"
HELP = "run the Kubernetes API simulator on a scenario and write a kubeconfig for it"


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``simulate`` flags."""
    parser.add_argument(
        "--listen",
        type=_listen,
        default=("127.0.0.1", 0),
        metavar="HOST:PORT",
        help="address to serve on; port 0 picks a free port (default 127.0.0.1:0)",
    )
    parser.add_argument(
        "--kubeconfig-out", required=True, metavar="PATH", help="kubeconfig to write"
    )
    parser.add_argument(
        "--scenario",
        default="demo",
        metavar="NAME_OR_PATH",
        help="built-in scenario name or YAML file (default demo)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="bearer token clients must send (default: a random one, written to the kubeconfig)",
    )
    parser.add_argument(
        "--no-auth",
        action="store_true",
        help="serve plain HTTP without a token (kubectl then sends no credentials)",
    )
    parser.add_argument(
        "--bookmark-interval",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how often idle watches get a BOOKMARK event (default 60)",
    )
    parser.add_argument(
        "--chaos-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="inject a random fault into this fraction (0-1) of API requests and watch "
        "events: dropped streams, truncated lines, 410, 429, 500/503, stalls, restarts "
        "(default 0: off; POST /simulator/v1/chaos changes it at run time)",
    )
    parser.add_argument(
        "--chaos-stall-seconds",
        type=float,
        default=DEFAULT_STALL_SECONDS,
        metavar="SECONDS",
        help="how long a chaotic stall keeps a watch silent before ending it; make it longer "
        "than the client's inactivity timeout (the exporter's is 90 s) to exercise stall "
        f"detection (default {DEFAULT_STALL_SECONDS:g})",
    )
    parser.add_argument(
        "--chaos-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the chaos decisions, for a repeatable sequence (default: random)",
    )


class KubeconfigError(Exception):
    """The kubeconfig cannot be written where ``--kubeconfig-out`` says."""


async def _serve(args: argparse.Namespace, sim: Simulator) -> None:
    host, port = args.listen
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(
            signum, stop.set
        )  # before the ready line: callers may signal at once
    url = await sim.start(host, port)
    try:
        try:
            sim.write_kubeconfig(args.kubeconfig_out)
        except OSError as error:
            raise KubeconfigError(
                f"cannot write --kubeconfig-out {args.kubeconfig_out}: {error.strerror}"
            ) from None
        print(f"simulator ready at {url} (kubeconfig: {args.kubeconfig_out})", flush=True)
        await stop.wait()
    finally:
        await sim.stop()


def _check_chaos(args: argparse.Namespace) -> str | None:
    """The error line for a bad chaos flag, if any."""
    try:
        validate_rate(args.chaos_rate)
    except ValueError:
        return f"--chaos-rate must be between 0 and 1, got {args.chaos_rate}"
    try:
        validate_stall_seconds(args.chaos_stall_seconds)
    except ValueError:
        return f"--chaos-stall-seconds must be a positive number, got {args.chaos_stall_seconds}"
    return None


def run(args: argparse.Namespace) -> int:
    """Run the simulator until SIGINT/SIGTERM; 2 for a bad scenario, address, kubeconfig
    path or chaos flag."""
    if (problem := _check_chaos(args)) is not None:
        print(f"imagepull-exporter simulate: {problem}", file=sys.stderr)
        return 2
    token = None if args.no_auth else args.token or secrets.token_urlsafe(24)
    sim = Simulator(
        token=token,
        bookmark_interval=args.bookmark_interval,
        tls=token is not None,
        chaos_rate=args.chaos_rate,
        chaos_seed=args.chaos_seed,
        chaos_stall_seconds=args.chaos_stall_seconds,
    )
    try:
        sim.load_scenario(args.scenario)
    except (ScenarioError, ValueError) as error:
        print(f"imagepull-exporter simulate: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args, sim))
    except KubeconfigError as error:
        print(f"imagepull-exporter simulate: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"imagepull-exporter simulate: cannot serve on {args.listen[0]}:{args.listen[1]}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return 2
    return 0

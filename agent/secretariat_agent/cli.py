"""`secretariat-agent`: the command line.

  secretariat-agent serve --allowed-origin https://office.example [--port 8987] [token options]
  secretariat-agent sign --download URL --upload URL [token options]
  secretariat-agent sign-digest --digest URL --signature-url URL [token options]

Token options: --module SO (or $SECRETARIAT_AGENT_MODULE), --token-label L, --key-label K. The
PIN is asked on the terminal, or read from the environment variable named by --pin-env (for
automation); never from the command line, where other users of the computer could read it.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence

from . import __version__, flows
from .errors import EXIT_OK, EXIT_USAGE, AgentError
from .protocol import Http
from .server import Agent, run
from .token import TokenConfig

DEFAULT_PORT = 8987


def _token_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--module",
        default=os.environ.get("SECRETARIAT_AGENT_MODULE", ""),
        help="the token's PKCS#11 library (default: $SECRETARIAT_AGENT_MODULE)",
    )
    parser.add_argument("--token-label", help="the token's label (default: the only token)")
    parser.add_argument("--key-label", help="the signing key's label (default: the only key)")
    parser.add_argument(
        "--pin-env",
        metavar="VAR",
        help="read the PIN from this environment variable instead of asking on the terminal",
    )
    parser.add_argument("--ca-file", help="PEM file of the server's certificate authority")


def _timestamp_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--tsa-url", help="RFC 3161 time-stamp authority (PAdES B-T)")
    group.add_argument(
        "--no-timestamp",
        action="store_true",
        help="do not use the time-stamp authority the server offers (PAdES B-B)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="secretariat-agent",
        description="Sign Secretariat documents with your USB token.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="wait for the web page on the loopback WebSocket")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="URL",
        help="address of the Secretariat server whose pages may use the agent (repeatable)",
    )
    _token_options(serve)
    _timestamp_options(serve)

    sign = commands.add_parser("sign", help="sign one PDF: download, sign, upload")
    sign.add_argument("--download", required=True, metavar="URL")
    sign.add_argument("--upload", required=True, metavar="URL")
    _token_options(sign)
    _timestamp_options(sign)

    digest = commands.add_parser("sign-digest", help="sign the digest of a PDF kept on the server")
    digest.add_argument("--digest", required=True, metavar="URL")
    digest.add_argument("--signature-url", required=True, metavar="URL")
    _token_options(digest)
    return parser


def pin_source(pin_env: str | None) -> Callable[[], str]:
    """How to get the PIN when the token is opened: the environment or the terminal."""
    prompt_lock = threading.Lock()

    def from_env() -> str:
        value = os.environ.get(pin_env or "")
        if not value:
            raise AgentError("pin_missing", f"The environment variable {pin_env} holds no PIN.")
        return value

    def from_terminal() -> str:
        with prompt_lock:
            try:
                return getpass.getpass("PIN of your token: ")
            except (EOFError, KeyboardInterrupt) as error:
                raise AgentError("pin_missing", "No PIN was entered.") from error

    return from_env if pin_env else from_terminal


def _token(args: argparse.Namespace) -> TokenConfig:
    return TokenConfig(module=args.module, token_label=args.token_label, key_label=args.key_label)


def _say(message: str) -> None:
    print(f"secretariat-agent: {message}", file=sys.stderr, flush=True)


def _progress(step: str) -> None:
    texts = {
        "pin": "opening the token",
        "download": "fetching the document",
        "sign": "signing on the token",
        "upload": "sending the signature",
    }
    _say(texts.get(step, step))


def _sign(args: argparse.Namespace) -> int:
    http = Http(ca_file=args.ca_file)
    if args.command == "sign":
        answer = flows.sign_pdf_url(
            download=args.download,
            upload=args.upload,
            token=_token(args),
            pin=pin_source(args.pin_env),
            http=http,
            timestamp_url=args.tsa_url,
            server_timestamp=not args.no_timestamp,
            progress=_progress,
        )
    else:
        answer = flows.sign_digest_url(
            digest=args.digest,
            signature=args.signature_url,
            token=_token(args),
            pin=pin_source(args.pin_env),
            http=http,
            progress=_progress,
        )
    print(json.dumps(answer, ensure_ascii=False), flush=True)
    _say(str(answer.get("Message") or "signed"))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    if not args.allowed_origin:
        _say(
            "give the address of your Secretariat server with --allowed-origin (e.g."
            " --allowed-origin https://office.example.gov.vn): other web pages must not be"
            " able to use your token."
        )
        return EXIT_USAGE
    agent = Agent(
        token=_token(args),
        pin=pin_source(args.pin_env),
        http=Http(ca_file=args.ca_file),
        allowed_origins=args.allowed_origin,
        timestamp_url=args.tsa_url,
        server_timestamp=not args.no_timestamp,
    )

    def ready(port: int) -> None:
        print(f"secretariat-agent listening on ws://127.0.0.1:{port}", flush=True)

    try:
        asyncio.run(run(agent, port=args.port, ready=ready))
    except KeyboardInterrupt:
        return EXIT_OK
    except OSError as error:
        _say(f"cannot listen on 127.0.0.1:{args.port} ({error.strerror or error}).")
        return EXIT_USAGE
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        return _sign(args)
    except AgentError as error:
        if error.answer is not None:
            print(json.dumps(error.answer, ensure_ascii=False), flush=True)
        _say(error.message)
        return error.exit_status


if __name__ == "__main__":
    sys.exit(main())

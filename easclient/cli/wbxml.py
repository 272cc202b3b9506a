"""`eas wbxml decode|encode`: convert between EAS WBXML and its XML form."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from easclient.cli import fail
from easclient.cli.groups import tools_app
from easclient.wbxml import VERSIONS, WBXMLError, decode, encode, from_xml, to_xml

FileArg = Annotated[str, typer.Argument(help="Input file, or - for standard input.")]


def _read(name: str) -> bytes:
    try:
        if name == "-":
            return sys.stdin.buffer.read()
        return Path(name).read_bytes()
    except OSError as exc:
        raise fail(f"cannot read {name}: {exc.strerror or exc}") from None


wbxml_group = typer.Typer(
    name="wbxml",
    help="Decode EAS WBXML to XML, or encode XML to WBXML (MS-ASWBXML).",
    no_args_is_help=True,
)


@wbxml_group.command("decode")
def decode_command(
    file: FileArg,
    lenient: Annotated[
        bool,
        typer.Option(
            "--lenient",
            help="Keep unknown code pages/tokens as placeholders (page254:0x05) and ignore "
            "bytes after the root; each is reported on stderr.",
        ),
    ] = False,
    compact: Annotated[bool, typer.Option("--compact", help="No indentation.")] = False,
) -> None:
    """Print a WBXML document as XML."""
    data = _read(file)
    report: list[WBXMLError] = []
    try:
        tree = decode(data, lenient=lenient, report=report)
        text = to_xml(tree, pretty=not compact)
    except WBXMLError as exc:
        hint = "; it looks like XML: eas wbxml encode" if data.lstrip()[:1] == b"<" else ""
        raise fail(f"{file}: {exc}{hint}") from None
    for problem in report:
        typer.echo(f"eas: warning: {file}: {problem}", err=True)
    typer.echo(text, nl=not text.endswith("\n"))


@wbxml_group.command("encode")
def encode_command(
    file: FileArg,
    output: Annotated[
        str, typer.Option("-o", "--output", help="Output file, or - for standard output.")
    ],
    protocol: Annotated[
        str | None,
        typer.Option(
            "--protocol",
            help=f"With --strict, refuse tags this protocol version lacks ({', '.join(VERSIONS)}).",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Refuse tags the --protocol version lacks (needs it)."),
    ] = False,
) -> None:
    """Encode an XML document as WBXML."""
    if strict and protocol is None:
        raise fail("--strict needs --protocol VERSION (the version whose tags to allow)")
    data = _read(file)
    try:
        wbxml = encode(from_xml(data), version=protocol, strict=strict)
    except WBXMLError as exc:
        raise fail(f"{file}: {exc}") from None
    try:
        if output == "-":
            stream = sys.stdout.buffer
            stream.write(wbxml)
            stream.flush()
        else:
            Path(output).write_bytes(wbxml)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None


tools_app.add_typer(wbxml_group)

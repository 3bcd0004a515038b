"""Reading dbt artifact files safely: size caps, gzip, JSON errors with places.

Nothing here touches the database. Every failure raises ``ArtifactError`` whose message
names the file and, where it can, the JSON path or the line and column.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from catalog.dbt import schema as s

# The newest schema version of each artifact that this code was written against.
KNOWN_VERSIONS: dict[str, int] = {"manifest": 12, "catalog": 1, "run_results": 6, "sources": 3}
_URL_KIND = {
    "manifest": "manifest",
    "catalog": "catalog",
    "run-results": "run_results",
    "sources": "sources",
}
_SCHEMA_RE = re.compile(r"/dbt/(?P<kind>[a-z\-]+)/v(?P<version>\d+)\.json$")
ARTIFACT_KINDS = ("manifest", "catalog", "run_results", "sources")
_CHUNK = 1024 * 1024


class ArtifactError(Exception):
    """A file that cannot be ingested; the message says which file and where."""

    def __init__(self, file_name: str, message: str) -> None:
        self.file_name = file_name
        super().__init__(f"{file_name}: {message}")


@dataclass
class ArtifactFile:
    """A file as it was given to Lexicon, before it is read."""

    name: str
    path: Path | None = None
    content: bytes | None = None
    # From a form field or CLI file name; checked against the content.
    declared_kind: str | None = None


@dataclass
class LoadedArtifact:
    kind: str
    name: str
    version: int
    schema_url: str
    size: int
    sha256: str
    data: Any  # the decoded struct (Manifest, Catalog, RunResults, Sources)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "schema_version": f"{self.kind.replace('_', '-')}/v{self.version}",
        }


@dataclass
class ArtifactBundle:
    manifest: LoadedArtifact
    catalog: LoadedArtifact | None = None
    run_results: LoadedArtifact | None = None
    sources: LoadedArtifact | None = None
    warnings: list[str] = field(default_factory=list)

    def files(self) -> list[LoadedArtifact]:
        return [
            a
            for a in (self.manifest, self.catalog, self.run_results, self.sources)
            if a is not None
        ]


def _open(artifact: ArtifactFile) -> BinaryIO:
    if artifact.content is not None:
        return io.BytesIO(artifact.content)
    assert artifact.path is not None
    try:
        return artifact.path.open("rb")
    except OSError as exc:
        raise ArtifactError(artifact.name, f"cannot be opened: {exc.strerror or exc}") from None


def read_limited(artifact: ArtifactFile, limit: int) -> bytes:
    """The file's bytes, gunzipped when gzip, refusing anything over ``limit`` bytes.

    The limit applies to the decompressed size and is enforced while reading, so a
    gzip bomb stops at ``limit`` bytes instead of filling memory.
    """
    with _open(artifact) as raw:
        head = raw.read(2)
        raw.seek(0)
        stream: BinaryIO = raw
        compressed = head == b"\x1f\x8b"
        if compressed:
            stream = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
        chunks: list[bytes] = []
        total = 0
        try:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    what = "decompresses to more than" if compressed else "is larger than"
                    raise ArtifactError(
                        artifact.name,
                        f"{what} the limit of {limit:,} bytes "
                        "(LEXICON_MAX_ARTIFACT_BYTES); refused.",
                    )
                chunks.append(chunk)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise ArtifactError(artifact.name, f"is a damaged gzip file: {exc}") from None
    return b"".join(chunks)


def _line_col(data: bytes, offset: int) -> str:
    offset = max(0, min(offset, len(data)))
    line = data.count(b"\n", 0, offset) + 1
    col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {col}"


def _first_invalid_utf8(data: bytes) -> int | None:
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), _CHUNK):
        try:
            decoder.decode(data[start : start + _CHUNK], final=start + _CHUNK >= len(data))
        except UnicodeDecodeError as exc:
            # The decoder may hold back up to 3 bytes of a split character from the previous chunk.
            return max(0, start + exc.start - len(decoder.getstate()[0]))
    return None


def _decode_error(name: str, data: bytes, exc: BaseException, where: str = "$") -> ArtifactError:
    if isinstance(exc, UnicodeDecodeError):
        data = bytes(data)  # an entry decoded on its own arrives as msgspec.Raw
        offset = _first_invalid_utf8(data)
        place = f" at byte {offset:,} ({_line_col(data, offset)})" if offset is not None else ""
        scope = f" of {where}" if where != "$" else ""
        return ArtifactError(name, f"is not UTF-8 text: invalid byte{place}{scope}.")
    if isinstance(exc, RecursionError):
        scope = f" (under {where})" if where != "$" else ""
        return ArtifactError(name, f"nests JSON too deeply to be a dbt artifact{scope}; refused.")
    message = str(exc)
    if isinstance(exc, msgspec.ValidationError):
        if where != "$":
            message = message.replace("`$", f"`{where}", 1)
        if " - at `" not in message:
            message = f"{message} - at `{where}`"
        return ArtifactError(name, f"has a value of the wrong type: {message}")
    if "truncated" in message:
        return ArtifactError(
            name, f"is not complete JSON: it ends early at byte {len(data):,} (truncated?)."
        )
    match = re.search(r"\(byte (\d+)\)", message)
    if match:
        offset = int(match.group(1))
        reason = message.split("(byte")[0].replace("JSON is malformed:", "").strip()
        return ArtifactError(name, f"is not valid JSON: {reason} at {_line_col(data, offset)}.")
    return ArtifactError(name, f"is not valid JSON: {message}")


def decode(name: str, data: bytes, struct: type, where: str = "$") -> Any:
    try:
        return msgspec.json.decode(data, type=struct)
    except (
        msgspec.DecodeError,
        msgspec.ValidationError,
        UnicodeDecodeError,
        RecursionError,
    ) as exc:
        raise _decode_error(name, data, exc, where) from None


def identify(name: str, data: bytes) -> tuple[str, int, str]:
    """(kind, version, schema url) from ``metadata.dbt_schema_version``."""
    stripped = data.lstrip()[:1]
    if stripped == b"[":
        raise ArtifactError(
            name, "is a JSON array; a dbt artifact is a JSON object with a `metadata` key."
        )
    if stripped and stripped != b"{":
        # Not JSON at all: let the decoder produce the precise message.
        decode(name, data, s.Envelope)
    envelope = decode(name, data, s.Envelope)
    url = envelope.metadata.dbt_schema_version if envelope.metadata else None
    if not url:
        raise ArtifactError(
            name,
            "has no metadata.dbt_schema_version: it is not a dbt artifact, or it was written by a "
            "dbt older than 0.19, which Lexicon does not read.",
        )
    match = _SCHEMA_RE.search(url)
    if not match or match.group("kind") not in _URL_KIND:
        raise ArtifactError(name, f"has an unknown metadata.dbt_schema_version {url!r}.")
    return _URL_KIND[match.group("kind")], int(match.group("version")), url


_STRUCTS: dict[str, type] = {
    "manifest": s.Manifest,
    "catalog": s.Catalog,
    "run_results": s.RunResults,
    "sources": s.Sources,
}


def load(artifact: ArtifactFile, limit: int) -> LoadedArtifact:
    data = read_limited(artifact, limit)
    if not data.strip():
        raise ArtifactError(artifact.name, "is empty.")
    kind, version, url = identify(artifact.name, data)
    if artifact.declared_kind and artifact.declared_kind != kind:
        raise ArtifactError(
            artifact.name,
            f"was given as {artifact.declared_kind} but is a {kind} file ({url}).",
        )
    decoded = decode(artifact.name, data, _STRUCTS[kind])
    return LoadedArtifact(
        kind=kind,
        name=artifact.name,
        version=version,
        schema_url=url,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=decoded,
    )


def load_bundle(files: list[ArtifactFile], limit: int) -> ArtifactBundle:
    """Read, identify and decode every file; exactly one manifest is required."""
    loaded: dict[str, LoadedArtifact] = {}
    for artifact in files:
        item = load(artifact, limit)
        if item.kind in loaded:
            raise ArtifactError(
                artifact.name,
                f"is a second {item.kind} file (the first was {loaded[item.kind].name}); "
                "give one of each.",
            )
        loaded[item.kind] = item
    if "manifest" not in loaded:
        given = ", ".join(f"{a.name} ({a.kind})" for a in loaded.values()) or "no files"
        raise ArtifactError(
            "manifest.json",
            "is required: catalog, run_results and sources are read against a manifest. "
            f"Given: {given}.",
        )
    bundle = ArtifactBundle(
        manifest=loaded["manifest"],
        catalog=loaded.get("catalog"),
        run_results=loaded.get("run_results"),
        sources=loaded.get("sources"),
    )
    for item in bundle.files():
        newest = KNOWN_VERSIONS[item.kind]
        if item.version > newest:
            bundle.warnings.append(
                f"{item.name}: schema {item.kind.replace('_', '-')}/v{item.version} "
                f"is newer than the newest Lexicon knows (v{newest}); "
                "read leniently, unknown fields ignored."
            )
    return bundle


def files_from_paths(paths: list[Path]) -> list[ArtifactFile]:
    """Expand a dbt ``target/`` directory into its artifact files; plain files are kept."""
    out: list[ArtifactFile] = []
    for path in paths:
        if path.is_dir():
            for kind in ARTIFACT_KINDS:
                for suffix in (".json", ".json.gz"):
                    candidate = path / f"{kind}{suffix}"
                    if candidate.exists():
                        out.append(
                            ArtifactFile(name=str(candidate), path=candidate, declared_kind=kind)
                        )
                        break
        else:
            out.append(ArtifactFile(name=str(path), path=path))
    return out

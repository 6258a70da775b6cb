"""Xares LLM Logging Proxy addon for mitmproxy 8.1 (Debian 12's package).

Loaded by mitmdump (see xares-mitmproxy.sh). What it does, per the "mitmproxy container contract":

* Proxy authentication against the htpasswd file PROXY_USERS_FILE (lines `user:$apr1$...`, written by the
  app at any time; re-read when its stat signature changes; a missing file means nobody is let in).
  Missing or wrong credentials get 407 with `Proxy-Authenticate`, for CONNECT and for plain HTTP requests;
  such flows are never forwarded, counted or recorded. Every flow inside an authenticated CONNECT tunnel
  belongs to the user who opened the tunnel. `Proxy-Authorization` is removed from every request, so it
  never reaches an upstream.
* Domain counting per user: one count per plain request and per HTTP request inside an intercepted tunnel
  (a tunnel that never carried an HTTP request, e.g. a failed TLS handshake, counts once for its CONNECT
  when it closes). Deltas are flushed to `domains-<epochms>-<8hex>.json` every <= 2 s when something
  changed, and at shutdown.
* One `llm-<epochms>-<8hex>.json` per request to an LLM API host, with secret headers redacted and bodies
  decoded (gzip, deflate, br, zstd), each at most MAX_BODY bytes (then `truncated: true`).
* Memory stays bounded: every authenticated body is streamed through (mitmproxy buffers nothing); for LLM
  hosts a tee keeps at most MAX_BODY raw bytes per body. Server-sent events therefore reach the client at
  once and are still recorded complete. mitmproxy 8.1 calls a callable `stream` with each chunk and once
  more with b"" at the end of the message; the `response` hook then fires for the finished (streamed)
  response, and the `error` hook instead when the exchange breaks off.

Files are written atomically: `<name>.tmp` first, then renamed; the app reads only `*.json`.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import hashlib
import io
import json
import os
import secrets
import time
import zlib
from typing import Callable, Optional

import passlib.apache
from mitmproxy import connection, ctx, http

try:  # Debian's mitmproxy depends on both, but recording must not break if one is missing.
    import brotli  # type: ignore
except ImportError:  # pragma: no cover
    brotli = None
try:
    import zstandard  # type: ignore
except ImportError:  # pragma: no cover
    zstandard = None

PROXY_USERS_FILE = os.environ.get("XARES_PROXY_USERS_FILE", "/etc/xares/proxy-users")
RECORDS_DIR = os.environ.get("XARES_RECORDS_DIR", "/var/lib/xares/records")
# Bytes kept per body (raw and decoded); larger bodies are passed through in full but recorded truncated.
MAX_BODY = 5 * 1024 * 1024
# Seconds between checks for new domain counts to flush.
FLUSH_INTERVAL = 1.0
REALM = "Xares proxy"

LLM_HOST_SUFFIXES = (
    "openai.com",
    "anthropic.com",
    "generativelanguage.googleapis.com",
    "openrouter.ai",
    "deepseek.com",
    "mistral.ai",
    "z.ai",
    "huggingface.co",
    "opencode.ai",
    "chatgpt.com",
)
REDACTED_HEADERS = frozenset(
    ["authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie", "x-goog-api-key"]
)
REDACTED = "[redacted]"

# flow.metadata keys
META_USER = "xares_user"
META_DENIED = "xares_denied"
META_RECORD = "xares_record"


def normalize_host(host: str) -> str:
    """Lower-case host name without a trailing dot (ports are never part of mitmproxy's `host`)."""
    return host.strip().rstrip(".").lower()


def is_llm_host(host: str) -> bool:
    """True when `host` equals one of LLM_HOST_SUFFIXES or ends with "." + one of them."""
    host = normalize_host(host)
    return any(host == s or host.endswith("." + s) for s in LLM_HOST_SUFFIXES)


def iso_ms(ts: float) -> str:
    """UTC ISO-8601 timestamp with milliseconds and a `Z`, e.g. 2026-12-01T23:15:00.123Z."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_record_id(ts: Optional[float] = None) -> str:
    """`<epoch ms, 13 digits>-<8 hex>`, the id and file-name stem of our record files."""
    ms = int((time.time() if ts is None else ts) * 1000)
    return f"{ms:013d}-{secrets.token_hex(4)}"


def write_atomically(directory: str, name: str, payload: dict) -> None:
    """Writes JSON to `<directory>/<name>.tmp`, fsyncs it, then renames it to `<directory>/<name>`."""
    final = os.path.join(directory, name)
    tmp = final + ".tmp"
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)


def redact_headers(headers: http.Headers) -> list:
    """Headers as `[[name, value], ...]` in their order, secret values replaced by "[redacted]"."""
    return [[k, REDACTED if k.lower() in REDACTED_HEADERS else v] for k, v in headers.items(multi=True)]


class BoundedTee:
    """A `stream` callable for mitmproxy: passes every chunk on unchanged and keeps the first `limit` bytes."""

    def __init__(self, limit: int = MAX_BODY):
        self.limit = limit
        self.parts: list = []
        self.size = 0
        self.truncated = False

    def __call__(self, chunk: bytes) -> bytes:
        if chunk:
            room = self.limit - self.size
            if room > 0:
                kept = chunk[:room]
                self.parts.append(kept)
                self.size += len(kept)
            if len(chunk) > max(room, 0):
                self.truncated = True
        return chunk

    def data(self) -> bytes:
        return b"".join(self.parts)


def decode_body(raw: bytes, content_encoding: str, limit: int = MAX_BODY) -> tuple:
    """Removes the content encodings (comma-separated, applied in order) from `raw`.

    Returns `(data, truncated, error)`: at most `limit` decoded bytes; a partial (cut off) compressed body
    yields what could be decoded; an unknown or broken encoding yields the bytes as they were and an error text.
    """
    encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    data = raw
    truncated = False
    for encoding in reversed(encodings):
        if encoding in ("identity", ""):
            continue
        try:
            data, cut = _decode_one(data, encoding, limit)
        except Exception as error:  # noqa: BLE001 - any decoder failure means "keep it undecoded"
            return raw[:limit], len(raw) > limit, f"cannot decode {encoding}: {error}"
        truncated = truncated or cut
    if len(data) > limit:
        data, truncated = data[:limit], True
    return data, truncated, None


def _inflate(data: bytes, wbits: int, limit: int, members: bool) -> tuple:
    out = bytearray()
    pending = data
    while pending:
        d = zlib.decompressobj(wbits)
        out += d.decompress(pending, limit + 1 - len(out))
        if len(out) > limit:
            return bytes(out[:limit]), True
        # Concatenated gzip members: go on with the rest after the end of this member.
        if members and d.eof and d.unused_data:
            pending = d.unused_data
        else:
            break
    return bytes(out), False


def _decode_one(data: bytes, encoding: str, limit: int) -> tuple:
    if encoding in ("gzip", "x-gzip"):
        return _inflate(data, 16 + zlib.MAX_WBITS, limit, members=True)
    if encoding == "deflate":
        # zlib-wrapped deflate as the RFC says, else raw deflate as some servers send it.
        try:
            return _inflate(data, zlib.MAX_WBITS, limit, members=False)
        except zlib.error:
            return _inflate(data, -zlib.MAX_WBITS, limit, members=False)
    if encoding == "br":
        if brotli is None:
            raise ValueError("brotli module missing")
        d = brotli.Decompressor()
        out = bytearray()
        # Small slices keep one step's output small (brotli 1.0.9 has no output limit: a crafted bomb can
        # still produce a large single step; LLM APIs are not expected to send such bodies).
        for i in range(0, len(data), 1024):
            out += d.process(data[i : i + 1024])
            if len(out) > limit:
                return bytes(out[:limit]), True
        return bytes(out), False
    if encoding == "zstd":
        if zstandard is None:
            raise ValueError("zstandard module missing")
        # A stream reader bounds each step's output (a decompression bomb stops at the limit).
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
        out = bytearray()
        try:
            while len(out) <= limit:
                piece = reader.read(65536)
                if not piece:
                    break
                out += piece
        except zstandard.ZstdError:
            if not out:
                raise
        if len(out) > limit:
            return bytes(out[:limit]), True
        return bytes(out), False
    raise ValueError("unsupported encoding")


def body_fields(tee: Optional[BoundedTee], content_encoding: str) -> dict:
    """`body`, `bodyEncoding` ("utf8" or "base64") and `truncated` of a record's request/response."""
    raw = tee.data() if tee else b""
    truncated = bool(tee and tee.truncated)
    data, cut, _error = decode_body(raw, content_encoding)
    truncated = truncated or cut
    try:
        text = data.decode("utf-8")
        return {"body": text, "bodyEncoding": "utf8", "truncated": truncated}
    except UnicodeDecodeError as error:
        # A body cut inside a multi-byte character is still text: drop the incomplete tail.
        if truncated and error.start >= len(data) - 3:
            try:
                return {"body": data[: error.start].decode("utf-8"), "bodyEncoding": "utf8", "truncated": True}
            except UnicodeDecodeError:
                pass
        return {"body": base64.b64encode(data).decode("ascii"), "bodyEncoding": "base64", "truncated": truncated}


class HtpasswdUsers:
    """The proxy users of an htpasswd file, re-read whenever the file's stat signature changes.

    The signature includes ctime and inode, so a rewrite within the same second (tar archives carry whole
    seconds as mtime) is still noticed. Verified passwords are cached per file version (apr1 is slow).
    """

    def __init__(self, path: str):
        self.path = path
        self.signature: Optional[tuple] = None
        self.file: Optional[passlib.apache.HtpasswdFile] = None
        self.verified: dict = {}

    def _refresh(self) -> None:
        try:
            st = os.stat(self.path)
            signature = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        except OSError:
            signature = None
        if signature == self.signature:
            return
        self.signature = signature
        self.verified = {}
        self.file = None
        if signature is None:
            return
        try:
            with open(self.path, "rb") as f:
                content = f.read()
            self.file = passlib.apache.HtpasswdFile.from_string(content)
        except Exception as error:  # noqa: BLE001 - an unreadable file lets nobody in
            ctx.log.warn(f"xares: cannot read {self.path}: {error}")
            self.file = None

    def check(self, user: str, password: str) -> bool:
        """True when `user` is in the file with a hash that matches `password`."""
        self._refresh()
        if self.file is None or not user:
            return False
        key = (user, hashlib.sha256(password.encode("utf-8")).hexdigest())
        if key in self.verified:
            return self.verified[key]
        try:
            ok = bool(self.file.check_password(user, password))
        except Exception:  # noqa: BLE001 - unsupported hash scheme etc.
            ok = False
        if len(self.verified) > 10000:
            self.verified = {}
        self.verified[key] = ok
        return ok


def parse_basic(value: str) -> Optional[tuple]:
    """`(user, password)` from a `Basic <base64>` header value, or None."""
    parts = value.strip().split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(parts[1].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class LlmRecord:
    """What is known about one LLM exchange while it runs."""

    def __init__(self, flow: http.HTTPFlow, user: str):
        self.id = new_record_id(flow.request.timestamp_start)
        self.user = user
        self.started = flow.request.timestamp_start
        self.request_tee = BoundedTee()
        self.response_tee: Optional[BoundedTee] = None
        self.written = False


class XaresRecorder:
    def __init__(self, users_file: str = PROXY_USERS_FILE, records_dir: str = RECORDS_DIR):
        self.users = HtpasswdUsers(users_file)
        self.records_dir = records_dir
        # client connection id -> user, for connections with an authenticated CONNECT (the tunnel)
        self.tunnels: dict = {}
        # client connection id -> [user, host, requests seen inside]
        self.tunnel_info: dict = {}
        # (user, host) -> [count, firstSeen, lastSeen] not yet flushed
        self.domains: dict = {}
        self.open_records: dict = {}
        self.flush_task: Optional[asyncio.Task] = None

    # ---- lifecycle -----------------------------------------------------------------------------------
    def load(self, loader) -> None:
        os.makedirs(self.records_dir, exist_ok=True)
        # Leftovers of an interrupted write are incomplete by definition.
        for name in os.listdir(self.records_dir):
            if name.endswith(".tmp"):
                try:
                    os.unlink(os.path.join(self.records_dir, name))
                except OSError:
                    pass

    def running(self) -> None:
        if self.flush_task is None:
            self.flush_task = asyncio.get_event_loop().create_task(self._flush_loop())

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            try:
                self.flush_domains()
            except Exception as error:  # noqa: BLE001 - keep flushing; the counts stay queued
                ctx.log.warn(f"xares: cannot write domain counts: {error}")

    def done(self) -> None:
        if self.flush_task is not None:
            self.flush_task.cancel()
            self.flush_task = None
        for record_flow in list(self.open_records.values()):
            self._finish(record_flow, "proxy stopped before the exchange finished", finished=False)
        self.flush_domains()

    # ---- authentication ------------------------------------------------------------------------------
    def _authenticate(self, flow: http.HTTPFlow) -> Optional[str]:
        """The user of a request: from its tunnel, else from its Proxy-Authorization header (always removed)."""
        header = flow.request.headers.get("proxy-authorization", "")
        if "proxy-authorization" in flow.request.headers:
            del flow.request.headers["proxy-authorization"]
        if flow.request.method != "CONNECT" and flow.client_conn.id in self.tunnels:
            return self.tunnels[flow.client_conn.id]
        credentials = parse_basic(header)
        if credentials and self.users.check(*credentials):
            return credentials[0]
        return None

    def _deny(self, flow: http.HTTPFlow) -> None:
        flow.metadata[META_DENIED] = True
        flow.request.stream = False
        flow.response = http.Response.make(
            407,
            b"<html><head><title>407 Proxy Authentication Required</title></head>"
            b"<body><h1>407 Proxy Authentication Required</h1></body></html>",
            {"Proxy-Authenticate": f'Basic realm="{REALM}"', "Content-Type": "text/html"},
        )

    def http_connect(self, flow: http.HTTPFlow) -> None:
        user = self._authenticate(flow)
        if user is None:
            self._deny(flow)
            return
        flow.metadata[META_USER] = user
        self.tunnels[flow.client_conn.id] = user
        self.tunnel_info[flow.client_conn.id] = [user, normalize_host(flow.request.host), 0]

    def requestheaders(self, flow: http.HTTPFlow) -> None:
        if flow.request.method == "CONNECT":
            return
        user = self._authenticate(flow)
        if user is None:
            self._deny(flow)
            return
        flow.metadata[META_USER] = user
        info = self.tunnel_info.get(flow.client_conn.id)
        if info is not None:
            info[2] += 1
        host = normalize_host(flow.request.host)
        self._count(user, host)
        # Protocol upgrades (WebSocket) keep mitmproxy's own handling; their requests carry no body anyway.
        upgrade = "upgrade" in flow.request.headers
        if is_llm_host(host):
            record = LlmRecord(flow, user)
            flow.metadata[META_RECORD] = record
            self.open_records[record.id] = flow
            if not upgrade:
                flow.request.stream = record.request_tee
        elif not upgrade:
            flow.request.stream = True

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        if flow.metadata.get(META_DENIED) or META_USER not in flow.metadata or flow.request.method == "CONNECT":
            return
        if flow.response.status_code == 101:
            return  # switching protocols: no body, mitmproxy hands the connection to its WebSocket layer
        record: Optional[LlmRecord] = flow.metadata.get(META_RECORD)
        if record is None:
            flow.response.stream = True
        else:
            record.response_tee = BoundedTee()
            flow.response.stream = record.response_tee

    def response(self, flow: http.HTTPFlow) -> None:
        if META_RECORD in flow.metadata:
            self._finish(flow, None, finished=True)

    def error(self, flow: http.HTTPFlow) -> None:
        if META_RECORD in flow.metadata:
            self._finish(flow, flow.error.msg if flow.error else "exchange failed", finished=True)

    def client_disconnected(self, client: connection.Client) -> None:
        self.tunnels.pop(client.id, None)
        info = self.tunnel_info.pop(client.id, None)
        if info is not None and info[2] == 0:
            # A tunnel we could not look into (e.g. the client refused our certificate) still counts once.
            self._count(info[0], info[1])

    # ---- domain counts -------------------------------------------------------------------------------
    def _count(self, user: str, host: str) -> None:
        now = iso_ms(time.time())
        entry = self.domains.get((user, host))
        if entry is None:
            self.domains[(user, host)] = [1, now, now]
        else:
            entry[0] += 1
            entry[2] = now

    def flush_domains(self) -> None:
        """Writes the counts gathered since the last flush to a new domains-*.json file (none when empty)."""
        if not self.domains:
            return
        pending, self.domains = self.domains, {}
        entries = [
            {"user": user, "host": host, "count": c, "firstSeen": first, "lastSeen": last}
            for (user, host), (c, first, last) in pending.items()
        ]
        try:
            write_atomically(
                self.records_dir, f"domains-{new_record_id()}.json", {"kind": "domains", "version": 1, "entries": entries}
            )
        except Exception:
            # Put the counts back (merged with new ones) so the next flush retries them.
            for (user, host), (c, first, last) in pending.items():
                entry = self.domains.get((user, host))
                if entry is None:
                    self.domains[(user, host)] = [c, first, last]
                else:
                    entry[0] += c
                    entry[1] = first
            raise

    # ---- LLM records ---------------------------------------------------------------------------------
    def _finish(self, flow: http.HTTPFlow, error: Optional[str], finished: bool) -> None:
        record: Optional[LlmRecord] = flow.metadata.get(META_RECORD)
        if record is None or record.written:
            return
        record.written = True
        self.open_records.pop(record.id, None)
        request = flow.request
        payload_request = {
            "method": request.method,
            "scheme": request.scheme,
            "host": normalize_host(request.host),
            "port": request.port,
            "path": request.path,
            "headers": redact_headers(request.headers),
            **body_fields(record.request_tee, request.headers.get("content-encoding", "")),
        }
        payload_response = None
        response = flow.response
        if response is not None and not flow.metadata.get(META_DENIED):
            content_type = response.headers.get("content-type", "").lower()
            payload_response = {
                "status": response.status_code,
                "headers": redact_headers(response.headers),
                **body_fields(record.response_tee, response.headers.get("content-encoding", "")),
                "streamed": content_type.startswith("text/event-stream"),
            }
        finished_at = None
        if finished:
            end = (response.timestamp_end if response is not None else None) or time.time()
            finished_at = iso_ms(end)
        payload = {
            "kind": "llm",
            "version": 1,
            "id": record.id,
            "user": record.user,
            "startedAt": iso_ms(record.started),
            "finishedAt": finished_at,
            "request": payload_request,
            "response": payload_response,
            "error": error,
        }
        # Free the bodies as soon as they are on disk.
        record.request_tee = BoundedTee(0)
        record.response_tee = None
        try:
            write_atomically(self.records_dir, f"llm-{record.id}.json", payload)
        except Exception as write_error:  # noqa: BLE001 - a lost record must not break the proxy
            ctx.log.warn(f"xares: cannot write LLM record {record.id}: {write_error}")


addons = [XaresRecorder()]

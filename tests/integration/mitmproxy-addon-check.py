# Checks of the mitmproxy addon's pure helpers (body decoding, bounded tee, host matching, Basic parsing),
# run inside the mitmproxy image by tests/integration/mitmproxy-image.test.ts; prints one JSON object.
import gzip, zlib, json, sys, brotli, zstandard
sys.path.insert(0, '/opt/xares')
import xares_recorder as x
text = ("data: " + "é" * 50 + "\n\n") * 1000
raw = text.encode()
out = {}
for name, enc, data in [
    ("gzip", "gzip", gzip.compress(raw)),
    ("deflate", "deflate", zlib.compress(raw)),
    ("rawdeflate", "deflate", zlib.compress(raw)[2:-4]),
    ("br", "br", brotli.compress(raw)),
    ("zstd", "zstd", zstandard.ZstdCompressor().compress(raw)),
    ("gzip+br", "gzip, br", brotli.compress(gzip.compress(raw))),
    ("identity", "", raw),
]:
    d, t, e = x.decode_body(data, enc)
    out[name] = [d == raw, t, e]
# cut-off gzip (e.g. a raw body beyond the cap): the decodable prefix
cut = gzip.compress(raw)[:3000]
d, t, e = x.decode_body(cut, "gzip")
out["cutgzip"] = [raw.startswith(d) and len(d) > 1000, e]
# bomb: 50 MB of zeros compressed, limit 5 MiB
bomb = gzip.compress(b"\0" * 50_000_000)
d, t, e = x.decode_body(bomb, "gzip")
out["bomb"] = [len(d), t]
bomb = brotli.compress(b"\0" * 50_000_000)
d, t, e = x.decode_body(bomb, "br")
out["brbomb"] = [len(d), t]
d, t, e = x.decode_body(b"not gzip", "gzip")
out["broken"] = [d.decode(), t, e is not None]
# tee + body_fields: cut inside a multibyte char stays utf8
tee = x.BoundedTee(101)
tee(raw[:60]); tee(raw[60:200])
f = x.body_fields(tee, "")
out["tee"] = [tee.size, tee.truncated, f["bodyEncoding"], f["truncated"], len(f["body"].encode())]
f = x.body_fields(None, "")
out["none"] = f
tee = x.BoundedTee(); tee(bytes(range(256)))
out["binary"] = x.body_fields(tee, "")["bodyEncoding"]
out["llm"] = [x.is_llm_host(h) for h in ["api.openai.com", "OpenAI.com.", "notopenai.com", "z.ai", "xz.ai", "a.z.ai", "chatgpt.com", "api.anthropic.com"]]
out["basic"] = [x.parse_basic("Basic " + __import__("base64").b64encode(b"u:p:q").decode()), x.parse_basic("Bearer x"), x.parse_basic("Basic !!!")]
zb = zstandard.ZstdCompressor().compress(b"\0" * 50_000_000)
d, t, e = x.decode_body(zb, "zstd")
out["zstdbomb"] = [len(d), t]
d, t, e = x.decode_body(zstandard.ZstdCompressor().compress(raw)[:2000], "zstd")
out["cutzstd"] = [raw.startswith(d) and len(d) > 1000, e]
print(json.dumps(out))

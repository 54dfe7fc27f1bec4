#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from spec/vectors/envelope-v1.json (with python3, or node):
#   envelope_parse, envelope_open  every positive and negative "envelope_json";
#   key_import                     every vector key as raw base64url and as a JWK, and
#                                  the labelled keys as one keyring export.
# Without the vectors file it writes a few handmade seeds instead. Seeds are named by a
# hash of their content, so rerunning adds nothing twice. fuzz/corpus is gitignored.
#
# Usage: fuzz/seed-corpus.sh   (from any directory)
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vectors="$fuzz_dir/../spec/vectors/envelope-v1.json"
corpus="$fuzz_dir/corpus"
mkdir -p "$corpus/envelope_parse" "$corpus/envelope_open" "$corpus/key_import"

if [[ ! -f "$vectors" ]]; then
    echo "seed-corpus.sh: no $vectors, writing handmade seeds" >&2
    zeros='AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' # 32 zero bytes
    nonce='AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' # 44 zero bytes
    for kind in chat call realtime; do
        for target in envelope_parse envelope_open; do
            printf '{"v":1,"suite":"AES256GCM-HKDFSHA256","kind":"%s","kid":"k","kver":1,"nonce":"%s","commit":"%s","ct":"AAAAAAAAAAAAAAAAAAAAAA"}' \
                "$kind" "$nonce" "$zeros" >"$corpus/$target/handmade-$kind"
        done
    done
    printf '%s' "$zeros" >"$corpus/key_import/handmade-raw"
    printf '{"kty":"oct","k":"%s","alg":"A256GCM","ext":true,"key_ops":["encrypt","decrypt"]}' \
        "$zeros" >"$corpus/key_import/handmade-jwk"
    printf '{"format":"domvia-keyring","v":1,"keys":[{"kid":"k","current":1,"highest":1,"versions":[{"kver":1,"key":"%s"}]}]}' \
        "$zeros" >"$corpus/key_import/handmade-keyring"
    exit 0
fi

extract_py='
import base64, hashlib, json, os, sys
vectors, corpus = sys.argv[1], sys.argv[2]
d = json.load(open(vectors, encoding="utf-8"))
count = 0
def seed(target, text):
    global count
    data = text.encode("utf-8")
    with open(os.path.join(corpus, target, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)
    count += 1
ring = {}
for v in d.get("positive", []) + d.get("negative", []):
    if "envelope_json" in v:
        seed("envelope_parse", v["envelope_json"])
        seed("envelope_open", v["envelope_json"])
    if "key" in v:
        raw = base64.urlsafe_b64encode(bytes.fromhex(v["key"])).rstrip(b"=").decode()
        seed("key_import", raw)
        seed("key_import", json.dumps({"kty": "oct", "k": raw, "alg": "A256GCM", "ext": True,
                                       "key_ops": ["encrypt", "decrypt"]}, separators=(",", ":")))
        if v.get("key_id"):
            ring.setdefault(v["key_id"], {})[v.get("key_version", 1)] = raw
    if "key_jwk" in v:
        seed("key_import", json.dumps(v["key_jwk"], separators=(",", ":")))
keys = [{"kid": kid, "current": max(vs), "highest": max(vs),
         "versions": [{"kver": n, "key": k} for n, k in sorted(vs.items())]}
        for kid, vs in sorted(ring.items())]
seed("key_import", json.dumps({"format": "domvia-keyring", "v": 1, "keys": keys},
                              separators=(",", ":"), ensure_ascii=False))
print(count)
'

extract_js='
const fs = require("fs"), path = require("path"), crypto = require("crypto");
const [vectors, corpus] = process.argv.slice(1);
const d = JSON.parse(fs.readFileSync(vectors, "utf8"));
let count = 0;
const seed = (target, text) => {
  const data = Buffer.from(text, "utf8");
  const name = crypto.createHash("sha1").update(data).digest("hex").slice(0, 16);
  fs.writeFileSync(path.join(corpus, target, name), data);
  count += 1;
};
const ring = {};
for (const v of [...(d.positive || []), ...(d.negative || [])]) {
  if (v.envelope_json !== undefined) {
    seed("envelope_parse", v.envelope_json);
    seed("envelope_open", v.envelope_json);
  }
  if (v.key !== undefined) {
    const raw = Buffer.from(v.key, "hex").toString("base64url");
    seed("key_import", raw);
    seed("key_import", JSON.stringify({kty: "oct", k: raw, alg: "A256GCM", ext: true,
                                       key_ops: ["encrypt", "decrypt"]}));
    if (v.key_id) (ring[v.key_id] ||= {})[v.key_version || 1] = raw;
  }
  if (v.key_jwk !== undefined) seed("key_import", JSON.stringify(v.key_jwk));
}
const keys = Object.keys(ring).sort().map((kid) => {
  const vs = Object.keys(ring[kid]).map(Number).sort((a, b) => a - b);
  const top = vs[vs.length - 1];
  return {kid, current: top, highest: top, versions: vs.map((n) => ({kver: n, key: ring[kid][n]}))};
});
seed("key_import", JSON.stringify({format: "domvia-keyring", v: 1, keys}));
console.log(count);
'

if command -v python3 >/dev/null; then
    count="$(python3 -c "$extract_py" "$vectors" "$corpus")"
elif command -v node >/dev/null; then
    count="$(node -e "$extract_js" "$vectors" "$corpus")"
else
    echo "seed-corpus.sh: needs python3 or node" >&2
    exit 1
fi
echo "seed-corpus.sh: $count seeds from $(basename "$vectors") into $corpus" >&2

#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from spec/vectors/envelope-v1.json (with python3, or node):
#   envelope_parse, envelope_open  every positive and negative "envelope_json";
#   key_import                     every vector key as raw base64url and as a JWK, and
#                                  the labelled keys as one keyring export.
# Without the vectors file it writes a few handmade seeds instead. Seeds are named by a
# hash of their content, so rerunning adds nothing twice. fuzz/corpus is gitignored.
# The protocol targets get handmade seeds in any case (plain bash, fixed names):
#   client_frame   pusher-js frames: subscribe (object and string data, private, presence
#                  with channel_data, encrypted, server-to-user), unsubscribe, ping, pong,
#                  signin, client events with each kind of data, and a few refused ones;
#   channel_name   channel names of each kind, event names, socket ids, user ids, presence
#                  channel_data and signin user_data documents;
#   ciphertext_shape  one of each accepted shape of ciphertext-only event data, plaintext,
#                  Pusher's encrypted payload, and channel patterns;
#   auth_verify    flag byte + 0xFF-separated fields (see fuzz_targets/auth_verify.rs) for
#                  a private, a presence and a signin token, and HTTP API requests.
#
# Usage: fuzz/seed-corpus.sh   (from any directory)
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
vectors="$fuzz_dir/../spec/vectors/envelope-v1.json"
corpus="$fuzz_dir/corpus"
mkdir -p "$corpus/envelope_parse" "$corpus/envelope_open" "$corpus/key_import"

# seed TARGET NAME TEXT: TEXT into corpus/TARGET/seed-NAME.
seed() {
    mkdir -p "$corpus/$1"
    printf '%s' "$3" >"$corpus/$1/seed-$2"
}

# seed_fields NAME FLAGS FIELD...: an auth_verify input, the flag byte (two hex digits)
# then the fields joined by 0xFF.
seed_fields() {
    local name="$1" flags="$2"
    shift 2
    local IFS=$'\xff'
    mkdir -p "$corpus/auth_verify"
    { printf "\\x$flags"; printf '%s' "$*"; } >"$corpus/auth_verify/seed-$name"
}

protocol_seeds() {
    local key='278d425bdf160c739803'
    local sig='58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4'
    local token="$key:$sig"
    local member='{"user_id":10,"user_info":{"name":"Mr. Channels","twitter":"@pusher"}}'
    local user='{"id":"45678","user_info":{"name":"Ada"},"watchlist":["1","2"]}'

    seed client_frame subscribe-public '{"event":"pusher:subscribe","data":{"channel":"my-channel"}}'
    seed client_frame subscribe-private '{"event":"pusher:subscribe","data":{"auth":"'"$token"'","channel":"private-foobar"}}'
    seed client_frame subscribe-string '{"event":"pusher:subscribe","data":"{\"channel\":\"private-a\",\"auth\":\"'"$token"'\"}"}'
    seed client_frame subscribe-presence '{"event":"pusher:subscribe","data":{"auth":"'"$token"'","channel_data":"{\"user_id\":10,\"user_info\":{\"name\":\"Mr. Channels\"}}","channel":"presence-room-42"}}'
    seed client_frame subscribe-presence-string '{"event":"pusher:subscribe","data":"{\"channel\":\"presence-a\",\"auth\":\"'"$token"'\",\"channel_data\":\"{\\\"user_id\\\":\\\"u-1\\\"}\"}"}'
    seed client_frame subscribe-presence-signed-in '{"event":"pusher:subscribe","data":{"auth":"'"$token"'","channel_data":null,"channel":"presence-cache-room"}}'
    seed client_frame subscribe-encrypted '{"event":"pusher:subscribe","data":{"auth":"'"$token"'","channel":"private-encrypted-chat"}}'
    seed client_frame subscribe-server-to-user '{"event":"pusher:subscribe","data":{"channel":"#server-to-user-45678"}}'
    seed client_frame unsubscribe '{"event":"pusher:unsubscribe","data":{"channel":"private-foobar"}}'
    seed client_frame ping '{"event":"pusher:ping","data":{}}'
    seed client_frame pong '{"event":"pusher:pong","data":{}}'
    seed client_frame signin '{"event":"pusher:signin","data":{"auth":"'"$token"'","user_data":"{\"id\":\"45678\",\"user_info\":{\"name\":\"Ada\"}}"}}'
    seed client_frame client-event-object '{"event":"client-typing","channel":"private-chat","data":{"user":"alice","typing":true,"at":1.5e3}}'
    seed client_frame client-event-string '{"event":"client-msg","channel":"presence-room-42","data":"{\"text\":\"hi\"}"}'
    seed client_frame client-event-array '{"event":"client-moves","channel":"private-game","data":[1,-2,3.25,null,"x",{"k":[]}]}'
    seed client_frame client-event-no-data '{"event":"client-poke","channel":"private-a"}'
    seed client_frame refused-app-event '{"event":"my-event","channel":"private-a","data":{}}'
    seed client_frame refused-internal '{"event":"pusher_internal:member_added","channel":"presence-a","data":"{}"}'
    seed client_frame refused-channel '{"event":"pusher:subscribe","data":{"channel":"#private-x"}}'

    local envelope='{"v":1,"suite":"AES256GCM-HKDFSHA256","kind":"chat","kid":"room-42-v1","kver":1,"nonce":"mYK1xPIft49VJlT5voYL458DByNrdS0rXzoqLGjd7B6Ue8ELCq0m13M6rv4","commit":"cQ8s4DyGb5rivU7oMg8uW-vdiyG1e75vG5fH1UK6z3I","ct":"ssbsDpGc7meMkUosDc7gV3oLLR4_nJ3A5vrfgSWmWWahjjNlmu_KBhlg-fQFve0eFKKWJ2KyGaQyWByNZdAF3u_WVg"}'
    local sig64='AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    local b32='AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
    local device='{"format":"domvia-device","v":1,"user":"alice","device":"phone","hpke_pk":"'"$b32"'","sign_pk":"'"$b32"'","sig":"'"$sig64"'"}'
    seed ciphertext_shape envelope "$envelope"
    seed ciphertext_shape signed '{"format":"domvia-signed","v":1,"from_user":"alice","from_device":"phone","envelope":'"$envelope"',"sig":"'"$sig64"'"}'
    seed ciphertext_shape identified '{"id":"msg-1","envelope":'"$envelope"'}'
    seed ciphertext_shape keyshare '{"format":"domvia-keyshare","v":1,"room":"room-42","kid":"room-42","kver":1,"from_user":"alice","from_device":"phone","to_user":"bob","to_device":"laptop","commit":"'"$b32"'","enc":"'"$b32"'","ct":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","sig":"'"$sig64"'"}'
    seed ciphertext_shape device "$device"
    seed ciphertext_shape key-request '{"format":"domvia-key-request","v":1,"request_id":"AAAAAAAAAAAAAAAAAAAAAA","bundle":'"$device"',"sig":"'"$sig64"'"}'
    seed ciphertext_shape key-response '{"format":"domvia-key-response","v":1,"request_id":"AAAAAAAAAAAAAAAAAAAAAA","user":"alice","from_device":"phone","to_device":"tablet","keys":0,"enc":"'"$b32"'","ct":"AAAAAAAAAAAAAAAAAAAAAAAAAAA","sig":"'"$sig64"'"}'
    seed ciphertext_shape revocation '{"format":"domvia-revocation","v":1,"user":"alice","device":"phone","fingerprint":"'"$b32"'","by_device":"laptop","revoked_at":1767225600,"sig":"'"$sig64"'"}'
    seed ciphertext_shape plaintext '{"body":"Private message","sender_id":"user-1"}'
    seed ciphertext_shape pusher-encrypted '{"nonce":"AAAA","ciphertext":"AAAA"}'
    seed ciphertext_shape pattern-private 'private-e2ee-*'
    seed ciphertext_shape pattern-presence 'presence-e2ee-room'

    seed channel_name public 'foo-bar_1234@=,.;'
    seed channel_name private 'private-foobar'
    seed channel_name private-cache 'private-cache-news'
    seed channel_name encrypted 'private-encrypted-chat'
    seed channel_name presence 'presence-room-42'
    seed channel_name server-to-user '#server-to-user-ą§¶ user'
    seed channel_name reserved '#private-x'
    seed channel_name longest "presence-$(printf 'a%.0s' {1..155})"
    seed channel_name client-event 'client-typing'
    seed channel_name pusher-event 'pusher:subscribe'
    seed channel_name internal-event 'pusher_internal:subscription_succeeded'
    seed channel_name socket-id '123.456'
    seed channel_name socket-id-max '18446744073709551615.0'
    seed channel_name channel-data "$member"
    seed channel_name channel-data-string '{"user_id":"u-1","user_info":null}'
    seed channel_name channel-data-negative '{"user_id":-3}'
    seed channel_name user-data "$user"

    # Fields: auth, socket id, channel, channel_data, user_data, method, path, query,
    # params, body, timestamp, skew. Flags: 1 sends channel_data, 2 appends the query to
    # a signed one.
    local ts=1700000000
    local body='{"name":"my-event","channels":["private-foobar"],"data":"{\"message\":\"hello\"}"}'
    local md5='ec365a775a4cd0599faeb73354201b6b'
    seed_fields private 00 "$token" 1234.1234 private-foobar '' '' POST /apps/1/events \
        "auth_key=$key&auth_timestamp=$ts&auth_version=1.0&body_md5=$md5&auth_signature=$sig" \
        '' "$body" "$ts" 30
    seed_fields presence 01 "$token" 1234.1234 presence-foobar "$member" '' GET \
        /apps/1/channels/presence-foobar/users \
        "auth_key=$key&auth_timestamp=$ts&auth_version=1.0&auth_signature=$sig" '' '' "$ts" -599
    seed_fields signin 00 "$token" 123.456 '#server-to-user-45678' '' "$user" GET \
        /apps/1/channels '' 'filter_by_prefix=presence-&info=user_count,subscription_count' \
        '' "$ts" 0
    seed_fields after-signed 03 "$token" 1.1 presence-room '{"user_id":"u"}' '{"id":"u"}' \
        post /apps/1/users/u/terminate_connections '&&' info=user_count '' "$ts" 600
}
protocol_seeds

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

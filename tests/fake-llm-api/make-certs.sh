#!/bin/sh
# Test-only certificates for the fake LLM API (tests/fake-llm-api/server.mjs), made fresh in the container:
# a throw-away CA (ca.pem, trusted by the proxy under test through /etc/xares/upstream-ca.pem) and a server
# certificate for api.openai.com and api.anthropic.com signed by it. Usage: make-certs.sh <dir>
set -eu
dir=${1:-/fake}
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -keyout ca.key -out ca.pem -subj "/CN=Xares fake LLM API test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout server.key -out server.csr -subj "/CN=api.openai.com" 2>/dev/null
printf '%s\n' 'subjectAltName=DNS:api.openai.com,DNS:api.anthropic.com' 'basicConstraints=critical,CA:FALSE' \
  'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out server.crt 2>/dev/null
rm -f server.csr server.ext ca.srl

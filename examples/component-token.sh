#!/usr/bin/env bash
# Gets the platform's current component_access_token from the team's token service, for
# the steps after it (as steps.<id>.outputs.token). Copy it to .github/scripts/component-token.sh:
# every example calls it from there.
#
#   TOKEN_SERVICE_URL      the service's base URL; it answers GET <url>/component_access_token
#   TOKEN_SERVICE_KEY      the key it wants in the X-Api-Key header (a secret)
#   TOKEN_SERVICE_TIMEOUT  seconds the request may take (default 10)
#
# The service answers {"component_access_token": "…", "expires_in": 7200} as WeChat does,
# or {"errcode": …, "errmsg": "…"}. Anything else fails the step with one ::error:: line
# that says what to check; neither the key nor a token is ever printed.
set -euo pipefail
export LC_ALL=C

fail() {
  local message="component-token: $*"
  message=${message//'%'/%25}
  message=${message//$'\r'/%0D}
  message=${message//$'\n'/%0A}
  echo "::error::$message"
  exit 1
}

url=${TOKEN_SERVICE_URL:-}
key=${TOKEN_SERVICE_KEY:-}
timeout=${TOKEN_SERVICE_TIMEOUT:-10}
[[ -n $url ]] || fail "TOKEN_SERVICE_URL is empty: set it to the token service's base URL (e.g. from vars.WX_TOKEN_SERVICE_URL)"
[[ $url =~ ^https?:// ]] || fail "TOKEN_SERVICE_URL must start with https:// (or http://)"
[[ -n $key ]] || fail "TOKEN_SERVICE_KEY is empty: set it from the secret that holds the token service's key (e.g. secrets.WX_TOKEN_SERVICE_KEY); secrets do not reach runs for forks or Dependabot"
[[ $timeout =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "TOKEN_SERVICE_TIMEOUT \"$timeout\" is not a number of seconds"
[[ -n ${GITHUB_OUTPUT:-} ]] || fail "GITHUB_OUTPUT is not set: run this as a step of a GitHub Actions job"
command -v curl > /dev/null || fail "curl is not installed on this runner: install it (e.g. apt-get install curl)"
command -v jq > /dev/null || fail "jq is not installed on this runner: install it (e.g. apt-get install jq); it reads the token service's answer"

endpoint="${url%/}/component_access_token"
# Where the errors say the request went: no query, no user:password@.
shown=${endpoint%%\?*}
if [[ $shown =~ ^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@(.*)$ ]]; then shown="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"; fi

body=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$body" "$errors"' EXIT

# The key goes in on stdin (--header @-), not on the command line, where ps would show it.
status=0
http_code=$(printf 'X-Api-Key: %s\n' "$key" |
  curl --silent --show-error --proto '=http,https' --max-time "$timeout" --header @- \
    --output "$body" --write-out '%{http_code}' -- "$endpoint" 2> "$errors") || status=$?
case $status in
  0) ;;
  6) fail "could not resolve the host of $shown: check TOKEN_SERVICE_URL" ;;
  7) fail "the token service at $shown did not answer (connection refused): check TOKEN_SERVICE_URL and that the service is up" ;;
  28) fail "the token service at $shown did not answer within $timeout s: check that it is up and reachable from this runner" ;;
  *)
    reason=$(head -n 1 "$errors" | sed -E 's/^curl: \([0-9]+\) //')
    fail "the request to $shown failed (curl exit $status: ${reason//"$key"/***}): check TOKEN_SERVICE_URL and the network to the service"
    ;;
esac

case $http_code in
  2??) ;;
  401 | 403) fail "the token service refused the key (HTTP $http_code): check the secret in TOKEN_SERVICE_KEY" ;;
  404) fail "the token service answered HTTP 404 for $shown: check TOKEN_SERVICE_URL (the base URL, without /component_access_token)" ;;
  *) fail "the token service answered HTTP $http_code: check its logs" ;;
esac

jq --exit-status --slurp 'length == 1 and (.[0] | type) == "object"' "$body" > /dev/null 2>&1 ||
  fail "the token service answered something that is not a JSON object: check that TOKEN_SERVICE_URL points at the token service"

errcode=$(jq --raw-output '.errcode // 0 | tostring' "$body")
if [[ $errcode != 0 ]]; then
  errmsg=$(jq --raw-output '.errmsg // "" | tostring | gsub("[\\r\\n]+"; " ") | .[0:300]' "$body")
  fail "the token service answered errcode $errcode (${errmsg//"$key"/***}): it has no token to give; check its logs"
fi

kind=$(jq --raw-output 'if has("component_access_token") then (.component_access_token | type) else "absent" end' "$body")
token=$(jq --raw-output '.component_access_token | strings' "$body")
case $kind in
  absent) fail "the token service's answer has no component_access_token: check that TOKEN_SERVICE_URL points at the token service" ;;
  null) fail "the token service gave an empty component_access_token: check its logs (has WeChat pushed it a component_verify_ticket?)" ;;
  string) ;;
  *) fail "the token service gave a component_access_token that is not a string ($kind): check its logs" ;;
esac
[[ -n $token ]] || fail "the token service gave an empty component_access_token: check its logs (has WeChat pushed it a component_verify_ticket?)"
[[ $token != null ]] || fail "the token service gave the word null as the component_access_token: it lost its token; check its logs"
# Only characters a token has: anything else (a space, a line break, a %) could not be
# masked or written to GITHUB_OUTPUT as one value.
[[ $token =~ ^[A-Za-z0-9_.~+/=-]+$ ]] || fail "the token service gave a component_access_token with characters a token never has: check its logs"

echo "::add-mask::$token"
echo "token=$token" >> "$GITHUB_OUTPUT"
expires=$(jq --raw-output '.expires_in | numbers | floor' "$body")
echo "component-token: got the platform's component_access_token from $shown${expires:+ (it expires in $expires s)}"

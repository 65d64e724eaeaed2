#!/usr/bin/env bash
# The README's walk-through, runnable: from a lead to a delivered proposal.
# Start the gateway first:  cargo run --release -- serve --data ./data --demo
# then export the tokens it printed and run this script:
#   SUPERVISOR=sl_... MARKETING=sl_... CTO=sl_... REP=sl_... INTEGRATOR=sl_... REP_A=<rep id> bash docs/walkthrough.sh
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8080}
say() { printf '\n== %s\n' "$*"; }
call() { # METHOD PATH TOKEN [BODY]
  local method=$1 path=$2 token=$3 body=${4:-}
  if [ -n "$body" ]; then
    curl -sS -X "$method" "$BASE$path" -H "Authorization: Bearer $token" --json "$body"
  else
    curl -sS -X "$method" "$BASE$path" -H "Authorization: Bearer $token"
  fi
  echo
}
LEAD=0192f0a4-0000-7000-a000-0000000000a1
CUSTOMER=0192f0a4-0000-7000-9000-000000000001   # seeded by --demo
PROPOSAL=0192f0a4-0000-7000-b000-0000000000b1
REP_A=${REP_A:?export REP_A: the rep id that serve --demo printed for the rep token}

say "C1: marketing registers a lead"
call POST /v1/leads "$MARKETING" "{\"lead_id\":\"$LEAD\",\"company_name\":\"无锡德尔塔汽车部件有限公司\",\"attributes\":{\"industry\":\"automotive parts\",\"compliance\":\"IATF16949\",\"pain_points\":\"PLC 老化\",\"region\":\"华东\"}}"

say "C1: routing before both confirmations is refused (409 lead_not_confirmed)"
call POST "/v1/leads/$LEAD/routing-proposals" "$SUPERVISOR" '{}'

say "C1: two named people confirm budget and technical fit"
call POST "/v1/leads/$LEAD/budget-confirmation" "$MARKETING" '{"note":"预算 120 万已确认"}'
call POST "/v1/leads/$LEAD/technical-fit-confirmation" "$CTO" '{"note":"PLC retrofit fits our line"}'

say "C2: the TOP 3 reps, each score explained"
call POST "/v1/leads/$LEAD/routing-proposals" "$SUPERVISOR" '{}'
FIRST=$(curl -sS "$BASE/v1/leads/$LEAD" -H "Authorization: Bearer $SUPERVISOR" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["routing_proposal"]["candidates"][0]["rep_id"])')

say "C2: the supervisor confirms the first candidate (time from proposal recorded)"
call POST "/v1/leads/$LEAD/routing-confirmation" "$SUPERVISOR" "{\"rep_id\":\"$FIRST\"}"

say "C3: the demo rep claims the demo customer; a second claim names the owner (409)"
call POST "/v1/customers/$CUSTOMER/claim" "$REP" "{\"rep_id\":\"$REP_A\"}"
call POST "/v1/customers/$CUSTOMER/claim" "$REP" "{\"rep_id\":\"$REP_A\"}"

say "C6: a proposal, pending until 2 of 3 proofs"
call POST /v1/proposals "$REP" "{\"proposal_id\":\"$PROPOSAL\",\"customer_id\":\"$CUSTOMER\",\"contact_email\":\"purchasing@ruikang-med.cn\",\"title\":\"手术室设备升级方案\"}"
printf '%%PDF-1.7 watermark: purchasing@ruikang-med.cn\n' > /tmp/salesledger-proposal.pdf
SHA=$(curl -sS -X POST "$BASE/v1/blobs" -H "Authorization: Bearer $REP" --data-binary @/tmp/salesledger-proposal.pdf | python3 -c 'import json,sys; print(json.load(sys.stdin)["sha256"])')
call POST "/v1/proposals/$PROPOSAL/pdf" "$REP" "{\"sha256\":\"$SHA\",\"watermark_email\":\"purchasing@ruikang-med.cn\"}"
call GET "/v1/proposals/$PROPOSAL" "$REP"

say "C6: a link open before consent is recorded but does not count"
call POST "/v1/proposals/$PROPOSAL/link-opens" "$INTEGRATOR" '{"opened_at":"2026-11-20T10:02:11+08:00","ip_address":"203.0.113.7","coarse_location":"上海市"}'
call GET "/v1/proposals/$PROPOSAL" "$REP"

say "C6: the e-mail delivery receipt is the second proof: delivered"
call POST "/v1/proposals/$PROPOSAL/email-receipts" "$REP" '{"message_id":"<p-1@mail.ruikang-med.cn>","recipient":"purchasing@ruikang-med.cn","delivered_at":"2026-11-20T09:00:00+08:00"}'
call GET "/v1/proposals/$PROPOSAL" "$REP"

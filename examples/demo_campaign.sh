#!/usr/bin/env bash
# demo_campaign.sh [API] [TOKEN]
#
# Adds a demo power campaign with a handful of leads to the switch `make run`
# starts (the demo config: token demo-token, API on 127.0.0.1:8080, agents
# alice 1001 and bob 1002, caller ID +14155550100) and starts it. The leads
# are test numbers of the demo carrier, test/sipp/carrier_leads.xml, which
# decides each call by the number's last three digits: 404 not found, 486
# busy, 480 rings out, 201 answers and stays up, anything else answers and
# hangs up after 1.5 s. Run that carrier on the demo trunk's address:
#   sipp -sf test/sipp/carrier_leads.xml -i 127.0.0.1 -p 5080
# then join as an agent: dial *55 from alice's softphone, or ring her phone:
#   curl -H "Authorization: Bearer demo-token" -X POST $API/v1/campaigns/cmp_1/agents/1001
set -euo pipefail
API=${1:-http://127.0.0.1:8080}
TOKEN=${2:-demo-token}
call() { curl -sS -f -H "Authorization: Bearer $TOKEN" "$@"; echo; }

campaign=$(call "$API/v1/campaigns" -d '{"name":"demo","mode":"power","caller_id":"+14155550100",
  "agents":["1001","1002"],"calling_hours":{"start":"00:00","end":"23:59"},"ring_timeout":"15s",
  "wrap_up":"5s","max_attempts":2,"retry_after":"10m"}')
id=$(printf '%s' "$campaign" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
echo "campaign $id"
call -H 'Content-Type: text/csv' "$API/v1/campaigns/$id/leads" --data-binary $'phone,name,crm_id,timezone
+14155550404,Nobody,demo-1,America/Los_Angeles
+14155550486,Busy Bea,demo-2,America/Los_Angeles
+14155550201,Ann Answers,demo-3,America/Los_Angeles
+14155551200,Hank Hangs-up,demo-4,America/Los_Angeles
+14155550480,Rita Rings,demo-5,America/Los_Angeles
'
call -X POST "$API/v1/campaigns/$id/start"
echo "started: dial *55 from 1001 or 1002, or POST $API/v1/campaigns/$id/agents/1001; watch GET $API/v1/campaigns/$id"

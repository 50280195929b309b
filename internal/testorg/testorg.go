// Package testorg holds the organization the tests of more than one
// package (sip's and calls') route and forward calls in.
package testorg

// PermissionsYAML is a config where alice (1001) may call anything, bob
// (1002) may call out at home, and carol (1003) may not call out; the
// sales group is alice and bob, +14155550100 is alice's number and
// +14155550102 the group's.
const PermissionsYAML = `
organization:
  id: test
roles:
  - name: inbound-only
    permissions: [calls.inbound]
  - name: agent
    permissions: [calls.inbound, calls.outbound]
  - name: boss
    permissions: [calls.inbound, calls.outbound, calls.international, calls.premium]
users:
  - extension: "1001"
    name: alice
    password: alice-secret
    role: boss
    caller_ids: ["+14155550100"]
  - extension: "1002"
    name: bob
    password: bob-secret
    role: agent
    caller_ids: ["+14155550101"]
  - extension: "1003"
    name: carol
    password: carol-secret
    role: inbound-only
groups:
  - name: sales
    members: ["1001", "1002"]
numbers:
  - number: "+14155550100"
    user: "1001"
  - number: "+14155550102"
    group: sales
trunks:
  - name: carrier
    address: 127.0.0.1:5080
`

package sip

// minimalConfig completes a test config whose own lines are all under
// sip: with what every config needs: an organization, a user and a trunk.
const minimalConfig = `organization:
  id: test
roles:
  - name: agent
    permissions: [calls.inbound]
users:
  - extension: "1001"
    password: a-good-secret
    role: agent
trunks:
  - name: carrier
    address: 127.0.0.1:5080
`

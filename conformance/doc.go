// Package conformance is a Ginkgo suite that checks an MQTT broker against
// the MQTT 5.0 and 3.1.1 specifications, statement by statement, over the
// network only. `go test ./conformance/` runs it against an in-process mqttx
// broker (or the broker MQTTCHECK_BROKER names); cmd/mqttcheck runs it
// against any broker and writes reports.
//
// # Checks
//
// A Check declares the statements it proves for each protocol version
// (V5, V311: ids such as "MQTT-3.3.1-4"), its area and the capabilities it
// needs, and a body that gets a *T. It runs once per version it has
// statements for, as a Ginkgo spec labelled with the version ("v5",
// "v3.1.1"), the area, "needs-<capability>" and each version-qualified
// statement in label form ("v5_MQTT-3.3.1-4": Ginkgo labels cannot hold
// '/'; reports and --list write "v5/MQTT-3.3.1-4", and LabelFilter
// translates filters written that way).
//
// # Drivers
//
//   - Conn, the raw-packet client on mqtt/packet: exact bytes out (illegal
//     ones included), every packet in with its size, automatic or manual
//     acknowledgements.
//   - Paho5, paho.golang for MQTT 5.
//   - Paho3, paho.mqtt.golang for MQTT 3.1.1, with protocol version 4 set
//     explicitly.
//
// # Capabilities and the profile
//
// Before any check, discovery connects with each version and records what
// the broker offers (Capabilities): maximum QoS, retained messages,
// wildcard and shared subscriptions, subscription identifiers, topic alias
// maximum, receive maximum, maximum packet size, server keep alive,
// session expiry, client identifier and topic length limits. A check
// needing what the broker lacks is skipped with the reason. The Profile
// (YAML) declares credentials, refused credentials, a denied topic, the
// credentials of a SCRAM-SHA-256 user for the enhanced authentication
// checks, and behaviours the specifications leave open.
//
// # Failures and coverage
//
// A failure names the statements, what was expected and what arrived, and
// the transcript of packets sent and received. Catalog lists every
// statement with a summary in our own words and, where no check proves
// it, why; Matrix joins it with the checks into the committed coverage
// matrix, docs/conformance/coverage.md.
package conformance

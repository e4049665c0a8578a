// Package mqtt holds the vocabulary shared by every mqttx package: protocol
// versions, quality-of-service levels, reason codes and the protocol error
// type.
//
// The exported pieces are:
//
//   - [Version]: the protocol level (3.1, 3.1.1, 5.0) with its wire name.
//   - [QoS]: the delivery guarantee of a message or subscription.
//   - [ReasonCode]: the MQTT 5 reason codes, with names, and the mapping to
//     the MQTT 3.x CONNACK return codes ([ReasonCode.ConnectReturnCode]).
//   - [Error]: a protocol failure carrying the reason code a peer must be
//     answered with and the normative statement that was broken.
//
// Packages that build on it: mqtt/packet (the wire codec), mqtt/topic
// (topic names, filters and the subscription index) and mqtt/server (the
// broker).
package mqtt

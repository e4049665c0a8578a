// Package codec compares the mqttx packet codec (mqtt/packet) with three
// other Go MQTT codecs on the same packets: paho.golang (MQTT 5),
// paho.mqtt.golang (MQTT 3.1.1) and mochi-mqtt v2 (both).
//
// Every case is a [Packet]: the codec-neutral content ([Msg]) and a
// reference encoding built by hand from the specification. For each packet
// and each codec that speaks its protocol version there is a decode
// benchmark (reference wire bytes → the codec's typed value) and an encode
// benchmark (the codec's typed value → wire bytes in a reused buffer). The
// go test entry points are BenchmarkDecode/<packet>/<codec> and
// BenchmarkEncode/<packet>/<codec>; [Benchmarks] exposes the same functions
// to cmd/codectable, which prints them as a Markdown table.
//
// TestCrossCodec checks that the comparison is honest: every codec decodes
// the reference bytes, and every codec's encoding, to the same content, and
// every encoding is byte-identical to the reference except for documented
// differences in property order.
package codec

// sink keeps decoded values alive so the compiler cannot drop the work.
var sink any

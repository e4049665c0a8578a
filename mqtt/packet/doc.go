// Package packet is the MQTT wire codec: every control packet of MQTT 3.1,
// 3.1.1 and 5.0, with all MQTT 5 properties and reason codes.
//
// # Packets
//
// Each control packet is a struct ([Connect], [Connack], [Publish],
// [Puback], [Pubrec], [Pubrel], [Pubcomp], [Subscribe], [Suback],
// [Unsubscribe], [Unsuback], [Pingreq], [Pingresp], [Disconnect], [Auth])
// behind the sealed [Packet] interface. MQTT 5 properties live in
// [Properties]; which packet may carry which property is one table
// ([PropertyID.AllowedIn]).
//
// # Encoding
//
// [Packet.Append] validates a packet against the rules of the protocol
// version and appends its wire form to a caller's buffer; [Packet.Len]
// gives its size. [Write] sends one packet with a single Write call.
// Fields that a version lacks (properties below MQTT 5, reason codes of
// acknowledgements below MQTT 5) are left out when encoding for it.
// [AppendIllegal] and [AppendRaw] skip validation on purpose, so that
// conformance tests can send what a broker must reject.
//
// # Decoding
//
// [Decoder] parses one packet from a byte slice; [Reader] reads packets
// from a stream. Both check the fixed header and reject a packet larger
// than MaxPacketSize before reading or allocating its body, and both
// enforce the wire-format rules of the specifications: a failure is an
// *[mqtt.Error] whose Code is the reason code to answer with
// (MalformedPacket, ProtocolError, PacketTooLarge, TopicNameInvalid …)
// and whose Rule names the statement that was broken.
//
// One kind of rule is left to the receiver on purpose: the syntax of a
// topic filter in SUBSCRIBE and UNSUBSCRIBE (wildcard placement, empty
// filters, "$share/" forms, [MQTT-4.7.1-1], [MQTT-4.7.3-1],
// [MQTT-4.8.2-1]). A broker answers an invalid filter in the SUBACK or
// UNSUBACK for that filter alone rather than closing the connection, so
// the codec delivers the packet and the broker checks each filter with
// mqtt/topic's ValidateFilter. Filters are still checked as UTF-8 here.
//
// The default size limit also applies to a client reading from a broker;
// MQTT 3.x has no way to tell the broker about it, so a client that
// expects larger messages raises MaxPacketSize.
//
// Lifetime of decoded data: the packet values a Decoder or Reader returns
// are reused by its next call, and their []byte fields (Payload, Password,
// CorrelationData, AuthData) alias the input buffer. Strings are real
// copies (a Decoder keeps a small cache of recent strings so that repeated
// topics cost no allocation). Use [Clone] to keep a packet beyond the next
// call. The package-level [Decode] returns fresh values whose []byte
// fields alias the slice it was given.
package packet

// Package fuzz holds the native Go fuzz targets of mqttx's wire codec
// (mqtt/packet) and topic matching (mqtt/topic). It has no code of its
// own outside the tests and the seed generator.
//
// # Targets
//
//   - FuzzDecode(data, version): decoding a byte stream with a Decoder
//     (MaxPacketSize 64 KiB) never panics and fails only with
//     io.ErrUnexpectedEOF or a locally raised *mqtt.Error whose code is a
//     defined MQTT 5 error code (0x80 and above); a reused Decoder agrees
//     with a fresh one packet by packet (no state leaks between packets);
//     Len agrees with the encoding; and a Reader of the same stream never
//     offers the stream a buffer beyond the packet limit (plus one minimal
//     read) or beyond twice the bytes that have arrived, so a peer that
//     declares a large packet and sends little makes it allocate little.
//   - FuzzRoundTrip(data, version): decode→encode→decode is a fixed point.
//     A packet the decoder accepts encodes without error to Len bytes and
//     decodes back to an equal packet (nil and empty slices alike), and the
//     second encoding is byte-identical to the first. For MQTT 5 an
//     independent reference reader of property blocks, written from the
//     specification, checks that the properties on the wire and in the
//     encoding are the same, identifier for identifier and byte for byte.
//   - FuzzSplit(data, chunks, version): a stream reads the same however it
//     is split. A Reader fed in chunks (sizes from chunks, sometimes with
//     io.EOF arriving together with the last bytes, sometimes Release
//     between packets) returns the same packets and the same final error
//     as a Reader given everything at once and as a Decoder walking the
//     slice.
//   - FuzzTopicIndex(filters, name, clients): a topic.Index answers like
//     brute force. NUL-separated filters (a leading 0xFF byte makes one an
//     unsubscribe) are subscribed by up to 64 clients with varied options;
//     Index.Match of a valid name must give the deliveries (merged per
//     client: highest QoS, No Local only if all, Retain As Published if any,
//     every subscription identifier) and the shared groups that
//     topic.Match over a map model gives; unsubscribing everything leaves
//     an empty Index.
//   - FuzzTopicValidate(filter, name): ValidateName and ValidateFilter
//     never panic and fail only with topic *mqtt.Error codes; they agree
//     with packet.ValidString on UTF-8; "#" matches every valid name not
//     starting with '$'; a valid name is a valid filter matching itself;
//     and topic.Match agrees with a naive reference matcher.
//
// # Running
//
//	go test ./fuzz/                                            # the seed corpus and regressions
//	go test -run=^$ -fuzz=^FuzzDecode$ -fuzztime=30s ./fuzz/   # explore one target
//	FUZZTIME=20s ./fuzz/smoke.sh                               # every target in turn (CI)
//	go generate ./fuzz/                                        # rewrite the generated seeds
//
// The seeds in testdata/fuzz/<Target>/ are written by internal/gencorpus:
// every packet type in every version it exists in, variable byte integer
// boundaries, every reserved-flag value of every type, UTF-8 edge cases in
// every string field, every property in every packet, twice, and unknown
// ones, and other named edge cases. Files named regression-* are crashers
// the targets found (or bugs they confirm), kept by hand and listed in
// README.md; the generator never touches them. Inputs that fuzzing finds
// interesting go to the Go build cache, not to testdata.
package fuzz

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
//     unsubscribe) are subscribed by different subsets of up to 64 clients
//     (client c takes filter i when c == i%k or (c*(i+1)+clients)%3 != 0)
//     with varied options, so clients' merged deliveries differ;
//     Index.Match of a valid name must give the deliveries (merged per
//     client: highest QoS, Retain As Published if any, every subscription
//     identifier; the publisher's own No Local subscriptions left out) and
//     the shared groups (members compared field by field) that topic.Match
//     over a map model gives; again after half of the subscriptions are
//     unsubscribed (each exactly once); and unsubscribing the rest leaves
//     an empty Index.
//   - FuzzTopicValidate(filter, name): ValidateName, ValidateFilter and
//     ParseShared agree with an independent reference of the rules of
//     MQTT 5.0 sections 4.7 and 4.8 (topicref_test.go: split on '/', '#'
//     only as the whole last level, '+' only as a whole level, no
//     wildcards in names, non-empty, at most 65535 bytes, well-formed
//     UTF-8 without U+0000; "$share/" + a non-empty share name without
//     '+' or '#' + '/' + a valid non-empty filter) on both inputs, each
//     checked as a name, as a filter and after "$share/": valid exactly
//     when the reference says so, otherwise an *mqtt.Error of the right
//     code naming a rule the reference finds broken. A valid shared filter splits into
//     (group, inner) with "$share/"+group+"/"+inner == filter. They agree
//     with packet.ValidString on UTF-8; "#" matches every valid name not
//     starting with '$'; a valid name is a valid filter matching itself;
//     and topic.Match agrees with a naive split-based matcher on the
//     filter, on the inner filter of a shared one, and on filters built
//     from the name (a level replaced by '+', a prefix followed by '#').
//   - FuzzTopicTree(names, filter): a topic.Tree behaves like a map.
//     NUL-separated entries are Set (valid names only, value: position)
//     or, with a leading 0xFF byte, Deleted; Set, Delete, Get and Len
//     agree with a map model; Tree.Match of the filter (the inner one of a
//     shared filter) and of filters built from stored names yields exactly
//     the stored names topic.Match accepts, each once with its value; a
//     walk whose fn returns false after j calls makes exactly j; deleting
//     everything leaves a tree that matches nothing.

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
// ones, and other named edge cases; for the topic targets, the
// specification's examples, wildcards that do not fill their level ("a#",
// "a/b#", "#/a", "a/+b"), malformed shared filters ("$share//a",
// "$share/g", "$share/g/a#"), names starting with '$' against first-level
// wildcards, lengths at the limit, and clients with differing
// subscriptions. Files named regression-* are crashers
// the targets found (or bugs they confirm), kept by hand and listed in
// README.md; the generator never touches them. Inputs that fuzzing finds
// interesting go to the Go build cache, not to testdata.
package fuzz

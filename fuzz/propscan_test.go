package fuzz

import (
	"errors"
	"fmt"
	"slices"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// A reference reader of MQTT 5 property blocks, written from the
// specification (section 2.2.2.2) and independent of mqtt/packet's table,
// so that FuzzRoundTrip can check what the codec decoded against what was
// on the wire.

type refKind byte

const (
	refByte refKind = iota + 1
	refU16
	refU32
	refVarint
	refString // also binary data: a two-byte length and the bytes
	refPair
)

const refWill = 0 // the Will Properties, in the allowed masks

func types(ts ...packet.Type) uint16 {
	var m uint16
	for _, t := range ts {
		m |= 1 << t
	}
	return m
}

var (
	pubWill = types(refWill, packet.TypePublish)
	acks    = types(packet.TypeConnack, packet.TypePuback, packet.TypePubrec, packet.TypePubrel,
		packet.TypePubcomp, packet.TypeSuback, packet.TypeUnsuback, packet.TypeDisconnect, packet.TypeAuth)
)

// refProps: identifier -> value type and the packets (bit 0: will) that
// may carry it, from the table in section 2.2.2.2.
var refProps = map[uint32]struct {
	kind    refKind
	allowed uint16
}{
	0x01: {refByte, pubWill},
	0x02: {refU32, pubWill},
	0x03: {refString, pubWill},
	0x08: {refString, pubWill},
	0x09: {refString, pubWill},
	0x0B: {refVarint, types(packet.TypePublish, packet.TypeSubscribe)},
	0x11: {refU32, types(packet.TypeConnect, packet.TypeConnack, packet.TypeDisconnect)},
	0x12: {refString, types(packet.TypeConnack)},
	0x13: {refU16, types(packet.TypeConnack)},
	0x15: {refString, types(packet.TypeConnect, packet.TypeConnack, packet.TypeAuth)},
	0x16: {refString, types(packet.TypeConnect, packet.TypeConnack, packet.TypeAuth)},
	0x17: {refByte, types(packet.TypeConnect)},
	0x18: {refU32, types(refWill)},
	0x19: {refByte, types(packet.TypeConnect)},
	0x1A: {refString, types(packet.TypeConnack)},
	0x1C: {refString, types(packet.TypeConnack, packet.TypeDisconnect)},
	0x1F: {refString, acks},
	0x21: {refU16, types(packet.TypeConnect, packet.TypeConnack)},
	0x22: {refU16, types(packet.TypeConnect, packet.TypeConnack)},
	0x23: {refU16, types(packet.TypePublish)},
	0x24: {refByte, types(packet.TypeConnack)},
	0x25: {refByte, types(packet.TypeConnack)},
	0x26: {refPair, 0xffff &^ types(packet.TypePingreq, packet.TypePingresp)},
	0x27: {refU32, types(packet.TypeConnect, packet.TypeConnack)},
	0x28: {refByte, types(packet.TypeConnack)},
	0x29: {refByte, types(packet.TypeConnack)},
	0x2A: {refByte, types(packet.TypeConnack)},
}

// prop is one property as it stood on the wire.
type prop struct {
	id    uint32
	value string
}

// errMultiByteID marks a property identifier written as a Variable Byte
// Integer of more than one byte: no defined property has such an id.
var errMultiByteID = errors.New("multi-byte property identifier")

func refVarintAt(b []byte) (x uint32, n int, err error) {
	for i := 0; i < len(b) && i < 4; i++ {
		x |= uint32(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1, nil
		}
	}
	return 0, 0, errors.New("bad variable byte integer")
}

func refU16At(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, errors.New("short two-byte integer")
	}
	return int(b[0])<<8 | int(b[1]), nil
}

// scanBlock reads one Property Length and its properties at the start of
// b, for packet type t (0: will).
func scanBlock(b []byte, t packet.Type) (props []prop, rest []byte, err error) {
	n, w, err := refVarintAt(b)
	if err != nil {
		return nil, nil, fmt.Errorf("property length: %w", err)
	}
	b = b[w:]
	if int(n) > len(b) {
		return nil, nil, fmt.Errorf("property length %d with %d bytes left", n, len(b))
	}
	blk, rest := b[:n], b[n:]
	for len(blk) > 0 {
		id, w, err := refVarintAt(blk)
		if err != nil {
			return nil, nil, fmt.Errorf("property identifier: %w", err)
		}
		if w > 1 {
			return nil, nil, fmt.Errorf("%w % x (= 0x%x)", errMultiByteID, blk[:w], id)
		}
		blk = blk[w:]
		info, ok := refProps[id]
		if !ok {
			return nil, nil, fmt.Errorf("unknown property 0x%02x", id)
		}
		if info.allowed&(1<<t) == 0 {
			return nil, nil, fmt.Errorf("property 0x%02x is not allowed in %v", id, t)
		}
		var size int
		switch info.kind {
		case refByte:
			size = 1
		case refU16:
			size = 2
		case refU32:
			size = 4
		case refVarint:
			_, size, err = refVarintAt(blk)
		case refString:
			size, err = refU16At(blk)
			size += 2
		case refPair:
			var k, v int
			if k, err = refU16At(blk); err == nil {
				if 2+k > len(blk) {
					err = errors.New("short user property")
				} else if v, err = refU16At(blk[2+k:]); err == nil {
					size = 4 + k + v
				}
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("property 0x%02x: %w", id, err)
		}
		if size > len(blk) {
			return nil, nil, fmt.Errorf("property 0x%02x runs past its block", id)
		}
		props = append(props, prop{id, string(blk[:size])})
		blk = blk[size:]
	}
	return props, rest, nil
}

// scanPacket returns the property blocks of an MQTT 5 packet: for CONNECT
// the CONNECT properties and the Will Properties, for every other type one
// block. A block the short form leaves out reads as empty.
func scanPacket(b []byte) ([][]prop, error) {
	_, w, err := refVarintAt(b[1:])
	if err != nil {
		return nil, err
	}
	t, flags, body := packet.Type(b[0]>>4), b[0]&15, b[1+w:]
	off := -1
	switch t {
	case packet.TypeConnect:
		nl, err := refU16At(body)
		if err != nil || len(body) < 2+nl+4 {
			return nil, errors.New("short CONNECT")
		}
		cflags := body[2+nl+1]
		props, rest, err := scanBlock(body[2+nl+4:], t)
		if err != nil {
			return nil, err
		}
		var will []prop
		if cflags&0x04 != 0 {
			cl, err := refU16At(rest)
			if err != nil || len(rest) < 2+cl {
				return nil, errors.New("short CONNECT payload")
			}
			if will, _, err = scanBlock(rest[2+cl:], refWill); err != nil {
				return nil, fmt.Errorf("will: %w", err)
			}
		}
		return [][]prop{props, will}, nil
	case packet.TypePublish:
		tl, err := refU16At(body)
		if err != nil {
			return nil, err
		}
		off = 2 + tl
		if flags&0x06 != 0 {
			off += 2
		}
	case packet.TypeConnack, packet.TypeSubscribe, packet.TypeSuback, packet.TypeUnsubscribe, packet.TypeUnsuback:
		off = 2
	case packet.TypePuback, packet.TypePubrec, packet.TypePubrel, packet.TypePubcomp:
		if len(body) > 3 {
			off = 3
		}
	case packet.TypeDisconnect, packet.TypeAuth:
		if len(body) > 1 {
			off = 1
		}
	}
	if off < 0 {
		return [][]prop{nil}, nil
	}
	if off > len(body) {
		return nil, errors.New("short body")
	}
	props, _, err := scanBlock(body[off:], t)
	return [][]prop{props}, err
}

// samePropertiesOnWire checks that the encoding out of a packet decoded
// from in carries the same properties: the same identifiers with the same
// value bytes, repeated ones (User Property, Subscription Identifier) in
// the same order. The encoder writes properties in identifier order, so
// the input's are sorted (stably) before comparing.
func samePropertiesOnWire(in, out []byte, p packet.Packet, v mqtt.Version) error {
	if v != mqtt.V5 {
		return nil
	}
	a, err := scanPacket(in)
	if err != nil {
		return fmt.Errorf("the decoder accepted properties the reference reader rejects: %w", err)
	}
	b, err := scanPacket(out)
	if err != nil {
		return fmt.Errorf("the encoder wrote properties the reference reader rejects: %w", err)
	}
	for i := range a {
		slices.SortStableFunc(a[i], func(x, y prop) int { return int(x.id) - int(y.id) })
		if !slices.Equal(a[i], b[i]) {
			return fmt.Errorf("property block %d: %x on the wire, %x encoded", i, a[i], b[i])
		}
	}
	return nil
}

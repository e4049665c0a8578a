package packet

import (
	"encoding/binary"
	"io"
	"strconv"

	"github.com/mqttx/mqttx/mqtt"
)

// DefaultMaxPacketSize is the packet size limit of a Decoder or Reader
// whose MaxPacketSize is zero: 1 MiB, counted over the whole packet as MQTT
// 5's Maximum Packet Size is. The protocol allows 256 MiB; a peer gets that
// only when the application raises the limit on purpose.
const DefaultMaxPacketSize = 1 << 20

// Decoder parses packets from byte slices. Its zero value is ready to use:
// with Version zero it accepts only a CONNECT and then takes that packet's
// protocol version as its own.
//
// The packet a Decode returns is owned by the Decoder and valid until its
// next Decode, which may reuse it and the slices in it; its []byte fields
// alias the input slice.
// A Decoder is not safe for concurrent use.
type Decoder struct {
	// Version is the protocol version of the connection. Zero means not
	// yet known: only CONNECT is accepted, and decoding one sets it.
	Version mqtt.Version
	// MaxPacketSize limits the size of a whole packet; zero means
	// DefaultMaxPacketSize. A larger packet fails with PacketTooLarge
	// before its body is looked at.
	MaxPacketSize int

	packets *[16]Packet // the reusable value of each packet type, made on first use
	willVal *Will
	strs    *[64]string // a two-way cache of recent short strings, made once strCacheAfter strings were decoded
	nstr    uint8       // short strings decoded while strs is nil
	noCache bool        // for one-shot decoding: strings are always copied
}

// strCacheAfter is how many short strings a Decoder copies before it makes
// its string cache: a connection that only subscribes once never pays for
// the cache's kilobyte, and one that keeps publishing soon has it.
const strCacheAfter = 4

// forget drops every value the Decoder keeps for reuse (packet values and
// the string cache), so an idle connection holds none of them; decoding
// then allocates them anew.
func (d *Decoder) forget() {
	d.packets, d.willVal, d.strs, d.nstr = nil, nil, nil, 0
}

// Decode parses the packet at the start of b and returns it with the number
// of bytes it took. When b holds only part of a packet it fails with
// io.ErrUnexpectedEOF and the caller should try again with more bytes.
// Every other error is an *mqtt.Error, after which the byte stream cannot
// be trusted any further.
func (d *Decoder) Decode(b []byte) (Packet, int, error) {
	if t, total, ok := d.plainHeader(b); ok {
		// The common case, decided at a glance; anything else takes the
		// general path below, which reports the precise error.
		var p Packet
		if d.packets != nil {
			p = d.packets[t]
		}
		if p == nil {
			p = d.packet(t)
		}
		if err := p.decode(d, b[0]&0x0f, b[2:total:total], d.Version); err != nil {
			return nil, total, err
		}
		if d.Version == 0 {
			d.Version = p.(*Connect).Version
		}
		return p, total, nil
	}
	return d.decodeGeneral(b)
}

// decodeGeneral is Decode for every packet: it parses the fixed header in
// full and reports each failure precisely.
func (d *Decoder) decodeGeneral(b []byte) (Packet, int, error) {
	h, err := ParseFixedHeader(b, d.Version)
	if err != nil {
		return nil, 0, err
	}
	if err := d.checkHeader(h); err != nil {
		return nil, 0, err
	}
	total := h.Total()
	if len(b) < total {
		return nil, 0, io.ErrUnexpectedEOF
	}
	p, err := d.decodeBody(h, b[h.Size:total:total])
	return p, total, err
}

// plainHeader reports whether b starts with a whole packet whose fixed
// header is beyond doubt: a one-byte remaining length, a type allowed now
// with its required flag bits, within the size limit. It returns the type
// and the size of the whole packet. A false answer says only that Decode
// must take the general path.
func (d *Decoder) plainHeader(b []byte) (Type, int, bool) {
	if len(b) < 2 || b[1] >= 0x80 {
		return 0, 0, false
	}
	t, flags, total := Type(b[0]>>4), b[0]&0x0f, 2+int(b[1])
	v := d.Version
	ok := total <= len(b) &&
		(flags == requiredFlags[t] || t == TypePublish) &&
		(v != 0 || t == TypeConnect) &&
		t != 0 && (t != TypeAuth || v == mqtt.V5) &&
		(d.MaxPacketSize <= 0 || total <= d.MaxPacketSize)
	return t, total, ok
}

// checkHeader decides what the fixed header alone can: the packet must be
// a CONNECT when the version is not yet known [MQTT-3.1.0-1], and within
// the size limit. Both are checked before the body is read.
func (d *Decoder) checkHeader(h FixedHeader) error {
	if d.Version == 0 && h.Type != TypeConnect {
		return mqtt.Protocol("MQTT-3.1.0-1", "expected CONNECT, got "+h.Type.String())
	}
	return d.checkSize(h)
}

func (d *Decoder) checkSize(h FixedHeader) error {
	limit := d.MaxPacketSize
	if limit <= 0 {
		limit = DefaultMaxPacketSize
	}
	if h.Total() > limit {
		return &mqtt.Error{Code: mqtt.PacketTooLarge, Reason: h.Type.String() + " of " + strconv.Itoa(h.Total()) + " bytes exceeds the limit of " + strconv.Itoa(limit)}
	}
	return nil
}

func (d *Decoder) decodeBody(h FixedHeader, body []byte) (Packet, error) {
	if d.Version == 0 && h.Type != TypeConnect {
		return nil, mqtt.Protocol("MQTT-3.1.0-1", "expected CONNECT, got "+h.Type.String())
	}
	p := d.packet(h.Type)
	if err := p.decode(d, h.Flags, body, d.Version); err != nil {
		return nil, err
	}
	if c, ok := p.(*Connect); ok && d.Version == 0 {
		d.Version = c.Version
	}
	return p, nil
}

// packet returns the Decoder's reusable value of type t.
func (d *Decoder) packet(t Type) Packet {
	if d.packets == nil {
		d.packets = new([16]Packet)
	}
	if p := d.packets[t]; p != nil {
		return p
	}
	p := newPacket(t)
	d.packets[t] = p
	return p
}

func newPacket(t Type) Packet {
	switch t {
	case TypeConnect:
		return new(Connect)
	case TypeConnack:
		return new(Connack)
	case TypePublish:
		return new(Publish)
	case TypePuback:
		return new(Puback)
	case TypePubrec:
		return new(Pubrec)
	case TypePubrel:
		return new(Pubrel)
	case TypePubcomp:
		return new(Pubcomp)
	case TypeSubscribe:
		return new(Subscribe)
	case TypeSuback:
		return new(Suback)
	case TypeUnsubscribe:
		return new(Unsubscribe)
	case TypeUnsuback:
		return new(Unsuback)
	case TypePingreq:
		return new(Pingreq)
	case TypePingresp:
		return new(Pingresp)
	case TypeDisconnect:
		return new(Disconnect)
	case TypeAuth:
		return new(Auth)
	}
	panic("packet: no packet type " + strconv.Itoa(int(t)))
}

// New returns a new, empty packet of type t, or nil when t is not a
// control packet type.
func New(t Type) Packet {
	if t < TypeConnect || t > TypeAuth {
		return nil
	}
	return newPacket(t)
}

func (d *Decoder) newWill() *Will {
	if d.willVal == nil {
		d.willVal = new(Will)
	}
	w := d.willVal
	w.Properties.reset()
	w.Topic, w.Payload = "", nil
	return w
}

// strLast returns b as a string, reusing last (the same field's value in
// the previous packet of this type) when it is equal: a connection that
// repeats a topic costs one comparison.
func (d *Decoder) strLast(last string, b []byte) string {
	if len(last) == len(b) && last == string(b) {
		return last
	}
	return d.str(b)
}

// strLastPlain is strLast that also reports whether b is plain: ASCII
// without NUL, and so a valid MQTT string (ValidString). One pass over b
// does the check and the comparison with last; a false answer says only
// that b needs the full check.
func (d *Decoder) strLastPlain(last string, b []byte) (string, bool) {
	n := len(b)
	same := len(last) == n
	var plain bool
	switch {
	case n >= 8:
		// Eight bytes at a time; the last word overlaps the one before.
		var or, zero, diff uint64
		for i := 0; i < n; i += 8 {
			if i > n-8 {
				i = n - 8
			}
			x := binary.LittleEndian.Uint64(b[i:])
			or |= x
			zero |= (x - lsb) &^ x
			if same {
				diff |= x ^ word(last, i)
			}
		}
		plain, same = (or|zero)&msb == 0, same && diff == 0
	case n >= 4:
		// Two overlapping four-byte halves cover all of b.
		x := uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
		plain = asciiWord(x)
		same = same && x == uint64(word32(last, 0))|uint64(word32(last, n-4))<<32
	case n > 0:
		// The first, middle and last byte cover all of b, padded with
		// spaces, which pass the check.
		x := uint64(b[0]) | uint64(b[n>>1])<<8 | uint64(b[n-1])<<16 | 0x2020202020<<24
		plain = asciiWord(x)
		same = same && x == uint64(last[0])|uint64(last[n>>1])<<8|uint64(last[n-1])<<16|0x2020202020<<24
	default:
		return "", true
	}
	if same {
		return last, plain
	}
	return d.str(b), plain
}

// str returns b as a string. Short strings are looked up in a small cache
// first, so a connection that repeats its topics and property names
// decodes them without allocating.
func (d *Decoder) str(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if n > 64 || d.noCache {
		return string(b)
	}
	if d.strs == nil {
		if d.nstr < strCacheAfter {
			d.nstr++
			return string(b)
		}
		d.strs = new([64]string)
	}
	// Hash every byte, eight at a time, to pick a pair of slots; the
	// content comparison decides, so a collision only costs an allocation.
	h := uint64(n) * 0x9e3779b97f4a7c15
	i := 0
	for ; i+8 <= n; i += 8 {
		h = (h ^ binary.LittleEndian.Uint64(b[i:])) * 0xff51afd7ed558ccd
		h ^= h >> 29
	}
	switch {
	case i == n:
	case n >= 8: // the last eight bytes, overlapping
		h = (h ^ binary.LittleEndian.Uint64(b[n-8:])) * 0xff51afd7ed558ccd
	default: // shorter than eight bytes: gather them, then mix once
		var x uint64
		for ; i < n; i++ {
			x = x<<8 | uint64(b[i])
		}
		h = (h ^ x) * 0xff51afd7ed558ccd
	}
	h ^= h >> 32
	h *= 0xc4ceb9fe1a85ec53
	i = int(h>>58) &^ 1
	if s := d.strs[i]; s == string(b) {
		return s
	}
	if s := d.strs[i+1]; s == string(b) {
		return s
	}
	s := string(b)
	d.strs[i+1] = d.strs[i]
	d.strs[i] = s
	return s
}

// Decode parses the packet at the start of b for protocol version v (zero
// for a CONNECT of any version) and returns a new packet value whose []byte
// fields alias b, with the number of bytes used. The packet size limit is
// DefaultMaxPacketSize.
func Decode(b []byte, v mqtt.Version) (Packet, int, error) {
	d := Decoder{Version: v, noCache: true}
	return d.Decode(b)
}

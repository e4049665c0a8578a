package packet

import (
	"errors"
	"io"
	"sync"

	"github.com/mqttx/mqttx/mqtt"
)

// Reader reads packets from a byte stream. It reads the fixed header
// first and rejects a packet larger than MaxPacketSize before reading its
// body; the body buffer then grows only as bytes actually arrive, so a
// peer that declares a large packet and sends little makes it allocate
// little.
//
// The packet ReadPacket returns, and every []byte in it, stays valid until
// the next ReadPacket, Reset or Release. A Reader is not safe for
// concurrent use.
type Reader struct {
	// Version and MaxPacketSize are as for Decoder. After a CONNECT is
	// read with Version zero, Version holds that CONNECT's version.
	Version       mqtt.Version
	MaxPacketSize int

	r          io.Reader
	d          Decoder
	buf        []byte
	start, end int // buffered bytes are buf[start:end]
	last       int // bytes of the packet returned last, consumed on the next call
}

// minRead is the smallest read the Reader asks of the stream.
const minRead = 512

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Reset makes the Reader read from r, dropping any buffered bytes but
// keeping its buffer and settings.
func (r *Reader) Reset(rd io.Reader) {
	r.r = rd
	r.start, r.end, r.last = 0, 0, 0
}

// Buffered is the number of bytes read from the stream and not yet
// returned as packets.
func (r *Reader) Buffered() int { return r.end - r.start - r.last }

// Release drops the Reader's buffer when it holds no unread bytes, so an
// idle connection holds no read buffer; a buffer of the smallest size goes
// back to a pool shared by all Readers, and the next read takes one from
// it. The packet values and strings kept for reuse by decoding are dropped
// too, so the packets after a Release allocate them again. It invalidates
// the last packet returned.
func (r *Reader) Release() {
	r.d.forget()
	r.consume()
	if r.start == r.end {
		if cap(r.buf) == minRead {
			smallBufs.Put((*[minRead]byte)(r.buf[:minRead]))
		}
		r.buf, r.start, r.end = nil, 0, 0
	}
}

// smallBufs holds released buffers of minRead bytes.
var smallBufs = sync.Pool{New: func() any { return new([minRead]byte) }}

func (r *Reader) consume() {
	r.start += r.last
	r.last = 0
	if r.start == r.end {
		r.start, r.end = 0, 0
	}
}

// ReadPacket reads the next packet. At a clean end of stream it returns
// io.EOF; when the stream ends inside a packet, io.ErrUnexpectedEOF.
// Protocol failures are *mqtt.Error values; after one, the stream is out
// of step and the connection should be closed.
func (r *Reader) ReadPacket() (Packet, error) {
	r.consume()
	r.d.Version, r.d.MaxPacketSize = r.Version, r.MaxPacketSize
	for {
		h, err := ParseFixedHeader(r.buf[r.start:r.end], r.Version)
		if err == nil {
			if err := r.d.checkHeader(h); err != nil {
				return nil, err
			}
			total := h.Total()
			if err := r.fill(total); err != nil {
				return nil, err
			}
			body := r.buf[r.start+h.Size : r.start+total : r.start+total]
			r.last = total
			p, err := r.d.decodeBody(h, body)
			r.Version = r.d.Version
			return p, err
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		// Header incomplete: at most five bytes long.
		if err := r.fill(r.end - r.start + 1); err != nil {
			return nil, err
		}
	}
}

// fill reads until at least n bytes are buffered.
func (r *Reader) fill(n int) error {
	empty := 0
	for r.end-r.start < n {
		if r.end == len(r.buf) {
			r.grow(n)
		}
		m, err := r.r.Read(r.buf[r.end:])
		r.end += m
		if m == 0 && err == nil {
			if empty++; empty >= 100 {
				return io.ErrNoProgress
			}
		}
		if r.end-r.start >= n {
			return nil
		}
		if err != nil {
			if err == io.EOF && r.end == r.start {
				return io.EOF
			}
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// grow makes room to read more: it moves the buffered bytes to the front
// when the n bytes needed then fit, and otherwise enlarges the buffer
// geometrically, never beyond n (or minRead), so what it allocates stays
// within twice what has arrived.
func (r *Reader) grow(n int) {
	have := r.end - r.start
	if r.start > 0 && n <= len(r.buf) {
		copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, have
		return
	}
	size := max(2*len(r.buf), minRead)
	if size > n {
		size = max(n, minRead)
	}
	if size == minRead && r.buf == nil {
		r.buf, r.start, r.end = smallBufs.Get().(*[minRead]byte)[:], 0, 0
		return
	}
	nb := make([]byte, size)
	copy(nb, r.buf[r.start:r.end])
	r.buf, r.start, r.end = nb, 0, have
}

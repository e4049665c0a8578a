package packet

import "io"

// Ready reports whether ReadPacket would return without reading from the
// stream: a whole packet is buffered, or the buffered bytes already fail
// a header check. A server uses it to flush its replies only when it is
// about to wait for more input.
func (r *Reader) Ready() bool {
	start := r.start + r.last
	if start >= r.end {
		return false
	}
	h, err := ParseFixedHeader(r.buf[start:r.end], r.Version)
	if err != nil {
		return err != io.ErrUnexpectedEOF
	}
	r.d.Version, r.d.MaxPacketSize = r.Version, r.MaxPacketSize
	if r.d.checkHeader(h) != nil {
		return true
	}
	return r.end-start >= h.Total()
}

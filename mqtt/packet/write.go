package packet

import (
	"io"
	"sync"

	"github.com/mqttx/mqttx/mqtt"
)

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Write validates p, encodes it for version v and writes it to w with a
// single Write call.
func Write(w io.Writer, p Packet, v mqtt.Version) error {
	bp := writeBufs.Get().(*[]byte)
	b, err := p.Append((*bp)[:0], v)
	if err == nil {
		_, err = w.Write(b)
	}
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		writeBufs.Put(bp)
	}
	return err
}

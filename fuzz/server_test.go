package fuzz

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// FuzzServerConn sends a valid CONNECT and then arbitrary bytes to a broker
// connection. Whatever the bytes, the broker must not panic, must keep its
// output decodable, and must end the connection once the client goes away.
// The first byte picks the protocol version.
func FuzzServerConn(f *testing.F) {
	sub, _ := (&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "a/#", QoS: 2}}}).Append(nil, mqtt.V5)
	pub, _ := (&packet.Publish{Topic: "a/b", QoS: 2, PacketID: 2, Retain: true, Payload: []byte("x")}).Append(nil, mqtt.V5)
	rel, _ := (&packet.Pubrel{PacketID: 2}).Append(nil, mqtt.V5)
	f.Add(append(append(append([]byte{5}, sub...), pub...), rel...))
	f.Add(append([]byte{4}, 0xc0, 0x00, 0xe0, 0x00))
	f.Add([]byte{5, 0x30, 0xff, 0xff, 0xff, 0x7f})
	f.Add([]byte{3, 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, '#', 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		v := mqtt.Version(data[0]%3 + 3)
		srv := &server.Server{Logger: slog.New(slog.DiscardHandler), MaxPacketSize: 64 << 10, WriteTimeout: time.Second}
		defer srv.Close()
		a, b := net.Pipe()
		served := make(chan struct{})
		go func() { srv.ServeConn(b); close(served) }()
		read := make(chan error, 1)
		go func() {
			r := packet.NewReader(a)
			r.Version = v
			r.MaxPacketSize = 1 << 20
			for {
				if _, err := r.ReadPacket(); err != nil {
					read <- err
					return
				}
			}
		}()
		cp := &packet.Connect{Version: v, ClientID: "fuzz", CleanStart: true, KeepAlive: 60}
		cp.Will = &packet.Will{Topic: "will", Payload: []byte("w")}
		packet.Write(a, cp, v)
		a.SetWriteDeadline(time.Now().Add(2 * time.Second))
		a.Write(data[1:])
		a.Close()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			t.Fatal("the broker did not end the connection after the client closed it")
		}
		if err := <-read; err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			if _, ok := err.(*net.OpError); !ok && err != io.ErrClosedPipe {
				t.Fatalf("the broker wrote what does not decode: %v", err)
			}
		}
	})
}

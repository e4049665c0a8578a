package packet_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Encode a PUBLISH for MQTT 3.1.1 and MQTT 5.0.
func ExamplePublish_Append() {
	p := &packet.Publish{QoS: mqtt.QoS1, PacketID: 10, Topic: "a/b", Payload: []byte("hi")}
	b, err := p.Append(nil, mqtt.V311)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x\n", b)

	p.Properties.ContentType = "text/plain"
	b, _ = p.Append(b[:0], mqtt.V5)
	fmt.Printf("% x\n", b)
	// Output:
	// 32 09 00 03 61 2f 62 00 0a 68 69
	// 32 17 00 03 61 2f 62 00 0a 0d 03 00 0a 74 65 78 74 2f 70 6c 61 69 6e 68 69
}

// Decode a CONNECT: a Decoder whose Version is zero accepts only a
// CONNECT, and takes its protocol version.
func ExampleDecoder_Decode() {
	in := []byte{
		0x10, 0x17, // CONNECT, remaining length 23
		0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, // "MQTT", level 4
		0xc2, 0x00, 0x3c, // user name, password, clean session; keep alive 60
		0x00, 0x03, 'd', 'e', 'v', // client identifier
		0x00, 0x02, 'u', 's', // user name
		0x00, 0x02, 'p', 'w', // password
	}
	var d packet.Decoder
	p, n, err := d.Decode(in)
	if err != nil {
		panic(err)
	}
	c := p.(*packet.Connect)
	fmt.Println(n, "bytes, MQTT", c.Version, "client", c.ClientID)
	fmt.Println("clean:", c.CleanStart, "keep alive:", c.KeepAlive, "user:", c.Username, "password:", string(c.Password))
	fmt.Println("decoder version:", d.Version)
	// Output:
	// 25 bytes, MQTT 3.1.1 client dev
	// clean: true keep alive: 60 user: us password: pw
	// decoder version: 3.1.1
}

// Read packets from a stream until it ends.
func ExampleReader() {
	var stream bytes.Buffer
	packet.Write(&stream, &packet.Connect{Version: mqtt.V5, ClientID: "c"}, mqtt.V5)
	packet.Write(&stream, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "a/#", QoS: mqtt.QoS1}}}, mqtt.V5)
	packet.Write(&stream, &packet.Publish{Topic: "a/b", Payload: []byte("hello")}, mqtt.V5)
	packet.Write(&stream, &packet.Disconnect{}, mqtt.V5)

	r := packet.NewReader(&stream)
	for {
		p, err := r.ReadPacket()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		switch p := p.(type) {
		case *packet.Publish:
			fmt.Printf("%v %s %q\n", p.Type(), p.Topic, p.Payload)
		case *packet.Subscribe:
			fmt.Println(p.Type(), p.Subscriptions[0].Filter)
		default:
			fmt.Println(p.Type())
		}
	}
	// Output:
	// CONNECT
	// SUBSCRIBE a/#
	// PUBLISH a/b "hello"
	// DISCONNECT
}

// A decoding failure is an *mqtt.Error: Code is the reason code to answer
// with, Rule the statement the peer broke.
func ExampleDecode_error() {
	in := []byte{0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01} // PUBLISH with QoS 3
	_, _, err := packet.Decode(in, mqtt.V5)
	var e *mqtt.Error
	if errors.As(err, &e) {
		fmt.Printf("code %#02x (%v), rule %s\n", byte(e.Code), e.Code, e.Rule)
	}
	fmt.Println(errors.Is(err, mqtt.ErrMalformedPacket))
	// Output:
	// code 0x81 (malformed packet), rule MQTT-3.3.1-4
	// true
}

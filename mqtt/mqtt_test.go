package mqtt

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{Malformed("MQTT-1.5.5-1", "remaining length not minimal"), "mqtt: malformed packet: remaining length not minimal [MQTT-1.5.5-1]"},
		{Protocol("", "second CONNECT"), "mqtt: protocol error: second CONNECT"},
		{&Error{Code: SessionTakenOver, Remote: true}, "mqtt: session taken over (from peer)"},
		{&Error{Code: 0xfe}, "mqtt: reason code 0xfe"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("reading: %w", Malformed("MQTT-3.3.1-4", "QoS 3"))
	if !errors.Is(err, ErrMalformedPacket) {
		t.Errorf("a wrapped malformed-packet error does not match ErrMalformedPacket")
	}
	if errors.Is(err, ErrProtocolError) || errors.Is(err, ErrPacketTooLarge) {
		t.Errorf("a malformed-packet error matches another code's sentinel")
	}
	if errors.Is(&Error{Code: MalformedPacket, Remote: true}, ErrMalformedPacket) {
		t.Errorf("an error the peer reported matches the sentinel of locally found errors")
	}
	if !errors.Is(err, Malformed("MQTT-3.3.1-4", "QoS 3")) || errors.Is(err, Malformed("MQTT-3.3.1-2", "QoS 3")) {
		t.Errorf("a specific target must match field by field")
	}
	if got := CodeOf(err); got != MalformedPacket {
		t.Errorf("CodeOf = %v, want malformed packet", got)
	}
	if got := CodeOf(errors.New("io")); got != UnspecifiedError {
		t.Errorf("CodeOf(plain error) = %v, want unspecified error", got)
	}
}

func TestConnectReturnCodes(t *testing.T) {
	// The six 3.x codes map to MQTT 5 codes and back unchanged.
	for c := ConnectAccepted; c <= ConnectNotAuthorized; c++ {
		if back := c.ReasonCode().ConnectReturnCode(); back != c {
			t.Errorf("%v -> %v -> %v", c, c.ReasonCode(), back)
		}
		if !c.Valid() {
			t.Errorf("%v not valid", c)
		}
	}
	if ConnectReturnCode(6).Valid() || ConnectReturnCode(6).String() != "return code 6" {
		t.Errorf("return code 6: valid %v, %q", ConnectReturnCode(6).Valid(), ConnectReturnCode(6))
	}
	// Codes without a 3.x equivalent keep their sense where one exists.
	for rc, want := range map[ReasonCode]ConnectReturnCode{
		Banned: ConnectNotAuthorized, BadAuthenticationMethod: ConnectBadUsernameOrPassword,
		ServerBusy: ConnectServerUnavailable, QuotaExceeded: ConnectServerUnavailable,
	} {
		if got := rc.ConnectReturnCode(); got != want {
			t.Errorf("%v -> %v, want %v", rc, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	defined := 0
	for c := 0; c < 256; c++ {
		rc := ReasonCode(c)
		if rc.Defined() {
			defined++
			if rc.IsError() != (c >= 0x80) {
				t.Errorf("%v: IsError %v", rc, rc.IsError())
			}
		}
	}
	if defined != 43 {
		t.Errorf("%d reason codes defined, want the 43 of MQTT 5.0", defined)
	}
	for _, tt := range []struct{ got, want string }{
		{V31.String(), "3.1"}, {V311.String(), "3.1.1"}, {V5.String(), "5.0"}, {Version(6).String(), "Version(6)"},
		{V31.ProtocolName(), "MQIsdp"}, {V311.ProtocolName(), "MQTT"}, {V5.ProtocolName(), "MQTT"},
		{QoS2.String(), "QoS 2"}, {QoS(3).String(), "QoS(3)"},
		{SessionTakenOver.String(), "session taken over"}, {ServerMoved.String(), "server moved"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if QoS(3).Valid() || Version(6).Valid() || !V31.Valid() {
		t.Errorf("Valid is wrong")
	}
}

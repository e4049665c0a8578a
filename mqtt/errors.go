package mqtt

import "errors"

// Error is a protocol failure. Code is the reason code the connection must
// be answered with (in CONNACK, an acknowledgement or DISCONNECT on MQTT 5;
// MQTT 3.x answers most of them by closing the connection). Rule names the
// normative statement that was broken, as "MQTT-x.y.z-n", when there is one.
//
// Remote is true when the peer reported the failure to us (a DISCONNECT or
// a refusing CONNACK it sent) and false when we found it.
type Error struct {
	Code   ReasonCode
	Rule   string
	Reason string
	Remote bool
}

func (e *Error) Error() string {
	s := "mqtt: " + e.Code.String()
	if e.Remote {
		s += " (from peer)"
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Rule != "" {
		s += " [" + e.Rule + "]"
	}
	return s
}

// Is makes errors.Is(err, ErrMalformedPacket) and the other code sentinels
// match any *Error of the same code and direction.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	if t.Rule == "" && t.Reason == "" {
		return t.Code == e.Code && t.Remote == e.Remote
	}
	return *t == *e
}

// Sentinels for errors.Is. Each matches every locally raised *Error with the
// same code.
var (
	ErrMalformedPacket = &Error{Code: MalformedPacket}
	ErrProtocolError   = &Error{Code: ProtocolError}
	ErrPacketTooLarge  = &Error{Code: PacketTooLarge}
)

// CodeOf returns the reason code carried by err, or UnspecifiedError when
// err is not (and does not wrap) an *Error.
func CodeOf(err error) ReasonCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return UnspecifiedError
}

// Malformed returns an *Error with code MalformedPacket.
func Malformed(rule, reason string) *Error {
	return &Error{Code: MalformedPacket, Rule: rule, Reason: reason}
}

// Protocol returns an *Error with code ProtocolError.
func Protocol(rule, reason string) *Error {
	return &Error{Code: ProtocolError, Rule: rule, Reason: reason}
}

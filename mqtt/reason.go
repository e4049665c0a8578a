package mqtt

import "strconv"

// ReasonCode is a one-byte MQTT 5 reason code. Which codes a packet may
// carry is decided by the packet codec (mqtt/packet), since the same value
// means different things in different packets (0x00 is Success, Normal
// disconnection and Granted QoS 0).
type ReasonCode byte

// The MQTT 5.0 reason codes (section 2.4).
const (
	Success                             ReasonCode = 0x00
	NormalDisconnection                 ReasonCode = 0x00
	GrantedQoS0                         ReasonCode = 0x00
	GrantedQoS1                         ReasonCode = 0x01
	GrantedQoS2                         ReasonCode = 0x02
	DisconnectWithWillMessage           ReasonCode = 0x04
	NoMatchingSubscribers               ReasonCode = 0x10
	NoSubscriptionExisted               ReasonCode = 0x11
	ContinueAuthentication              ReasonCode = 0x18
	ReAuthenticate                      ReasonCode = 0x19
	UnspecifiedError                    ReasonCode = 0x80
	MalformedPacket                     ReasonCode = 0x81
	ProtocolError                       ReasonCode = 0x82
	ImplementationSpecificError         ReasonCode = 0x83
	UnsupportedProtocolVersion          ReasonCode = 0x84
	ClientIdentifierNotValid            ReasonCode = 0x85
	BadUserNameOrPassword               ReasonCode = 0x86
	NotAuthorized                       ReasonCode = 0x87
	ServerUnavailable                   ReasonCode = 0x88
	ServerBusy                          ReasonCode = 0x89
	Banned                              ReasonCode = 0x8A
	ServerShuttingDown                  ReasonCode = 0x8B
	BadAuthenticationMethod             ReasonCode = 0x8C
	KeepAliveTimeout                    ReasonCode = 0x8D
	SessionTakenOver                    ReasonCode = 0x8E
	TopicFilterInvalid                  ReasonCode = 0x8F
	TopicNameInvalid                    ReasonCode = 0x90
	PacketIdentifierInUse               ReasonCode = 0x91
	PacketIdentifierNotFound            ReasonCode = 0x92
	ReceiveMaximumExceeded              ReasonCode = 0x93
	TopicAliasInvalid                   ReasonCode = 0x94
	PacketTooLarge                      ReasonCode = 0x95
	MessageRateTooHigh                  ReasonCode = 0x96
	QuotaExceeded                       ReasonCode = 0x97
	AdministrativeAction                ReasonCode = 0x98
	PayloadFormatInvalid                ReasonCode = 0x99
	RetainNotSupported                  ReasonCode = 0x9A
	QoSNotSupported                     ReasonCode = 0x9B
	UseAnotherServer                    ReasonCode = 0x9C
	ServerMoved                         ReasonCode = 0x9D
	SharedSubscriptionsNotSupported     ReasonCode = 0x9E
	ConnectionRateExceeded              ReasonCode = 0x9F
	MaximumConnectTime                  ReasonCode = 0xA0
	SubscriptionIdentifiersNotSupported ReasonCode = 0xA1
	WildcardSubscriptionsNotSupported   ReasonCode = 0xA2
)

var reasonNames = [256]string{
	0x00: "success",
	0x01: "granted QoS 1",
	0x02: "granted QoS 2",
	0x04: "disconnect with will message",
	0x10: "no matching subscribers",
	0x11: "no subscription existed",
	0x18: "continue authentication",
	0x19: "re-authenticate",
	0x80: "unspecified error",
	0x81: "malformed packet",
	0x82: "protocol error",
	0x83: "implementation specific error",
	0x84: "unsupported protocol version",
	0x85: "client identifier not valid",
	0x86: "bad user name or password",
	0x87: "not authorized",
	0x88: "server unavailable",
	0x89: "server busy",
	0x8A: "banned",
	0x8B: "server shutting down",
	0x8C: "bad authentication method",
	0x8D: "keep alive timeout",
	0x8E: "session taken over",
	0x8F: "topic filter invalid",
	0x90: "topic name invalid",
	0x91: "packet identifier in use",
	0x92: "packet identifier not found",
	0x93: "receive maximum exceeded",
	0x94: "topic alias invalid",
	0x95: "packet too large",
	0x96: "message rate too high",
	0x97: "quota exceeded",
	0x98: "administrative action",
	0x99: "payload format invalid",
	0x9A: "retain not supported",
	0x9B: "QoS not supported",
	0x9C: "use another server",
	0x9D: "server moved",
	0x9E: "shared subscriptions not supported",
	0x9F: "connection rate exceeded",
	0xA0: "maximum connect time",
	0xA1: "subscription identifiers not supported",
	0xA2: "wildcard subscriptions not supported",
}

// String returns the reason code's name as the specification words it, in
// lower case. 0x00 is named "success"; packets that give it another name
// (normal disconnection, granted QoS 0) say so in their own String methods.
func (c ReasonCode) String() string {
	if s := reasonNames[c]; s != "" {
		return s
	}
	return "reason code 0x" + strconv.FormatUint(uint64(c), 16)
}

// Defined reports whether c is one of the reason codes of MQTT 5.0.
func (c ReasonCode) Defined() bool { return reasonNames[c] != "" }

// IsError reports whether c signals a failure (0x80 and above) [MQTT-2.4].
func (c ReasonCode) IsError() bool { return c >= 0x80 }

// ConnectReturnCode is the CONNACK return code of MQTT 3.1 and 3.1.1.
type ConnectReturnCode byte

// The CONNACK return codes of MQTT 3.1 and 3.1.1 (section 3.2.2.3).
const (
	ConnectAccepted              ConnectReturnCode = 0
	ConnectUnacceptableProtocol  ConnectReturnCode = 1
	ConnectIdentifierRejected    ConnectReturnCode = 2
	ConnectServerUnavailable     ConnectReturnCode = 3
	ConnectBadUsernameOrPassword ConnectReturnCode = 4
	ConnectNotAuthorized         ConnectReturnCode = 5
	maxConnectReturnCode                           = ConnectNotAuthorized
)

var connectReturnNames = [...]string{
	"connection accepted",
	"unacceptable protocol version",
	"identifier rejected",
	"server unavailable",
	"bad user name or password",
	"not authorized",
}

func (c ConnectReturnCode) String() string {
	if c <= maxConnectReturnCode {
		return connectReturnNames[c]
	}
	return "return code " + strconv.Itoa(int(c))
}

// Valid reports whether c is one of the six return codes MQTT 3.x defines.
func (c ConnectReturnCode) Valid() bool { return c <= maxConnectReturnCode }

// ConnectReturnCode maps an MQTT 5 CONNACK reason code to the closest MQTT
// 3.x return code, for a broker that decides once and answers clients of
// every version. Codes with no 3.x equivalent map to server unavailable,
// except authentication and authorization failures, which keep their
// meaning.
func (c ReasonCode) ConnectReturnCode() ConnectReturnCode {
	switch c {
	case Success:
		return ConnectAccepted
	case UnsupportedProtocolVersion:
		return ConnectUnacceptableProtocol
	case ClientIdentifierNotValid:
		return ConnectIdentifierRejected
	case BadUserNameOrPassword, BadAuthenticationMethod:
		return ConnectBadUsernameOrPassword
	case NotAuthorized, Banned:
		return ConnectNotAuthorized
	}
	return ConnectServerUnavailable
}

// ReasonCode maps a 3.x return code to the MQTT 5 reason code of the same
// meaning.
func (c ConnectReturnCode) ReasonCode() ReasonCode {
	switch c {
	case ConnectAccepted:
		return Success
	case ConnectUnacceptableProtocol:
		return UnsupportedProtocolVersion
	case ConnectIdentifierRejected:
		return ClientIdentifierNotValid
	case ConnectBadUsernameOrPassword:
		return BadUserNameOrPassword
	case ConnectNotAuthorized:
		return NotAuthorized
	}
	return ServerUnavailable
}

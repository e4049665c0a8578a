package conformance

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Capability is an optional broker feature or a profile declaration that
// some checks need.
type Capability string

// The capabilities. Discovery finds the broker's; the profile declares the
// rest.
const (
	CapQoS1          Capability = "qos1"                     // accepts and delivers QoS 1
	CapQoS2          Capability = "qos2"                     // accepts and delivers QoS 2
	CapRetain        Capability = "retain"                   // retained messages
	CapWildcard      Capability = "wildcard-subscriptions"   // + and # filters
	CapShared        Capability = "shared-subscriptions"     // $share/
	CapSubID         Capability = "subscription-identifiers" // MQTT 5
	CapTopicAlias    Capability = "topic-alias"              // MQTT 5: accepts Topic Aliases from clients
	CapSessionExpiry Capability = "session-expiry"           // MQTT 5: keeps a session after its connection ends
	CapEmptyID       Capability = "empty-client-id"          // assigns identifiers
	CapLongID        Capability = "long-client-id"           // accepts 64-character identifiers
	CapBadAuth       Capability = "refused-credentials"      // profile: credentials the broker refuses
	CapDenied        Capability = "denied-topic"             // profile: a topic the broker denies
	CapWebSocket     Capability = "websocket"                // the broker URL is ws:// or wss://
	CapWillTakeover  Capability = "will-on-takeover"         // profile: behaviour.willOnTakeover
	CapQueueQoS0     Capability = "queue-qos0-offline"       // profile: behaviour.queueQoS0Offline true
	CapNoQueueQoS0   Capability = "no-queue-qos0-offline"    // profile: behaviour.queueQoS0Offline false
	CapSingleCopy    Capability = "overlap-single-copy"      // profile: behaviour.overlappingCopies single
	CapMultipleCopy  Capability = "overlap-multiple-copies"  // profile: behaviour.overlappingCopies multiple
	CapMaxPacketSize Capability = "max-packet-size"          // MQTT 5: announces a Maximum Packet Size below 1 MiB
	CapReceiveMax    Capability = "receive-maximum"          // MQTT 5: announces a Receive Maximum below 100
	CapSCRAM         Capability = "scram-sha-256"            // profile: scram credentials (MQTT 5 enhanced authentication)
)

// Capabilities is what discovery found, per protocol version ("v5",
// "v3.1.1").
type Capabilities struct {
	Broker    string                  `json:"broker"`
	Transport string                  `json:"transport"`
	WebSocket string                  `json:"websocket,omitempty"`
	V         map[string]*VersionCaps `json:"versions"`
	// Disabled are capabilities the profile turned off.
	Disabled []string `json:"disabled,omitempty"`
	profile  Profile
}

// VersionCaps is what a broker offers to clients of one protocol version.
type VersionCaps struct {
	Supported bool   `json:"supported"`
	Refusal   string `json:"refusal,omitempty"`
	// MaxQoS is the highest QoS the broker takes from publishers (MQTT 5
	// Maximum QoS) and grants to subscribers.
	MaxQoS        mqtt.QoS `json:"maxQoS"`
	Retain        bool     `json:"retain"`
	Wildcard      bool     `json:"wildcardSubscriptions"`
	Shared        bool     `json:"sharedSubscriptions"`
	SubID         bool     `json:"subscriptionIdentifiers"`
	TopicAliasMax uint16   `json:"topicAliasMaximum"`
	ReceiveMax    uint16   `json:"receiveMaximum"`
	// MaxPacketSize is the broker's Maximum Packet Size, 0 when it sets
	// none.
	MaxPacketSize uint32 `json:"maximumPacketSize"`
	// ServerKeepAlive is the keep alive the broker imposes, -1 when none.
	ServerKeepAlive int `json:"serverKeepAlive"`
	// SessionExpiry is what the broker granted when asked for 300 seconds
	// (MQTT 5).
	SessionExpiry uint32 `json:"sessionExpiry"`
	EmptyID       bool   `json:"emptyClientID"`
	LongID        bool   `json:"longClientID"`
	// MaxTopicLength is the longest topic name probed that the broker
	// took (up to 65535).
	MaxTopicLength int `json:"maxTopicLengthProbed"`
}

// Has reports whether the broker offers capability n to clients of
// version v, and if not, why, in a sentence for the skip reason.
func (c *Capabilities) Has(n Capability, v mqtt.Version) (bool, string) {
	if slices.Contains(c.Disabled, string(n)) {
		return false, fmt.Sprintf("capability %s disabled by the profile", n)
	}
	vc := c.V[VersionName(v)]
	if vc == nil || !vc.Supported {
		return false, fmt.Sprintf("broker does not accept MQTT %s", v)
	}
	b := c.profile.Behaviour
	no := func(format string, args ...any) (bool, string) { return false, fmt.Sprintf(format, args...) }
	switch n {
	case CapQoS1:
		if vc.MaxQoS < 1 {
			return no("broker supports QoS %d at most (%s)", vc.MaxQoS, n)
		}
	case CapQoS2:
		if vc.MaxQoS < 2 {
			return no("broker supports QoS %d at most (%s)", vc.MaxQoS, n)
		}
	case CapRetain:
		if !vc.Retain {
			return no("broker does not offer retained messages")
		}
	case CapWildcard:
		if !vc.Wildcard {
			return no("broker does not offer wildcard subscriptions")
		}
	case CapShared:
		if !vc.Shared {
			return no("broker does not offer shared subscriptions")
		}
	case CapSubID:
		if !vc.SubID {
			return no("broker does not offer subscription identifiers")
		}
	case CapTopicAlias:
		if vc.TopicAliasMax == 0 {
			return no("broker's Topic Alias Maximum is 0: it takes no topic aliases")
		}
	case CapSessionExpiry:
		if v == mqtt.V5 && vc.SessionExpiry == 0 {
			return no("broker keeps no session after the connection ends (Session Expiry 0 granted)")
		}
	case CapEmptyID:
		if !vc.EmptyID {
			return no("broker does not assign client identifiers (empty identifier refused)")
		}
	case CapLongID:
		if !vc.LongID {
			return no("broker refuses 64-character client identifiers")
		}
	case CapBadAuth:
		if c.profile.BadUsername == "" && c.profile.BadPassword == "" {
			return no("profile declares no refused credentials (badUsername/badPassword)")
		}
	case CapSCRAM:
		if c.profile.SCRAM.Username == "" || c.profile.SCRAM.Password == "" {
			return no("profile declares no SCRAM-SHA-256 credentials (scram: {username, password})")
		}
	case CapDenied:
		if c.profile.DeniedTopic == "" {
			return no("profile declares no denied topic (deniedTopic)")
		}
	case CapWebSocket:
		if c.WebSocket == "" {
			return no("no WebSocket URL: the broker URL is not ws:// or wss:// and none was given")
		}
	case CapWillTakeover:
		if b.WillOnTakeover == nil || !*b.WillOnTakeover {
			return no("profile does not declare behaviour.willOnTakeover: true")
		}
	case CapQueueQoS0:
		if b.QueueQoS0Offline == nil || !*b.QueueQoS0Offline {
			return no("profile does not declare behaviour.queueQoS0Offline: true")
		}
	case CapNoQueueQoS0:
		if b.QueueQoS0Offline == nil || *b.QueueQoS0Offline {
			return no("profile does not declare behaviour.queueQoS0Offline: false")
		}
	case CapSingleCopy:
		if b.OverlappingCopies[VersionName(v)] != "single" {
			return no("profile does not declare behaviour.overlappingCopies: single")
		}
	case CapMultipleCopy:
		if b.OverlappingCopies[VersionName(v)] != "multiple" {
			return no("profile does not declare behaviour.overlappingCopies: multiple")
		}
	case CapMaxPacketSize:
		if vc.MaxPacketSize == 0 || vc.MaxPacketSize >= 1<<20 {
			return no("broker announces no Maximum Packet Size below 1 MiB")
		}
	case CapReceiveMax:
		if vc.ReceiveMax == 0 || vc.ReceiveMax >= 100 {
			return no("broker announces no Receive Maximum below 100")
		}
	default:
		return no("unknown capability %s", n)
	}
	return true, ""
}

// probe is a synchronous raw connection for discovery, before any check
// runs.
type probe struct {
	nc net.Conn
	r  *packet.Reader
	v  mqtt.Version
	e  *env
	id uint16
}

func (e *env) probe(v mqtt.Version, mod func(*packet.Connect)) (*probe, *packet.Connack, error) {
	nc, err := e.dialer.dial(e.cfg.Wait)
	if err != nil {
		return nil, nil, err
	}
	p := &probe{nc: nc, r: packet.NewReader(nc), v: v, e: e}
	p.r.Version = v
	p.r.MaxPacketSize = packet.MaxVarint + 5
	c := &packet.Connect{Version: v, ClientID: e.clientID(), CleanStart: true, KeepAlive: 60,
		Username: e.cfg.Profile.Username, Password: []byte(e.cfg.Profile.Password)}
	if mod != nil {
		mod(c)
	}
	ack, err := p.roundTrip(c, packet.TypeConnack)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return p, ack.(*packet.Connack), nil
}

func (p *probe) roundTrip(out packet.Packet, want packet.Type) (packet.Packet, error) {
	v := p.v
	if out.Type() == packet.TypeConnect {
		v = 0
	}
	if err := packet.Write(p.nc, out, v); err != nil {
		return nil, err
	}
	p.nc.SetReadDeadline(time.Now().Add(p.e.cfg.Wait))
	for {
		in, err := p.r.ReadPacket()
		if err != nil {
			return nil, err
		}
		if in.Type() == want {
			return packet.Clone(in), nil
		}
	}
}

func (p *probe) subscribe(filter string, qos mqtt.QoS) mqtt.ReasonCode {
	p.id++
	ack, err := p.roundTrip(&packet.Subscribe{PacketID: p.id, Subscriptions: []packet.Subscription{{Filter: filter, QoS: qos}}}, packet.TypeSuback)
	if err != nil || len(ack.(*packet.Suback).ReasonCodes) != 1 {
		return 0x80
	}
	return ack.(*packet.Suback).ReasonCodes[0]
}

func (p *probe) close() {
	packet.Write(p.nc, &packet.Disconnect{}, p.v)
	p.nc.Close()
}

// discover probes the broker: which versions it accepts and, for each,
// what it offers.
func (e *env) discover() {
	e.caps = Capabilities{Broker: e.dialer.String(), Transport: e.dialer.transport(), V: map[string]*VersionCaps{}, profile: e.cfg.Profile, Disabled: e.cfg.Profile.Disable}
	if e.wsDialer != nil {
		e.caps.WebSocket = e.wsDialer.String()
	}
	for _, v := range []mqtt.Version{mqtt.V5, mqtt.V311} {
		e.caps.V[VersionName(v)] = e.discoverVersion(v)
	}
}

func (e *env) discoverVersion(v mqtt.Version) *VersionCaps {
	vc := &VersionCaps{ServerKeepAlive: -1}
	p, ack, err := e.probe(v, func(c *packet.Connect) {
		if v == mqtt.V5 {
			c.Properties.SessionExpiry = 300
		}
	})
	if err != nil {
		vc.Refusal = "CONNECT not answered with a CONNACK of this version: " + err.Error()
		return vc
	}
	if ack.ReasonCode != mqtt.Success {
		p.nc.Close()
		vc.Refusal = "CONNACK " + describe(ack, v)
		return vc
	}
	vc.Supported = true
	vc.MaxQoS, vc.Retain, vc.Wildcard, vc.Shared, vc.SubID = 2, true, true, true, v == mqtt.V5
	vc.ReceiveMax = 65535
	if v == mqtt.V5 {
		pr := &ack.Properties
		if pr.Has(packet.PropMaximumQoS) {
			vc.MaxQoS = mqtt.QoS(pr.MaximumQoS)
		}
		if pr.Has(packet.PropRetainAvailable) {
			vc.Retain = pr.RetainAvailable == 1
		}
		if pr.Has(packet.PropWildcardSubAvailable) {
			vc.Wildcard = pr.WildcardSubAvailable == 1
		}
		if pr.Has(packet.PropSharedSubAvailable) {
			vc.Shared = pr.SharedSubAvailable == 1
		}
		if pr.Has(packet.PropSubIDAvailable) {
			vc.SubID = pr.SubIDAvailable == 1
		}
		if pr.Has(packet.PropReceiveMaximum) {
			vc.ReceiveMax = pr.ReceiveMaximum
		}
		vc.TopicAliasMax = pr.TopicAliasMaximum
		vc.MaxPacketSize = pr.MaximumPacketSize
		if pr.Has(packet.PropServerKeepAlive) {
			vc.ServerKeepAlive = int(pr.ServerKeepAlive)
		}
		vc.SessionExpiry = 300
		if pr.Has(packet.PropSessionExpiry) {
			vc.SessionExpiry = pr.SessionExpiry
		}
	}
	// What the broker grants, whatever it announced.
	if vc.Wildcard && p.subscribe(e.topicBase()+"/+/#", 0) >= 0x80 {
		vc.Wildcard = false
	}
	if vc.Shared && p.subscribe("$share/mqttcheck/"+e.topicBase(), 0) >= 0x80 {
		vc.Shared = false
	}
	if g := p.subscribe(e.topicBase(), vc.MaxQoS); g < 0x80 && mqtt.QoS(g) < vc.MaxQoS {
		vc.MaxQoS = mqtt.QoS(g)
	}
	// The longest topic the broker takes, with a QoS 1 publish it must
	// acknowledge (or refuse by closing).
	for _, n := range []int{1024, 65535 - 16} {
		if vc.MaxQoS < 1 {
			break
		}
		topic := e.topicBase() + "/" + strings.Repeat("t", n-len(e.topicBase())-1)
		p.id++
		if _, err := p.roundTrip(&packet.Publish{Topic: topic, QoS: 1, PacketID: p.id}, packet.TypePuback); err != nil {
			break
		}
		vc.MaxTopicLength = len(topic)
	}
	p.close()
	// An empty client identifier, which the broker may fill in.
	if q, ack, err := e.probe(v, func(c *packet.Connect) { c.ClientID = "" }); err == nil {
		vc.EmptyID = ack.ReasonCode == mqtt.Success
		q.close()
	}
	if q, ack, err := e.probe(v, func(c *packet.Connect) {
		c.ClientID = strings.Repeat("L", 40) + c.ClientID + strings.Repeat("L", 64-40-len(c.ClientID))
	}); err == nil {
		vc.LongID = ack.ReasonCode == mqtt.Success
		q.close()
	}
	return vc
}

// Summary is the capabilities in a few lines for the console.
func (c *Capabilities) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "broker %s (%s)\n", c.Broker, c.Transport)
	for _, name := range []string{"v5", "v3.1.1"} {
		vc := c.V[name]
		if vc == nil {
			continue
		}
		if !vc.Supported {
			fmt.Fprintf(&b, "  %s: not accepted (%s)\n", name, vc.Refusal)
			continue
		}
		fmt.Fprintf(&b, "  %s: max QoS %d, retain %t, wildcards %t, shared %t", name, vc.MaxQoS, vc.Retain, vc.Wildcard, vc.Shared)
		if name == "v5" {
			fmt.Fprintf(&b, ", subscription ids %t, topic alias max %d, receive max %d, max packet size %d, server keep alive %d, session expiry granted %d",
				vc.SubID, vc.TopicAliasMax, vc.ReceiveMax, vc.MaxPacketSize, vc.ServerKeepAlive, vc.SessionExpiry)
		}
		fmt.Fprintf(&b, ", empty client id %t, 64-char client id %t, longest topic taken %d\n", vc.EmptyID, vc.LongID, vc.MaxTopicLength)
	}
	if len(c.Disabled) > 0 {
		fmt.Fprintf(&b, "  disabled by profile: %s\n", strings.Join(c.Disabled, ", "))
	}
	return b.String()
}

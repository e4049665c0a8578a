package conformance

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// describe renders a packet on one line, as failure messages show what was
// sent and what arrived: type, flags, identifiers, topic, payload and the
// properties present.
func describe(p packet.Packet, v mqtt.Version) string {
	var b strings.Builder
	b.WriteString(p.Type().String())
	switch p := p.(type) {
	case *packet.Connect:
		fmt.Fprintf(&b, " v%s id=%q clean=%t keepalive=%d", p.Version, p.ClientID, p.CleanStart, p.KeepAlive)
		if p.Username != "" || p.UsernameFlag {
			fmt.Fprintf(&b, " user=%q", p.Username)
		}
		if p.Will != nil {
			fmt.Fprintf(&b, " will{topic=%q qos=%d retain=%t payload=%s%s}", p.Will.Topic, p.Will.QoS, p.Will.Retain, quote(p.Will.Payload), props(&p.Will.Properties))
		}
		b.WriteString(props(&p.Properties))
	case *packet.Connack:
		fmt.Fprintf(&b, " sessionPresent=%t code=%s", p.SessionPresent, code(p.ReasonCode, packet.TypeConnack))
		b.WriteString(props(&p.Properties))
	case *packet.Publish:
		fmt.Fprintf(&b, " qos=%d dup=%t retain=%t", p.QoS, p.Dup, p.Retain)
		if p.QoS > 0 {
			fmt.Fprintf(&b, " id=%d", p.PacketID)
		}
		fmt.Fprintf(&b, " topic=%q payload=%s", p.Topic, quote(p.Payload))
		b.WriteString(props(&p.Properties))
	case *packet.Puback:
		ack(&b, p.PacketID, p.ReasonCode, &p.Properties, packet.TypePuback, v)
	case *packet.Pubrec:
		ack(&b, p.PacketID, p.ReasonCode, &p.Properties, packet.TypePubrec, v)
	case *packet.Pubrel:
		ack(&b, p.PacketID, p.ReasonCode, &p.Properties, packet.TypePubrel, v)
	case *packet.Pubcomp:
		ack(&b, p.PacketID, p.ReasonCode, &p.Properties, packet.TypePubcomp, v)
	case *packet.Subscribe:
		fmt.Fprintf(&b, " id=%d", p.PacketID)
		for _, s := range p.Subscriptions {
			fmt.Fprintf(&b, " [%q qos=%d", s.Filter, s.QoS)
			if s.NoLocal {
				b.WriteString(" noLocal")
			}
			if s.RetainAsPublished {
				b.WriteString(" rap")
			}
			if s.RetainHandling != 0 {
				fmt.Fprintf(&b, " rh=%d", s.RetainHandling)
			}
			b.WriteString("]")
		}
		b.WriteString(props(&p.Properties))
	case *packet.Suback:
		fmt.Fprintf(&b, " id=%d codes=%s", p.PacketID, codes(p.ReasonCodes, packet.TypeSuback))
		b.WriteString(props(&p.Properties))
	case *packet.Unsubscribe:
		fmt.Fprintf(&b, " id=%d filters=%q", p.PacketID, p.Filters)
		b.WriteString(props(&p.Properties))
	case *packet.Unsuback:
		fmt.Fprintf(&b, " id=%d", p.PacketID)
		if v == mqtt.V5 {
			fmt.Fprintf(&b, " codes=%s", codes(p.ReasonCodes, packet.TypeUnsuback))
		}
		b.WriteString(props(&p.Properties))
	case *packet.Disconnect:
		if v == mqtt.V5 {
			fmt.Fprintf(&b, " code=%s", code(p.ReasonCode, packet.TypeDisconnect))
			b.WriteString(props(&p.Properties))
		}
	case *packet.Auth:
		fmt.Fprintf(&b, " code=%s", code(p.ReasonCode, packet.TypeAuth))
		b.WriteString(props(&p.Properties))
	}
	return b.String()
}

func ack(b *strings.Builder, id uint16, c mqtt.ReasonCode, p *packet.Properties, t packet.Type, v mqtt.Version) {
	fmt.Fprintf(b, " id=%d", id)
	if v == mqtt.V5 {
		fmt.Fprintf(b, " code=%s", code(c, t))
		b.WriteString(props(p))
	}
}

func code(c mqtt.ReasonCode, t packet.Type) string {
	return fmt.Sprintf("0x%02X(%s)", byte(c), packet.ReasonName(t, c))
}

func codes(cs []mqtt.ReasonCode, t packet.Type) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = code(c, t)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// quote shows a payload: as a Go string when short and printable, else by
// its length.
func quote(b []byte) string {
	if len(b) <= 64 {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("<%d bytes>", len(b))
}

// props lists the properties present, by field name.
func props(p *packet.Properties) string {
	if p.Empty() {
		return ""
	}
	var parts []string
	v := reflect.ValueOf(p).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() || v.Field(i).IsZero() {
			continue
		}
		switch x := v.Field(i).Interface().(type) {
		case string:
			parts = append(parts, fmt.Sprintf("%s=%q", f.Name, x))
		case []byte:
			parts = append(parts, fmt.Sprintf("%s=%s", f.Name, quote(x)))
		default:
			parts = append(parts, fmt.Sprintf("%s=%v", f.Name, x))
		}
	}
	for _, z := range []struct {
		id   packet.PropertyID
		name string
		zero bool
	}{
		{packet.PropMaximumQoS, "MaximumQoS", p.MaximumQoS == 0},
		{packet.PropRetainAvailable, "RetainAvailable", p.RetainAvailable == 0},
		{packet.PropWildcardSubAvailable, "WildcardSubAvailable", p.WildcardSubAvailable == 0},
		{packet.PropSubIDAvailable, "SubIDAvailable", p.SubIDAvailable == 0},
		{packet.PropSharedSubAvailable, "SharedSubAvailable", p.SharedSubAvailable == 0},
		{packet.PropPayloadFormat, "PayloadFormat", p.PayloadFormat == 0},
		{packet.PropSessionExpiry, "SessionExpiry", p.SessionExpiry == 0},
		{packet.PropMessageExpiry, "MessageExpiry", p.MessageExpiry == 0},
		{packet.PropTopicAliasMaximum, "TopicAliasMaximum", p.TopicAliasMaximum == 0},
	} {
		if z.zero && p.Has(z.id) {
			parts = append(parts, z.name+"=0")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " props{" + strings.Join(parts, " ") + "}"
}

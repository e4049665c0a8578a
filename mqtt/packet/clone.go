package packet

import "slices"

// Clone returns a deep copy of p that shares no memory with it, for
// keeping a packet that a Decoder or Reader returned beyond its next call.
func Clone(p Packet) Packet {
	switch p := p.(type) {
	case *Connect:
		c := *p
		c.Properties = p.Properties.Clone()
		c.Password = slices.Clone(p.Password)
		if p.Will != nil {
			w := *p.Will
			w.Properties = p.Will.Properties.Clone()
			w.Payload = slices.Clone(p.Will.Payload)
			c.Will = &w
		}
		return &c
	case *Connack:
		c := *p
		c.Properties = p.Properties.Clone()
		return &c
	case *Publish:
		c := *p
		c.Properties = p.Properties.Clone()
		c.Payload = slices.Clone(p.Payload)
		return &c
	case *Puback:
		c := *p
		c.Properties = p.Properties.Clone()
		return &c
	case *Pubrec:
		c := *p
		c.Properties = p.Properties.Clone()
		return &c
	case *Pubrel:
		c := *p
		c.Properties = p.Properties.Clone()
		return &c
	case *Pubcomp:
		c := *p
		c.Properties = p.Properties.Clone()
		return &c
	case *Subscribe:
		c := *p
		c.Properties = p.Properties.Clone()
		c.Subscriptions = slices.Clone(p.Subscriptions)
		return &c
	case *Suback:
		c := *p
		c.Properties = p.Properties.Clone()
		c.ReasonCodes = slices.Clone(p.ReasonCodes)
		return &c
	case *Unsubscribe:
		c := *p
		c.Properties = p.Properties.Clone()
		c.Filters = slices.Clone(p.Filters)
		return &c
	case *Unsuback:
		c := *p
		c.Properties = p.Properties.Clone()
		c.ReasonCodes = slices.Clone(p.ReasonCodes)
		return &c
	case *Pingreq:
		return &Pingreq{}
	case *Pingresp:
		return &Pingresp{}
	case *Disconnect:
		c := *p
		c.Properties = p.Properties.Clone()
		return &c
	case *Auth:
		c := *p
		c.Properties = p.Properties.Clone()
		return &c
	}
	return nil
}

// Clone returns a deep copy of p.
func (p Properties) Clone() Properties {
	p.CorrelationData = slices.Clone(p.CorrelationData)
	p.AuthData = slices.Clone(p.AuthData)
	p.SubscriptionIDs = slices.Clone(p.SubscriptionIDs)
	p.User = slices.Clone(p.User)
	return p
}

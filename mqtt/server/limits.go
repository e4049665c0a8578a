package server

import (
	"net"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// This file holds the protections (the Server fields from MaxConnections
// to StuckTimeout) and the optional capabilities (Server.Disable).

// maxIPBuckets bounds the per-address connection buckets kept; beyond it,
// the buckets that are full again (their addresses quiet) are forgotten.
const maxIPBuckets = 16384

// limiters are the connection-rate buckets, guarded by Server.mu.
type limiters struct {
	listeners map[string]*rate.Limiter
	ips       map[netip.Addr]*rate.Limiter
}

func (s *Server) maxConnections() int { return limit(s.MaxConnections, DefaultMaxConnections) }

// rateOf is a rate setting: v, def when zero, none (0) when negative.
func rateOf(v, def float64) float64 {
	switch {
	case v > 0:
		return v
	case v == 0:
		return def
	}
	return 0
}

// bucket is a token bucket for r per second with burst b (at least 1).
func bucket(r float64, b, def int) *rate.Limiter {
	burst := limit(b, def)
	if burst == 0 {
		burst = max(1, int(r))
	}
	return rate.NewLimiter(rate.Limit(r), burst)
}

// admitLocked decides, as a connection is accepted, whether it may go on:
// Success, or the code its CONNACK refuses it with.
func (s *Server) admitLocked(nc net.Conn, listener string) mqtt.ReasonCode {
	if max := s.maxConnections(); max > 0 && len(s.conns) >= max {
		return mqtt.QuotaExceeded
	}
	now := time.Now()
	if r := rateOf(s.ConnectRate, DefaultConnectRate); r > 0 {
		if s.limits.listeners == nil {
			s.limits.listeners = make(map[string]*rate.Limiter)
		}
		l := s.limits.listeners[listener]
		if l == nil {
			l = bucket(r, s.ConnectBurst, DefaultConnectBurst)
			s.limits.listeners[listener] = l
		}
		if !l.AllowN(now, 1) {
			return mqtt.ConnectionRateExceeded
		}
	}
	if r := rateOf(s.ConnectRatePerIP, DefaultConnectRatePerIP); r > 0 {
		ip, ok := remoteIP(nc.RemoteAddr())
		if !ok {
			return mqtt.Success // a Unix socket or an in-process pipe: no address to limit
		}
		if s.limits.ips == nil {
			s.limits.ips = make(map[netip.Addr]*rate.Limiter)
		}
		l := s.limits.ips[ip]
		if l == nil {
			if len(s.limits.ips) >= maxIPBuckets {
				for a, b := range s.limits.ips {
					if b.TokensAt(now) >= float64(b.Burst()) {
						delete(s.limits.ips, a)
					}
				}
			}
			l = bucket(r, s.ConnectBurstPerIP, DefaultConnectBurstPerIP)
			if len(s.limits.ips) < maxIPBuckets {
				s.limits.ips[ip] = l
			}
		}
		if !l.AllowN(now, 1) {
			return mqtt.ConnectionRateExceeded
		}
	}
	return mqtt.Success
}

func remoteIP(a net.Addr) (netip.Addr, bool) {
	switch a := a.(type) {
	case *net.TCPAddr:
		ip, ok := netip.AddrFromSlice(a.IP)
		return ip.Unmap(), ok
	case nil:
		return netip.Addr{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// messageLimiter is the per-client PUBLISH bucket, nil without a
// MessageRate.
func (s *Server) messageLimiter() *rate.Limiter {
	if s.MessageRate <= 0 {
		return nil
	}
	return bucket(s.MessageRate, s.MessageBurst, 0)
}

func (s *Server) maxSubscriptions() int { return limit(s.MaxSubscriptions, DefaultMaxSubscriptions) }
func (s *Server) maxUserProperties() int {
	return limit(s.MaxUserProperties, DefaultMaxUserProperties)
}
func (s *Server) stuckTimeout() time.Duration {
	switch {
	case s.StuckTimeout > 0:
		return s.StuckTimeout
	case s.StuckTimeout == 0:
		return DefaultStuckTimeout
	}
	return 0
}

// topicOver tells whether a topic name or filter is over MaxTopicLength or
// MaxTopicLevels, and which.
func (s *Server) topicOver(t string) string {
	if max := limit(s.MaxTopicLength, DefaultMaxTopicLength); max > 0 && len(t) > max {
		return "longer than " + itoa(uint64(max)) + " bytes"
	}
	if max := limit(s.MaxTopicLevels, DefaultMaxTopicLevels); max > 0 && strings.Count(t, "/") >= max {
		return "more than " + itoa(uint64(max)) + " levels"
	}
	return ""
}

// maxQoS is the highest QoS the server supports.
func (s *Server) maxQoS() mqtt.QoS {
	switch {
	case s.Disable&FeatureQoS1 != 0:
		return mqtt.QoS0
	case s.Disable&FeatureQoS2 != 0:
		return mqtt.QoS1
	}
	return mqtt.QoS2
}

func (s *Server) has(f Features) bool { return s.Disable&f == 0 }

// advertise sets the capability properties of an MQTT 5 CONNACK: each one
// that differs from the protocol's default (every capability available,
// Maximum QoS 2) is sent [MQTT-3.2.2-9].
func (s *Server) advertise(p *packet.Properties) {
	if q := s.maxQoS(); q < mqtt.QoS2 {
		p.MaximumQoS = byte(q)
		p.Set(packet.PropMaximumQoS)
	}
	for _, f := range []struct {
		feature Features
		value   *byte
		id      packet.PropertyID
	}{
		{FeatureRetain, &p.RetainAvailable, packet.PropRetainAvailable},
		{FeatureWildcards, &p.WildcardSubAvailable, packet.PropWildcardSubAvailable},
		{FeatureSubscriptionIDs, &p.SubIDAvailable, packet.PropSubIDAvailable},
		{FeatureShared, &p.SharedSubAvailable, packet.PropSharedSubAvailable},
	} {
		if !s.has(f.feature) {
			*f.value = 0
			p.Set(f.id)
		}
	}
}

// checkMessage applies the configured rules to a message a client sends,
// a will included, before it is routed: the code that refuses it (with the
// drop reason and why), or Success.
func (s *Server) checkMessage(name string, payload []byte, props *packet.Properties) (mqtt.ReasonCode, string) {
	if why := s.topicOver(name); why != "" {
		return mqtt.TopicNameInvalid, "topic name " + why
	}
	if max := s.maxUserProperties(); max > 0 && len(props.User) > max {
		return mqtt.ImplementationSpecificError, "more than " + itoa(uint64(max)) + " User Properties"
	}
	if s.ValidatePayloadFormat && props.PayloadFormat == 1 && !utf8.Valid(payload) {
		return mqtt.PayloadFormatInvalid, "payload is not UTF-8 as its Payload Format Indicator says"
	}
	return mqtt.Success, ""
}

// retainRoom reports whether storing m as the retained message of its
// topic stays within MaxRetainedMessages and MaxRetainedBytes. Replacing
// or clearing a retained message is always allowed when it does not grow
// the store. Concurrent publishers may overshoot a limit by one message
// each.
func (s *Server) retainRoom(m *Message) bool {
	if len(m.Payload) == 0 {
		return true
	}
	maxN := limit(s.MaxRetainedMessages, DefaultMaxRetainedMessages)
	maxB := int64(s.MaxRetainedBytes)
	if maxB == 0 {
		maxB = DefaultMaxRetainedBytes
	}
	old, exists := s.retained.Get(m.Topic)
	if !exists && maxN > 0 && s.retained.Len() >= maxN {
		return false
	}
	grow := int64(len(m.Payload) - old.payloadLen())
	return maxB < 0 || grow <= 0 || s.retainedBytes.Load()+grow <= maxB
}

// userPropertiesOf returns the User Properties of a packet that may carry
// them, other than CONNECT and PUBLISH.
func userPropertiesOf(p packet.Packet) []packet.UserProperty {
	switch p := p.(type) {
	case *packet.Subscribe:
		return p.Properties.User
	case *packet.Unsubscribe:
		return p.Properties.User
	case *packet.Disconnect:
		return p.Properties.User
	case *packet.Auth:
		return p.Properties.User
	}
	if props := optionalProperties(p); props != nil {
		return props.User
	}
	return nil
}

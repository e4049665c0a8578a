package server

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/topic"
)

// handle acts on one packet of an accepted connection. A returned
// *mqtt.Error ends the connection with its reason code.
func (c *conn) handle(p packet.Packet) error {
	if c.version == mqtt.V5 {
		if max := c.srv.maxUserProperties(); max > 0 && len(userPropertiesOf(p)) > max {
			return &mqtt.Error{Code: mqtt.ImplementationSpecificError, Reason: p.Type().String() + " with more than " + itoa(uint64(max)) + " User Properties"}
		}
	}
	switch p := p.(type) {
	case *packet.Publish:
		return c.onPublish(p)
	case *packet.Puback:
		c.onAck(p.PacketID, awaitAck)
	case *packet.Pubrec:
		c.onPubrec(p)
	case *packet.Pubcomp:
		c.onAck(p.PacketID, awaitComp)
	case *packet.Pubrel:
		c.onPubrel(p)
	case *packet.Subscribe:
		return onSide(func() error { return c.onSubscribe(p) })
	case *packet.Unsubscribe:
		return onSide(func() error { c.onUnsubscribe(p); return nil })
	case *packet.Pingreq:
		c.queue(&packet.Pingresp{}) // [MQTT-3.12.4-1]
	case *packet.Disconnect:
		return c.onDisconnect(p)
	case *packet.Connect:
		return mqtt.Protocol(rule(c.version, "MQTT-3.1.0-2", "MQTT-3.1.0-2"), "second CONNECT")
	case *packet.Auth:
		return c.onAuth(p)
	default:
		return mqtt.Protocol("", p.Type().String()+" sent by a client")
	}
	return nil
}

// onAuth runs a re-authentication [MQTT-4.12.1-1]. Other packets may come
// and go while it is in progress; a failure ends the connection with
// DISCONNECT [MQTT-4.12.1-2].
func (c *conn) onAuth(p *packet.Auth) error {
	if c.authMethod == "" {
		return mqtt.Protocol("MQTT-4.12.0-7", "AUTH without an Authentication Method in CONNECT")
	}
	if p.Properties.AuthMethod != c.authMethod {
		return mqtt.Protocol("MQTT-4.12.1-1", "AUTH with another Authentication Method than CONNECT's")
	}
	switch {
	case p.ReasonCode == mqtt.ReAuthenticate && c.reauth == nil:
		am := c.srv.hooks.method(c.authMethod)
		if am == nil {
			return &mqtt.Error{Code: mqtt.BadAuthenticationMethod, Reason: "authentication method no longer offered"}
		}
		c.reauth = am.StartAuth(c.client, nil)
	case p.ReasonCode == mqtt.ContinueAuthentication && c.reauth != nil:
	default:
		return mqtt.Protocol("MQTT-4.12.0-3", "AUTH "+p.ReasonCode.String()+" out of turn")
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.connectTimeout())
	out, code := c.reauth.Next(ctx, p.Properties.AuthData)
	cancel()
	a := packet.Auth{ReasonCode: code}
	a.Properties.AuthMethod = c.authMethod
	if len(out) > 0 {
		a.Properties.AuthData = out
	}
	switch code {
	case mqtt.ContinueAuthentication:
	case mqtt.Success:
		c.reauth = nil
		c.logger().Info("re-authenticated", "method", c.authMethod)
	default:
		c.reauth = nil
		if !code.IsError() {
			code = mqtt.NotAuthorized
		}
		return &mqtt.Error{Code: code, Reason: "re-authentication failed"}
	}
	c.queue(&a)
	return nil
}

// onSide runs f on a short-lived goroutine and waits for it. SUBSCRIBE
// and UNSUBSCRIBE take deep calls (hooks, the index, retained messages)
// that would grow the reader's stack, which an idle connection would then
// keep; run aside, the growth is freed at once and reused by the next
// one, and the reader stays on its smallest stack.
func onSide(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	return <-done
}

func rule(v mqtt.Version, v5, v3 string) string {
	if v == mqtt.V5 {
		return v5
	}
	return v3
}

func (c *conn) onPublish(p *packet.Publish) error {
	srv := c.srv
	s := c.s
	c.st.pubBytesIn.Add(uint64(len(p.Payload)))
	if len(p.Payload) > 8<<10 {
		c.big = true
	}
	name := p.Topic
	if c.version == mqtt.V5 {
		if alias := int(p.Properties.TopicAlias); alias != 0 {
			if alias > c.aliasInMax {
				return &mqtt.Error{Code: mqtt.TopicAliasInvalid, Rule: "MQTT-3.3.2-9", Reason: "Topic Alias " + itoa(uint64(alias)) + " over the Topic Alias Maximum " + itoa(uint64(c.aliasInMax))}
			}
			if name == "" {
				if alias > len(c.aliasIn) || c.aliasIn[alias-1] == "" {
					return mqtt.Protocol("", "Topic Alias "+itoa(uint64(alias))+" used before it was set")
				}
				name = c.aliasIn[alias-1]
			} else {
				// Set, or replaced [MQTT-3.3.2-12].
				if alias > len(c.aliasIn) {
					c.aliasIn = append(c.aliasIn, make([]string, alias-len(c.aliasIn))...)
				}
				c.aliasIn[alias-1] = name
			}
		}
		if len(p.Properties.SubscriptionIDs) > 0 {
			return mqtt.Protocol("MQTT-3.3.4-6", "PUBLISH from a client carries a Subscription Identifier")
		}
	}
	if p.QoS > srv.maxQoS() {
		return &mqtt.Error{Code: mqtt.QoSNotSupported, Rule: "MQTT-3.2.2-11", Reason: "PUBLISH QoS " + p.QoS.String() + " over the Maximum QoS"}
	}
	if p.Retain && !srv.has(FeatureRetain) {
		return &mqtt.Error{Code: mqtt.RetainNotSupported, Rule: "MQTT-3.2.2-14", Reason: "PUBLISH with RETAIN; retained messages are not available"}
	}
	if p.QoS == mqtt.QoS2 {
		s.mu.Lock()
		dup := slices.Contains(s.incoming, p.PacketID)
		full := !dup && len(s.incoming) >= int(srv.receiveMaximum())
		s.mu.Unlock()
		if dup {
			// Already received and not yet released: acknowledge again,
			// deliver nothing [MQTT-4.3.3-9].
			c.queue(&packet.Pubrec{PacketID: p.PacketID})
			return nil
		}
		if full {
			return &mqtt.Error{Code: mqtt.ReceiveMaximumExceeded, Rule: "MQTT-3.3.4-7", Reason: "more QoS 2 messages awaiting PUBREL than Receive Maximum"}
		}
	}

	if c.rate != nil && !c.rate.Allow() {
		c.st.drop(DropRateLimited)
		if p.QoS > 0 {
			// Not acknowledged: the client sends it again after
			// reconnecting, so nothing it was told is delivered is lost.
			return &mqtt.Error{Code: mqtt.MessageRateTooHigh, Reason: "QoS " + p.QoS.String() + " PUBLISH over the message rate"}
		}
		if !c.limited {
			c.limited = true
			c.logger().Info("QoS 0 PUBLISH over the message rate; dropping (each one logged at debug level)", "rate", srv.MessageRate)
		} else {
			c.logger().Debug("QoS 0 PUBLISH over the message rate", "topic", name)
		}
		return nil
	}
	code, why := srv.checkMessage(name, p.Payload, &p.Properties)
	if code != mqtt.Success {
		c.st.drop(DropInvalid)
		c.logger().Info("PUBLISH refused", "topic", name, "code", code.String(), "reason", why)
	}
	var m *Message
	if code == mqtt.Success {
		m = &Message{Topic: name, QoS: p.QoS, Retain: p.Retain, Publisher: c.client.id}
		m.Payload = append(make([]byte, 0, len(p.Payload)), p.Payload...)
		if c.version == mqtt.V5 && !p.Properties.Empty() {
			m.Properties = forwardable(&p.Properties)
		}
	}
	switch {
	case code != mqtt.Success:
	case !srv.hooks.allowed(c.client, AccessPublish, m.Topic):
		code = mqtt.NotAuthorized
		c.st.drop(DropNotAuthorized)
		c.logger().Info("PUBLISH not authorized", "topic", m.Topic)
	case len(srv.hooks.publish) > 0:
		code = srv.hooks.onPublish(c.client, m)
		// The codec checked the topic as received; check it again only
		// when a hook changed it.
		if code == mqtt.Success && m.Topic != name && topic.ValidateNameFor(c.version, m.Topic) != nil {
			code = mqtt.TopicNameInvalid
		}
		if code != mqtt.Success {
			c.st.drop(DropRejected)
		}
	}
	if code == mqtt.Success && m.Retain && !srv.retainRoom(m) {
		code = mqtt.QuotaExceeded
		c.st.drop(DropRetainedLimit)
		c.logger().Info("retained PUBLISH refused: the retained store is full", "topic", m.Topic)
	}
	if code == mqtt.Success {
		if m.Properties.Has(packet.PropMessageExpiry) {
			m.setExpiry(time.Now())
		}
		if c.res == nil {
			c.res = srv.results.Get().(*topic.Result)
		}
		if srv.route(c, m, c.res) == 0 && c.version == mqtt.V5 {
			code = mqtt.NoMatchingSubscribers
		}
	}
	if c.version != mqtt.V5 && code.IsError() {
		code = mqtt.Success // MQTT 3.x cannot tell: acknowledge and drop [MQTT-3.3.5-2]
	}
	switch p.QoS {
	case mqtt.QoS1:
		c.queue(&packet.Puback{PacketID: p.PacketID, ReasonCode: code}) // [MQTT-4.3.2-2]
	case mqtt.QoS2:
		if !code.IsError() {
			s.mu.Lock()
			s.incoming = append(s.incoming, p.PacketID)
			s.mu.Unlock()
		}
		c.queue(&packet.Pubrec{PacketID: p.PacketID, ReasonCode: code}) // [MQTT-4.3.3-8]
	}
	return nil
}

// onAck handles PUBACK (want awaitAck) and PUBCOMP (want awaitComp).
func (c *conn) onAck(id uint16, want byte) {
	s := c.s
	s.mu.Lock()
	i := s.findInflightLocked(id)
	var m *Message
	if i >= 0 && s.inflight[i].state == want {
		m = s.inflight[i].m
		s.inflight = slices.Delete(s.inflight, i, i+1)
	}
	s.mu.Unlock()
	if m != nil {
		for _, h := range c.srv.hooks.acked {
			h.OnAcked(c.client, m)
		}
	}
}

func (c *conn) onPubrec(p *packet.Pubrec) {
	s := c.s
	s.mu.Lock()
	i := s.findInflightLocked(p.PacketID)
	switch {
	case i < 0:
		s.mu.Unlock()
		c.queue(&packet.Pubrel{PacketID: p.PacketID, ReasonCode: mqtt.PacketIdentifierNotFound})
		return
	case p.ReasonCode.IsError():
		// The receiver refused it: the flow ends here (MQTT 5 section 4.3.3).
		s.inflight = slices.Delete(s.inflight, i, i+1)
		s.mu.Unlock()
		return
	}
	s.inflight[i].state = awaitComp
	s.mu.Unlock()
	c.queue(&packet.Pubrel{PacketID: p.PacketID}) // [MQTT-4.3.3-4]
}

func (c *conn) onPubrel(p *packet.Pubrel) {
	s := c.s
	s.mu.Lock()
	i := slices.Index(s.incoming, p.PacketID)
	if i >= 0 {
		s.incoming = slices.Delete(s.incoming, i, i+1)
	}
	s.mu.Unlock()
	code := mqtt.Success
	if i < 0 {
		code = mqtt.PacketIdentifierNotFound
	}
	c.queue(&packet.Pubcomp{PacketID: p.PacketID, ReasonCode: code}) // [MQTT-4.3.3-11]
}

// retainedWork is a subscription that gets the matching retained
// messages once the SUBACK is queued.
type retainedWork struct {
	filter string
	qos    mqtt.QoS
	rap    bool
	id     uint32
}

func (c *conn) onSubscribe(p *packet.Subscribe) error {
	srv := c.srv
	s := c.s
	var subID uint32
	if c.version == mqtt.V5 && len(p.Properties.SubscriptionIDs) > 0 {
		subID = p.Properties.SubscriptionIDs[0]
		if !srv.has(FeatureSubscriptionIDs) {
			return &mqtt.Error{Code: mqtt.SubscriptionIdentifiersNotSupported, Reason: "SUBSCRIBE with a Subscription Identifier; none are available"}
		}
	}
	codes := make([]mqtt.ReasonCode, len(p.Subscriptions))
	var work []retainedWork
	for i := range p.Subscriptions {
		sub := p.Subscriptions[i]
		code, w, err := c.subscribeOne(&sub, subID)
		if err != nil {
			return err
		}
		codes[i] = code
		if w != nil {
			work = append(work, *w)
		}
	}
	c.queue(&packet.Suback{PacketID: p.PacketID, ReasonCodes: codes}) // [MQTT-3.8.4-1] [MQTT-3.8.4-5]
	for _, w := range work {
		for _, m := range srv.retained.AppendMatch(nil, w.filter) {
			if m.Expired() {
				continue
			}
			var ids []uint32
			if w.id != 0 {
				ids = []uint32{w.id}
			}
			s.deliver(m, w.qos, w.rap, ids, true, c.st) // [MQTT-3.3.1-6] [MQTT-3.3.1-9]
		}
	}
	return nil
}

func (c *conn) subscribeOne(sub *packet.Subscription, subID uint32) (mqtt.ReasonCode, *retainedWork, error) {
	srv := c.srv
	v := c.version
	if err := topic.ValidateFilterFor(v, sub.Filter); err != nil {
		c.logger().Info("SUBSCRIBE with an invalid filter", "filter", sub.Filter, "err", err)
		return mqtt.TopicFilterInvalid, nil, nil // 0x80 below MQTT 5 [MQTT-3.9.3-2]
	}
	if why := srv.topicOver(sub.Filter); why != "" {
		c.logger().Info("SUBSCRIBE refused", "filter", sub.Filter, "reason", "topic filter "+why)
		return mqtt.TopicFilterInvalid, nil, nil
	}
	group, inner := "", sub.Filter
	if v == mqtt.V5 {
		g, in, shared, err := topic.ParseShared(sub.Filter)
		if err != nil {
			return mqtt.TopicFilterInvalid, nil, nil
		}
		if shared {
			if sub.NoLocal {
				return 0, nil, mqtt.Protocol("MQTT-3.8.3-4", "No Local on a shared subscription")
			}
			if !srv.has(FeatureShared) {
				return mqtt.SharedSubscriptionsNotSupported, nil, nil
			}
			group, inner = g, in
		}
	}
	if !srv.has(FeatureWildcards) && strings.ContainsAny(inner, "+#") {
		return mqtt.WildcardSubscriptionsNotSupported, nil, nil
	}
	if !srv.hooks.allowed(c.client, AccessSubscribe, sub.Filter) {
		return mqtt.NotAuthorized, nil, nil
	}
	grant := srv.hooks.onSubscribe(c.client, sub)
	if grant.IsError() {
		return grant, nil, nil
	}
	qos := min(sub.QoS, mqtt.QoS(grant), srv.maxQoS()) // [MQTT-3.2.2-10]
	st := StoredSubscription{Filter: sub.Filter, QoS: qos, NoLocal: sub.NoLocal, RetainAsPublished: sub.RetainAsPublished, RetainHandling: sub.RetainHandling, ID: subID}
	if v != mqtt.V5 {
		st.NoLocal, st.RetainAsPublished, st.RetainHandling, st.ID = false, false, 0, 0
	}
	rec := subRecord{group: group, inner: inner, stored: st, sub: topic.Subscription{
		Client: c.client.id, Filter: inner, Group: group, QoS: qos, NoLocal: st.NoLocal,
		RetainAsPublished: st.RetainAsPublished, RetainHandling: st.RetainHandling, ID: subID,
	}}
	s := c.s
	s.mu.Lock()
	if s.ended || s.c != c {
		s.mu.Unlock()
		return mqtt.UnspecifiedError, nil, nil
	}
	if max := srv.maxSubscriptions(); max > 0 && len(s.subs) >= max {
		if _, replace := s.subs[sub.Filter]; !replace {
			s.mu.Unlock()
			c.logger().Info("SUBSCRIBE refused: too many subscriptions", "filter", sub.Filter, "max", max)
			return mqtt.QuotaExceeded, nil, nil
		}
	}
	if s.subs == nil {
		s.subs = make(map[string]*subRecord)
	}
	s.subs[sub.Filter] = &rec
	existed := srv.index.Subscribe(rec.sub) // replaces an existing one [MQTT-3.8.4-3]
	s.mu.Unlock()
	var w *retainedWork
	// Retained messages: never for a shared subscription (MQTT 5 section 4.8.2),
	// per Retain Handling otherwise [MQTT-3.3.1-9] [MQTT-3.3.1-10] [MQTT-3.3.1-11].
	if group == "" && (st.RetainHandling == 0 || (st.RetainHandling == 1 && !existed)) {
		w = &retainedWork{filter: inner, qos: qos, rap: st.RetainAsPublished, id: subID}
	}
	return mqtt.ReasonCode(qos), w, nil
}

func (c *conn) onUnsubscribe(p *packet.Unsubscribe) {
	srv := c.srv
	s := c.s
	codes := make([]mqtt.ReasonCode, len(p.Filters))
	for i, f := range p.Filters {
		s.mu.Lock()
		rec, ok := s.subs[f]
		if ok {
			delete(s.subs, f)
			srv.index.Unsubscribe(s.id, rec.group, rec.inner) // [MQTT-3.10.4-1]
		}
		s.mu.Unlock()
		switch {
		case ok:
			codes[i] = mqtt.Success
		case topic.ValidateFilterFor(c.version, f) != nil:
			codes[i] = mqtt.TopicFilterInvalid
		default:
			codes[i] = mqtt.NoSubscriptionExisted
		}
		for _, h := range srv.hooks.unsubscribe {
			h.OnUnsubscribe(c.client, f)
		}
	}
	c.queue(&packet.Unsuback{PacketID: p.PacketID, ReasonCodes: codes}) // [MQTT-3.10.4-4]
}

func (c *conn) onDisconnect(p *packet.Disconnect) error {
	s := c.s
	if c.version == mqtt.V5 && p.Properties.Has(packet.PropSessionExpiry) {
		if c.sessionExp0 && p.Properties.SessionExpiry != 0 {
			return mqtt.Protocol("", "DISCONNECT sets a Session Expiry Interval after CONNECT set 0 (MQTT 5 section 3.14.2.2.2)")
		}
		s.mu.Lock()
		se := p.Properties.SessionExpiry
		s.never = se == 0xFFFFFFFF
		s.expiry = time.Duration(se) * time.Second
		if max := c.srv.MaxSessionExpiry; max > 0 && (s.never || s.expiry > max) {
			s.never, s.expiry = false, max
		}
		s.mu.Unlock()
	}
	c.normal = !(c.version == mqtt.V5 && p.ReasonCode == mqtt.DisconnectWithWillMessage)
	c.setReason(DisconnectNormal, nil)
	return errNormalClose
}

package server

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// CertIdentity is an [Authenticator] that makes a client's verified TLS
// certificate its identity: the client's user name is taken from the
// certificate, replacing any User Name in the CONNECT. Put it first in
// Server.Hooks, so that the Authenticators after it, the Authorizers and
// every other hook see that user name (an access list keyed by user name
// then applies to certificate holders); Server.Clients lists it too.
//
// A client without a verified certificate is refused with NotAuthorized
// (return code 5 for MQTT 3.x), as is one whose certificate lacks the
// name: every client of the Server, on every listener, must then present
// one. A certificate is verified when the TLS configuration checked it
// against its ClientCAs (ClientAuth VerifyClientCertIfGiven or
// RequireAndVerifyClientCert); one merely requested (RequestClientCert,
// RequireAnyClientCert) does not count. TLS listeners given to Serve and
// WebSocket connections served behind TLS (wss://) both qualify.
type CertIdentity byte

const (
	// CertCommonName takes the user name from the Common Name of the
	// certificate's subject, as Mosquitto's use_identity_as_username.
	CertCommonName CertIdentity = iota + 1
	// CertSubject takes the whole subject Distinguished Name in its RFC
	// 2253 string form, as "CN=alice,O=Example,C=FR", as Mosquitto's
	// use_subject_as_username.
	CertSubject
)

func (i CertIdentity) String() string {
	switch i {
	case CertCommonName:
		return "common name"
	case CertSubject:
		return "subject"
	}
	return "CertIdentity?"
}

// Authenticate sets the client's user name from its certificate, or
// refuses the client.
func (i CertIdentity) Authenticate(_ context.Context, c *Client, connect *packet.Connect, connack *packet.Connack) mqtt.ReasonCode {
	refuse := func(why string) mqtt.ReasonCode {
		if c.conn != nil {
			c.conn.logger().Info("CONNECT refused: "+why, "identity", i.String())
		}
		if c.version == mqtt.V5 {
			connack.Properties.ReasonString = why
		}
		return mqtt.NotAuthorized
	}
	st := c.TLS()
	if st == nil || len(st.VerifiedChains) == 0 || len(st.VerifiedChains[0]) == 0 {
		return refuse("no verified TLS client certificate")
	}
	var name string
	cert := st.VerifiedChains[0][0] // the client's own certificate
	switch i {
	case CertCommonName:
		name = cert.Subject.CommonName
	case CertSubject:
		name = subjectDN(cert)
	default:
		return refuse("unknown certificate identity")
	}
	if name == "" {
		return refuse("the TLS client certificate has no " + i.String())
	}
	c.username = name
	connect.UsernameFlag, connect.Username = true, name
	return mqtt.Success
}

// subjectDN returns the certificate's subject in the RFC 2253 string form,
// attributes in the reverse of their order in the certificate as that RFC
// says.
func subjectDN(cert *x509.Certificate) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(cert.RawSubject, &rdns); err != nil || len(rest) != 0 {
		return cert.Subject.String()
	}
	return rdns.String()
}

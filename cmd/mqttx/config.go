package main

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// This file is the table of serve's settings: the one place each is
// defined. The flags, the environment variables, the configuration file's
// keys, the checks, "mqttx serve --help", "mqttx config print" and
// docs/configuration.md are all made from it.

// envPrefix starts the name of every setting's environment variable.
const envPrefix = "MQTTX_"

// configEnv names the configuration file, like --config.
const configEnv = envPrefix + "CONFIG"

// A settingKind is the type of a setting's value.
type settingKind int

const (
	kindString   settingKind = iota // text
	kindPath                        // a file name; in a file, relative to the file's directory
	kindBool                        // true or false
	kindInt                         // an integer
	kindFloat                       // a number
	kindDuration                    // a Go duration: 10s, 1m30s, 250ms
	kindEnum                        // one of the setting's values
	kindList                        // listen URLs: a list in a file, comma-separated in the environment, a repeated flag
)

// typeName is a kind's name in the documentation.
func (k settingKind) typeName() string {
	return [...]string{"string", "path", "bool", "int", "float", "duration", "enum", "list"}[k]
}

// A setting is one of serve's settings: a key in the configuration file,
// a flag and an environment variable.
type setting struct {
	// key is the configuration file's key, in snake_case. The flag is
	// the key with '-' for '_'; the environment variable is MQTTX_ and
	// the key in upper case.
	key     string
	kind    settingKind
	section string
	// def is the default, written as in a configuration file; "" for none.
	def string
	// zero, for the limits whose 0 stands for the server's default, is
	// that default, for the documentation.
	zero string
	// enum lists the values of a kindEnum setting; aliases maps other
	// spellings accepted to one of them.
	enum    []string
	aliases map[string]string
	// negOff: a negative value turns the limit off; otherwise a negative
	// value is refused.
	negOff bool
	// max bounds a kindInt setting; 0 for no bound.
	max int64
	// meta is the placeholder of the flag's value in the usage.
	meta string
	// help describes the setting; {key} stands for another setting,
	// written as a flag in the usage and as a key in the documentation.
	help string
	// field returns a pointer to the serveConfig field the value goes
	// to: *string, *bool, *int, *int64, *uint16, *float64 or
	// *time.Duration, of the setting's kind. Settings without one have
	// apply.
	field func(c *serveConfig) any
	apply func(c *serveConfig, v any)
}

// flag returns the setting's flag name, without dashes.
func (s *setting) flag() string { return strings.ReplaceAll(s.key, "_", "-") }

// env returns the setting's environment variable.
func (s *setting) env() string { return envPrefix + strings.ToUpper(s.key) }

// The sections of the table: a heading each in the usage and the
// documentation.
const (
	secListen   = "Listeners and TLS"
	secAccess   = "Authentication and access control"
	secOps      = "Logging and operation"
	secSessions = "Connections, sessions and queues"
	secProtect  = "Protections"
	secMQTT5    = "MQTT 5"
	secFeatures = "Features"
)

// settingSections lists the sections in order.
var settingSections = []string{secListen, secAccess, secOps, secSessions, secProtect, secMQTT5, secFeatures}

// settings is the table, in the order of the documentation.
var settings = []*setting{
	// Listeners and TLS.
	{
		key: "listen", kind: kindList, section: secListen, def: defaultListen, meta: "URL",
		help: "URL to serve MQTT on: tcp://host:port, tls://host:port, ws://host:port[/path], wss://host:port[/path] (MQTT over WebSocket, path " + defaultWebSocketPath + " by default) or unix:///absolute/path (a stale socket file left there is replaced); http://host:port serves Prometheus /metrics and /healthz, not MQTT. Several: a list in a file, comma-separated in the environment, the flag repeated; a source replaces the whole list of the sources below it",
		apply: func(c *serveConfig, v any) {
			for _, l := range v.([]listenItem) {
				c.Listen = append(c.Listen, l.url)
			}
		},
	},
	{
		key: "tls_cert", kind: kindPath, section: secListen, meta: "file",
		help:  "PEM certificate file (chain) for tls:// and wss:// listeners; required with them; reloaded on SIGHUP",
		field: func(c *serveConfig) any { return &c.TLSCert },
	},
	{
		key: "tls_key", kind: kindPath, section: secListen, meta: "file",
		help:  "PEM private key file for {tls_cert}; required with tls:// and wss:// listeners; reloaded on SIGHUP",
		field: func(c *serveConfig) any { return &c.TLSKey },
	},
	{
		key: "tls_client_ca", kind: kindPath, section: secListen, meta: "file",
		help:  "PEM CA file: tls:// and wss:// clients must present a certificate it verifies; reloaded on SIGHUP",
		field: func(c *serveConfig) any { return &c.TLSClientCA },
	},
	{
		key: "tls_identity", kind: kindEnum, section: secListen, def: "none", enum: []string{"none", "cn", "subject"}, meta: "mode",
		help: "take each client's user name from its verified TLS client certificate: none, cn (the subject's common name) or subject (the whole subject, as CN=name,O=org,C=country); needs {tls_client_ca}, and clients without a certificate, on any listener, are then refused",
		apply: func(c *serveConfig, v any) {
			switch v.(string) {
			case "cn":
				c.TLSIdentity = server.CertCommonName
			case "subject":
				c.TLSIdentity = server.CertSubject
			}
		},
	},

	// Authentication and access control.
	{
		key: "password_file", kind: kindPath, section: secAccess, meta: "file",
		help:  "password file in mosquitto_passwd's format ($7$, $6$ or bcrypt hashes; made with mqttx passwd): every client with a user name must match it; reloaded on SIGHUP. Without one, a client that sends a user name is accepted with any password",
		field: func(c *serveConfig) any { return &c.PasswordFile },
	},
	{
		key: "scram_file", kind: kindPath, section: secAccess, meta: "file",
		help:  "SCRAM-SHA-256 credentials file (made with mqttx passwd --scram) for MQTT 5 enhanced authentication: a client whose CONNECT names the method SCRAM-SHA-256 proves its password without sending it; reloaded on SIGHUP. With it and no password file, a client with a user name must use the method",
		field: func(c *serveConfig) any { return &c.SCRAMFile },
	},
	{
		key: "acl_file", kind: kindPath, section: secAccess, meta: "file",
		help:  "access control file in Mosquitto's acl_file format (user, topic read|write|readwrite|deny, pattern with %c and %u), applied to publish, subscribe, delivery, retained messages and wills; reloaded on SIGHUP",
		field: func(c *serveConfig) any { return &c.ACLFile },
	},
	{
		key: "allow_anonymous", kind: kindBool, section: secAccess, def: "false",
		help:  "accept clients without a user name on every listener (without it, only on loopback addresses and Unix sockets, and there only when neither password_file nor scram_file is given)",
		field: func(c *serveConfig) any { return &c.AllowAnonymous },
	},

	// Logging and operation.
	{
		key: "log_level", kind: kindEnum, section: secOps, def: "info", enum: []string{"debug", "info", "warn", "error"}, aliases: map[string]string{"warning": "warn"}, meta: "level",
		help: "log level: debug, info, warn or error",
		apply: func(c *serveConfig, v any) {
			c.LogLevel = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[v.(string)]
		},
	},
	{
		key: "log_format", kind: kindEnum, section: secOps, def: "text", enum: []string{"text", "json"}, meta: "format",
		help:  "log format on standard error: text or json",
		field: func(c *serveConfig) any { return &c.LogFormat },
	},
	{
		key: "sys_interval", kind: kindDuration, section: secOps, def: "10s",
		help:  "how often the $SYS/broker/... topics are published (0: never)",
		field: func(c *serveConfig) any { return &c.Server.SysInterval },
	},
	{
		key: "shutdown_timeout", kind: kindDuration, section: secOps, def: "10s",
		help:  "how long a graceful shutdown waits for connections to end before closing them (0: close them at once)",
		field: func(c *serveConfig) any { return &c.ShutdownTimeout },
	},

	// Connections, sessions and queues.
	{
		key: "connect_timeout", kind: kindDuration, section: secSessions, def: "0s", zero: server.DefaultConnectTimeout.String(),
		help:  fmt.Sprintf("time a new connection has to send CONNECT (0: server.DefaultConnectTimeout, %v)", server.DefaultConnectTimeout),
		field: func(c *serveConfig) any { return &c.Server.ConnectTimeout },
	},
	{
		key: "write_timeout", kind: kindDuration, section: secSessions, def: "0s", zero: server.DefaultWriteTimeout.String(),
		help:  fmt.Sprintf("time allowed for each write to a client before it is disconnected (0: server.DefaultWriteTimeout, %v)", server.DefaultWriteTimeout),
		field: func(c *serveConfig) any { return &c.Server.WriteTimeout },
	},
	{
		key: "max_packet_size", kind: kindInt, section: secSessions, def: "0", zero: fmt.Sprint(packet.DefaultMaxPacketSize), max: packet.MaxVarint + 5, meta: "bytes",
		help:  fmt.Sprintf("largest incoming packet in bytes, advertised to MQTT 5 clients (0: packet.DefaultMaxPacketSize, %d)", packet.DefaultMaxPacketSize),
		field: func(c *serveConfig) any { return &c.Server.MaxPacketSize },
	},
	{
		key: "server_keepalive", kind: kindInt, section: secSessions, def: "0", max: 65535, meta: "seconds",
		help:  "Keep Alive in seconds imposed on MQTT 5 clients, at most 65535 (0: the client's own)",
		field: func(c *serveConfig) any { return &c.Server.ServerKeepAlive },
	},
	{
		key: "max_session_expiry", kind: kindDuration, section: secSessions, def: "0s",
		help:  "cap on the Session Expiry Interval MQTT 5 clients ask for (0: no cap)",
		field: func(c *serveConfig) any { return &c.Server.MaxSessionExpiry },
	},
	{
		key: "persistent_session_expiry", kind: kindDuration, section: secSessions, def: "0s",
		help:  "how long an MQTT 3.x CleanSession=0 session outlives its connection (0: until the client cleans it)",
		field: func(c *serveConfig) any { return &c.Server.PersistentSessionExpiry },
	},
	{
		key: "max_queued", kind: kindInt, section: secSessions, def: "0", zero: fmt.Sprint(server.DefaultMaxQueuedMessages), meta: "messages",
		help:  fmt.Sprintf("messages queued per session (0: server.DefaultMaxQueuedMessages, %d)", server.DefaultMaxQueuedMessages),
		field: func(c *serveConfig) any { return &c.Server.MaxQueuedMessages },
	},
	{
		key: "queue_policy", kind: kindEnum, section: secSessions, def: "drop-newest", enum: []string{"drop-newest", "drop-oldest"}, meta: "policy",
		help: "what a full offline queue gives up: drop-newest or drop-oldest",
		apply: func(c *serveConfig, v any) {
			if v.(string) == "drop-oldest" {
				c.Server.QueuePolicy = server.DropOldest
			}
		},
	},
	{
		key: "queue_qos0", kind: kindBool, section: secSessions, def: "false",
		help:  "queue QoS 0 messages for offline persistent sessions too",
		field: func(c *serveConfig) any { return &c.Server.QueueQoS0 },
	},
	{
		key: "queue_wait", kind: kindDuration, section: secSessions, def: "0s", zero: server.DefaultQueueWait.String(),
		help:  fmt.Sprintf("how long a publisher waits for room in a connected subscriber's full queue before dropping the message for it (0: server.DefaultQueueWait, %v)", server.DefaultQueueWait),
		field: func(c *serveConfig) any { return &c.Server.QueueWait },
	},
	{
		key: "max_inflight", kind: kindInt, section: secSessions, def: "0", zero: fmt.Sprint(server.DefaultMaxInflight), max: 65535, meta: "messages",
		help:  fmt.Sprintf("unacknowledged QoS 1 and 2 messages sent to a client, at most 65535 (0: server.DefaultMaxInflight, %d)", server.DefaultMaxInflight),
		field: func(c *serveConfig) any { return &c.Server.MaxInflight },
	},
	{
		key: "receive_maximum", kind: kindInt, section: secSessions, def: "0", zero: fmt.Sprint(server.DefaultReceiveMaximum), max: 65535, meta: "messages",
		help:  fmt.Sprintf("QoS 2 messages a client may have awaiting PUBREL, at most 65535, advertised to MQTT 5 clients (0: server.DefaultReceiveMaximum, %d)", server.DefaultReceiveMaximum),
		field: func(c *serveConfig) any { return &c.Server.ReceiveMaximum },
	},

	// Protections: 0 takes the server's default, a negative value turns
	// the limit off.
	{
		key: "max_connections", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultMaxConnections), negOff: true, meta: "connections",
		help:  fmt.Sprintf("connections served at once, counted from accept; one more is refused with CONNACK Quota exceeded (MQTT 3.x: server unavailable) (0: server.DefaultMaxConnections, %d; negative: no limit)", server.DefaultMaxConnections),
		field: func(c *serveConfig) any { return &c.Server.MaxConnections },
	},
	{
		key: "connect_rate", kind: kindFloat, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultConnectRate), negOff: true, meta: "per-second",
		help:  fmt.Sprintf("new connections each listener accepts per second (a token bucket of {connect_burst}); one over it gets CONNACK Connection rate exceeded (MQTT 3.x: server unavailable) (0: server.DefaultConnectRate, %d; negative: no limit)", server.DefaultConnectRate),
		field: func(c *serveConfig) any { return &c.Server.ConnectRate },
	},
	{
		key: "connect_burst", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultConnectBurst), negOff: true, meta: "connections",
		help:  fmt.Sprintf("new connections a listener accepts at once above {connect_rate} (0: server.DefaultConnectBurst, %d; negative: no limit)", server.DefaultConnectBurst),
		field: func(c *serveConfig) any { return &c.Server.ConnectBurst },
	},
	{
		key: "connect_rate_per_ip", kind: kindFloat, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultConnectRatePerIP), negOff: true, meta: "per-second",
		help:  fmt.Sprintf("new connections accepted per second from one source address (a token bucket of {connect_burst_per_ip}) (0: server.DefaultConnectRatePerIP, %d; negative: no limit)", server.DefaultConnectRatePerIP),
		field: func(c *serveConfig) any { return &c.Server.ConnectRatePerIP },
	},
	{
		key: "connect_burst_per_ip", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultConnectBurstPerIP), negOff: true, meta: "connections",
		help:  fmt.Sprintf("new connections accepted at once from one source address above {connect_rate_per_ip} (0: server.DefaultConnectBurstPerIP, %d; negative: no limit)", server.DefaultConnectBurstPerIP),
		field: func(c *serveConfig) any { return &c.Server.ConnectBurstPerIP },
	},
	{
		key: "message_rate", kind: kindFloat, section: secProtect, def: "0", meta: "per-second",
		help:  "PUBLISH packets each client may send per second; over it a QoS 0 message is dropped and a QoS 1 or 2 one is refused with Quota exceeded (MQTT 3.x: acknowledged and dropped) (0: no limit)",
		field: func(c *serveConfig) any { return &c.Server.MessageRate },
	},
	{
		key: "message_burst", kind: kindInt, section: secProtect, def: "0", meta: "messages",
		help:  "PUBLISH packets a client may send at once above {message_rate}; used only with it (0: the rate, at least 1)",
		field: func(c *serveConfig) any { return &c.Server.MessageBurst },
	},
	{
		key: "max_subscriptions", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultMaxSubscriptions), negOff: true, meta: "subscriptions",
		help:  fmt.Sprintf("subscriptions of one session; a filter beyond it gets Quota exceeded (MQTT 3.x: failure) in its SUBACK (0: server.DefaultMaxSubscriptions, %d; negative: no limit)", server.DefaultMaxSubscriptions),
		field: func(c *serveConfig) any { return &c.Server.MaxSubscriptions },
	},
	{
		key: "max_topic_length", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultMaxTopicLength), negOff: true, meta: "bytes",
		help:  fmt.Sprintf("longest topic name or filter in bytes; a longer name is refused with Topic Name invalid, a longer filter with Topic Filter invalid (0: server.DefaultMaxTopicLength, %d; negative: no limit)", server.DefaultMaxTopicLength),
		field: func(c *serveConfig) any { return &c.Server.MaxTopicLength },
	},
	{
		key: "max_topic_levels", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultMaxTopicLevels), negOff: true, meta: "levels",
		help:  fmt.Sprintf("most levels in a topic name or filter, refused like {max_topic_length} (0: server.DefaultMaxTopicLevels, %d; negative: no limit)", server.DefaultMaxTopicLevels),
		field: func(c *serveConfig) any { return &c.Server.MaxTopicLevels },
	},
	{
		key: "max_retained_messages", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultMaxRetainedMessages), negOff: true, meta: "messages",
		help:  fmt.Sprintf("retained messages kept; a new retained PUBLISH beyond it is refused with Quota exceeded and not routed (replacing or clearing one always works) (0: server.DefaultMaxRetainedMessages, %d; negative: no limit)", server.DefaultMaxRetainedMessages),
		field: func(c *serveConfig) any { return &c.Server.MaxRetainedMessages },
	},
	{
		key: "max_retained_bytes", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultMaxRetainedBytes), negOff: true, meta: "bytes",
		help:  fmt.Sprintf("payload bytes of the retained messages kept (as $SYS and /metrics count them), enforced like {max_retained_messages} (0: server.DefaultMaxRetainedBytes, %d; negative: no limit)", server.DefaultMaxRetainedBytes),
		field: func(c *serveConfig) any { return &c.Server.MaxRetainedBytes },
	},
	{
		key: "max_user_properties", kind: kindInt, section: secProtect, def: "0", zero: fmt.Sprint(server.DefaultMaxUserProperties), negOff: true, meta: "properties",
		help:  fmt.Sprintf("User Properties in one packet; a PUBLISH over it is refused (QoS 0: dropped), a CONNECT gets CONNACK Implementation specific error, any other packet ends the connection (0: server.DefaultMaxUserProperties, %d; negative: no limit)", server.DefaultMaxUserProperties),
		field: func(c *serveConfig) any { return &c.Server.MaxUserProperties },
	},
	{
		key: "stuck_timeout", kind: kindDuration, section: secProtect, def: "0s", zero: server.DefaultStuckTimeout.String(), negOff: true,
		help:  fmt.Sprintf("how long a connected client's queue may stay full, messages for it being dropped and none taken, before it is disconnected with Quota exceeded (0: server.DefaultStuckTimeout, %v; negative: never)", server.DefaultStuckTimeout),
		field: func(c *serveConfig) any { return &c.Server.StuckTimeout },
	},

	// MQTT 5.
	{
		key: "topic_alias_maximum", kind: kindInt, section: secMQTT5, def: "0", zero: fmt.Sprint(server.DefaultTopicAliasMaximum), negOff: true, max: 65535, meta: "aliases",
		help:  fmt.Sprintf("Topic Alias Maximum advertised to MQTT 5 clients: the topic aliases each may set on its PUBLISH packets, at most 65535 (0: server.DefaultTopicAliasMaximum, %d; negative: none)", server.DefaultTopicAliasMaximum),
		field: func(c *serveConfig) any { return &c.Server.TopicAliasMaximum },
	},
	{
		key: "outbound_aliases", kind: kindInt, section: secMQTT5, def: "0", zero: fmt.Sprint(server.DefaultOutboundAliases), negOff: true, max: 65535, meta: "aliases",
		help:  fmt.Sprintf("topic aliases the server assigns on the messages it sends an MQTT 5 client, also bounded by the client's Topic Alias Maximum, at most 65535 (0: server.DefaultOutboundAliases, %d; negative: none)", server.DefaultOutboundAliases),
		field: func(c *serveConfig) any { return &c.Server.OutboundAliases },
	},
	{
		key: "omit_reason_strings", kind: kindBool, section: secMQTT5, def: "false",
		help:  "leave the Reason String out of every packet sent to clients",
		field: func(c *serveConfig) any { return &c.Server.OmitReasonStrings },
	},
	{
		key: "validate_payload_format", kind: kindBool, section: secMQTT5, def: "false",
		help:  "check that the payload of every PUBLISH and will with Payload Format Indicator 1 is valid UTF-8, refusing it with Payload format invalid otherwise",
		field: func(c *serveConfig) any { return &c.Server.ValidatePayloadFormat },
	},
	{
		key: "response_information", kind: kindString, section: secMQTT5, meta: "text",
		help:  "Response Information sent in CONNACK to MQTT 5 clients that ask for it: the basis of the response topics they may use (empty: none)",
		field: func(c *serveConfig) any { return &c.Server.ResponseInformation },
	},

	// Features.
	{
		key: "max_qos", kind: kindEnum, section: secFeatures, def: "2", enum: []string{"0", "1", "2"}, meta: "qos",
		help: "highest QoS the server offers, advertised to MQTT 5 clients as Maximum QoS: 2, 1 or 0",
		apply: func(c *serveConfig, v any) {
			switch v.(string) {
			case "1":
				c.Server.Disable |= server.FeatureQoS2
			case "0":
				c.Server.Disable |= server.FeatureQoS1 | server.FeatureQoS2
			}
		},
	},
	featureSetting("retain_available", server.FeatureRetain, "retained messages; when false, a PUBLISH or will with RETAIN is refused with Retain not supported"),
	featureSetting("wildcard_subscriptions", server.FeatureWildcards, "subscriptions with + and #; when false they are refused with Wildcard Subscriptions not supported"),
	featureSetting("shared_subscriptions", server.FeatureShared, "shared subscriptions ($share/group/filter); when false they are refused with Shared Subscriptions not supported"),
	featureSetting("subscription_identifiers", server.FeatureSubscriptionIDs, "Subscription Identifiers; when false a SUBSCRIBE with one is a protocol error"),
}

// featureSetting is the setting of an optional feature, on by default:
// false puts f in Server.Disable.
func featureSetting(key string, f server.Features, help string) *setting {
	return &setting{
		key: key, kind: kindBool, section: secFeatures, def: "true",
		help: "offer " + help + "; advertised to MQTT 5 clients",
		apply: func(c *serveConfig, v any) {
			if !v.(bool) {
				c.Server.Disable |= f
			}
		},
	}
}

// settingByKey indexes the table.
var settingByKey = func() map[string]*setting {
	m := make(map[string]*setting, len(settings))
	for _, s := range settings {
		m[s.key] = s
	}
	return m
}()

// settingRef matches a {key} in a setting's help.
var settingRef = regexp.MustCompile(`\{([a-z0-9_]+)\}`)

// describe returns s's help with each {key} written by name.
func (s *setting) describe(name func(*setting) string) string {
	return settingRef.ReplaceAllStringFunc(s.help, func(m string) string {
		if r := settingByKey[m[1:len(m)-1]]; r != nil {
			return name(r)
		}
		return m
	})
}

// assign stores v, the parsed value of s, in c.
func (s *setting) assign(c *serveConfig, v any) {
	if s.apply != nil {
		s.apply(c, v)
		return
	}
	switch p := s.field(c).(type) {
	case *string:
		*p = v.(string)
	case *bool:
		*p = v.(bool)
	case *int:
		*p = int(v.(int64))
	case *int64:
		*p = v.(int64)
	case *uint16:
		*p = uint16(v.(int64)) // checked against s.max
	case *float64:
		*p = v.(float64)
	case *time.Duration:
		*p = v.(time.Duration)
	default:
		panic(fmt.Sprintf("setting %s: field of type %T", s.key, p))
	}
}

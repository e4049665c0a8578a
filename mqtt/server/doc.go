// Package server is an embeddable MQTT broker for MQTT 3.1, 3.1.1 and 5.0:
// it accepts connections, keeps sessions, routes messages between clients
// and implements the protocol's delivery guarantees.
//
// # Serving
//
// The zero [Server] serves with safe defaults:
//
//	srv := &server.Server{Logger: slog.Default()}
//	go srv.ListenAndServe() // 127.0.0.1:1883
//	defer srv.Shutdown(ctx)
//
// Serve takes any net.Listener (TCP, TLS, or another transport whose
// connections are net.Conn), and one Server may serve several listeners
// at once. Shutdown tells MQTT 5 clients ServerShuttingDown, closes every
// connection, waits for their goroutines and saves persistent sessions to
// the [SessionStore].
//
// # Transports
//
// Every transport ends in the same connection path, so limits, hooks and
// logs are the same on each. Serve takes TCP listeners, TLS listeners
// (tls.NewListener; Client.TLS then holds the connection's state) and Unix
// domain socket listeners. [Server.WebSocketHandler] serves MQTT over
// WebSocket from an http.Server, ws:// or, behind TLS, wss://, with the
// subprotocol "mqtt" (or "mqttv3.1") and binary frames. [CertIdentity], put
// first in Hooks, makes a verified TLS client certificate's common name or
// subject the client's user name.
//
// # Sessions and delivery
//
// A session belongs to a client identifier and outlives its connection when
// the client asks (MQTT 5 Session Expiry Interval, MQTT 3.x CleanSession 0,
// bounded by Server.PersistentSessionExpiry). Messages for an offline
// session are queued (QoS 1 and 2, and QoS 0 when QueueQoS0 is set) up to
// MaxQueuedMessages, and unacknowledged ones are resent with DUP, in order,
// when the client returns. A connected client's queue is bounded too: a
// publisher waits up to QueueWait for room before the message is dropped
// for that one subscriber, so a slow consumer slows its publishers briefly
// instead of losing messages, and never stalls other subscribers for long.
//
// Each client gets one copy of a message however many of its subscriptions
// match, at the highest QoS granted, with every matching subscription
// identifier. Retained messages, wills (with Will Delay Interval), message
// expiry, shared subscriptions ([SharedStrategy], round robin by default),
// No Local, Retain As Published and Retain Handling follow the
// specifications; the statement ids are cited in the code where each rule
// is enforced.
//
// # MQTT 5
//
// Topic Aliases work both ways: clients may set up to TopicAliasMaximum of
// their own, and the server assigns aliases on what it sends, up to the
// client's Topic Alias Maximum (and OutboundAliases), reusing the least
// recently assigned one when all are taken. Receive Maximum and Maximum
// Packet Size are honoured in both directions. An [AuthMethod] hook
// carries out enhanced authentication, an AUTH exchange before CONNACK
// and re-authentication later; package mqtt/server/auth has SCRAM-SHA-256.
// What the server offers (Maximum QoS, retained messages, wildcard and
// shared subscriptions, subscription identifiers; see [Features] and
// Server.Disable) is advertised in CONNACK and enforced with the
// specification's reason codes. An [Authenticator] may redirect a client
// (Server Reference with UseAnotherServer or ServerMoved);
// [Client.DisconnectWith] and [Server.DisconnectWith] send DISCONNECT with
// properties. Response Information, Reason Strings (OmitReasonStrings) and
// Payload Format Indicator validation (ValidatePayloadFormat) are settings.
//
// # Protections
//
// Every limit has a safe default and can be turned off with a negative
// value: MaxConnections, ConnectRate and ConnectRatePerIP (new
// connections refused with CONNACK 0x97 and 0x9F), MessageRate (QoS 0
// dropped, QoS 1 and 2 disconnected with 0x96 before they are
// acknowledged), MaxSubscriptions, MaxTopicLength and MaxTopicLevels,
// MaxRetainedMessages and MaxRetainedBytes, MaxUserProperties, the CONNECT
// timeout, MaxInflight, MaxQueuedMessages with QueuePolicy, and
// StuckTimeout, which disconnects a client whose queue stays full. Each
// refusal is counted by [DropReason] and logged.
//
// # Hooks
//
// Applications extend the broker with values in Server.Hooks implementing
// any of the small interfaces [Authenticator], [AuthMethod], [Authorizer],
// [PublishHook], [SubscribeHook], [UnsubscribeHook], [ConnectHook],
// [DisconnectHook], [SessionExpiredHook], [DeliveredHook] and [AckedHook].
// From Go code, [Server.Publish] publishes, [Server.Subscribe] subscribes
// a function, [Server.Disconnect] ends a client's connection, and
// [Server.Clients] and [Server.Sessions] list what the broker holds.
//
// # Statistics
//
// [Server.Stats] returns a snapshot of the broker's counters: connections,
// clients and sessions, subscriptions, retained and queued messages,
// packets and bytes received and sent (by packet type), messages dropped
// (by [DropReason]) and messages in flight. Counting costs the publish
// path no lock: connections count into shards of atomic counters, which
// Stats sums. With SysInterval set, the server publishes the
// snapshot as retained messages under $SYS/broker/ (Mosquitto's topic
// names where there is one), and package mqtt/server/metrics exports it
// to Prometheus with /metrics and /healthz handlers ([Server.Serving]).
//
// # Protocol violations
//
// Bytes from the network are decoded by mqtt/packet, which checks the size
// of a packet before reading its body. Every violation ends the connection
// with the specification's answer: a CONNACK or DISCONNECT carrying the
// reason code for MQTT 5, a plain close for MQTT 3.x, and one log line
// naming the statement broken.
package server

// Package metrics exports the statistics of a [server.Server] to
// Prometheus: [NewCollector] is a prometheus.Collector over
// [server.Server.Stats], and [Handler] serves /metrics (with the Go
// runtime and process metrics) and /healthz on an HTTP listener of the
// application's choice.
//
// It is a package of its own so that programs embedding the broker
// without Prometheus do not compile the client library.
//
//	srv := &server.Server{}
//	go http.ListenAndServe("127.0.0.1:9090", metrics.Handler(srv))
//	go srv.ListenAndServe()
//
// Metric names start with mqttx_; counters end in _total, byte counts
// are in bytes:
//
//	mqttx_connections                  open network connections
//	mqttx_connections_total            network connections accepted
//	mqttx_connects_total{result}       CONNECTs answered: accepted, refused
//	mqttx_clients_connected            clients connected
//	mqttx_clients_maximum              the most clients connected at once
//	mqttx_sessions{state}              sessions held: online, offline
//	mqttx_sessions_expired_total       offline sessions ended by expiry
//	mqttx_subscriptions                subscriptions held
//	mqttx_retained_messages            retained messages
//	mqttx_retained_bytes               their payload bytes
//	mqttx_queued_messages              messages waiting in session queues
//	mqttx_queued_bytes                 their payload bytes
//	mqttx_inflight_messages            QoS 1 and 2 messages sent, unacknowledged
//	mqttx_inflight_bytes               their payload bytes
//	mqttx_packets_received_total{type} control packets received, by type (PUBLISH …)
//	mqttx_packets_sent_total{type}     control packets sent, by type
//	mqttx_bytes_received_total         bytes read from connections
//	mqttx_bytes_sent_total             bytes written to connections
//	mqttx_payload_bytes_received_total PUBLISH payload bytes received
//	mqttx_payload_bytes_sent_total     PUBLISH payload bytes sent
//	mqttx_messages_dropped_total{reason} messages dropped, by [server.DropReason]
//	mqttx_start_time_seconds           when the server started, Unix time
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// Handler serves the server's metrics on /metrics, with the Go runtime
// and process collectors, from a registry of its own, and its health on
// /healthz: 200 "ok" while srv serves, 503 before it starts and once
// Shutdown or Close has been called.
func Handler(srv *server.Server) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		NewCollector(srv),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if !srv.Serving() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not serving\n"))
			return
		}
		w.Write([]byte("ok\n"))
	})
	return mux
}

// Collector is a prometheus.Collector of a server's statistics. Each
// collection takes one [server.Server.Stats] snapshot.
type Collector struct {
	srv *server.Server
}

// NewCollector returns a Collector of srv's statistics, to register with
// a prometheus.Registerer.
func NewCollector(srv *server.Server) *Collector {
	return &Collector{srv: srv}
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("mqttx_"+name, help, labels, nil)
}

var (
	descConnections      = desc("connections", "Open network connections, those still before or in CONNECT included.")
	descConnectionsTotal = desc("connections_total", "Network connections accepted.")
	descConnects         = desc("connects_total", "CONNECT packets answered, by result (accepted or refused).", "result")
	descClients          = desc("clients_connected", "Connected clients.")
	descClientsMax       = desc("clients_maximum", "The most clients connected at the same time.")
	descSessions         = desc("sessions", "Sessions held, by state (online or offline).", "state")
	descSessionsExpired  = desc("sessions_expired_total", "Offline sessions ended by their expiry interval.")
	descSubscriptions    = desc("subscriptions", "Subscriptions held.")
	descRetained         = desc("retained_messages", "Retained messages.")
	descRetainedBytes    = desc("retained_bytes", "Payload bytes of the retained messages.")
	descQueued           = desc("queued_messages", "Messages waiting in session queues.")
	descQueuedBytes      = desc("queued_bytes", "Payload bytes of the messages waiting in session queues.")
	descInflight         = desc("inflight_messages", "QoS 1 and 2 messages sent and not yet acknowledged.")
	descInflightBytes    = desc("inflight_bytes", "Payload bytes of the QoS 1 and 2 messages sent and not yet acknowledged.")
	descPacketsReceived  = desc("packets_received_total", "Control packets received, by type.", "type")
	descPacketsSent      = desc("packets_sent_total", "Control packets sent, by type.", "type")
	descBytesReceived    = desc("bytes_received_total", "Bytes read from client connections.")
	descBytesSent        = desc("bytes_sent_total", "Bytes written to client connections.")
	descPayloadReceived  = desc("payload_bytes_received_total", "Payload bytes of the PUBLISH packets received.")
	descPayloadSent      = desc("payload_bytes_sent_total", "Payload bytes of the PUBLISH packets sent.")
	descDropped          = desc("messages_dropped_total", "Messages dropped, by reason.", "reason")
	descStart            = desc("start_time_seconds", "When the server started, in seconds since the Unix epoch.")
)

var allDescs = []*prometheus.Desc{
	descConnections, descConnectionsTotal, descConnects, descClients, descClientsMax,
	descSessions, descSessionsExpired, descSubscriptions, descRetained, descRetainedBytes,
	descQueued, descQueuedBytes, descInflight, descInflightBytes,
	descPacketsReceived, descPacketsSent, descBytesReceived, descBytesSent,
	descPayloadReceived, descPayloadSent, descDropped, descStart,
}

// The packet types each side sends: their series exist from the start.
// Other types appear once counted (a client sending a server's packet).
var (
	fromClients = []packet.Type{
		packet.TypeConnect, packet.TypePublish, packet.TypePuback, packet.TypePubrec, packet.TypePubrel,
		packet.TypePubcomp, packet.TypeSubscribe, packet.TypeUnsubscribe, packet.TypePingreq,
		packet.TypeDisconnect, packet.TypeAuth,
	}
	fromServer = []packet.Type{
		packet.TypeConnack, packet.TypePublish, packet.TypePuback, packet.TypePubrec, packet.TypePubrel,
		packet.TypePubcomp, packet.TypeSuback, packet.TypeUnsuback, packet.TypePingresp,
		packet.TypeDisconnect, packet.TypeAuth,
	}
)

// Describe sends the descriptors of every metric the Collector makes.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect takes a snapshot of the server's statistics and sends it as
// metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descConnections, float64(st.Connections))
	counter(descConnectionsTotal, st.ConnectionsTotal)
	counter(descConnects, st.ConnectsAccepted, "accepted")
	counter(descConnects, st.ConnectsRefused, "refused")
	gauge(descClients, float64(st.Clients))
	gauge(descClientsMax, float64(st.ClientsMaximum))
	gauge(descSessions, float64(st.SessionsOnline), "online")
	gauge(descSessions, float64(st.SessionsOffline), "offline")
	counter(descSessionsExpired, st.SessionsExpired)
	gauge(descSubscriptions, float64(st.Subscriptions))
	gauge(descRetained, float64(st.RetainedMessages))
	gauge(descRetainedBytes, float64(st.RetainedBytes))
	gauge(descQueued, float64(st.QueuedMessages))
	gauge(descQueuedBytes, float64(st.QueuedBytes))
	gauge(descInflight, float64(st.Inflight))
	gauge(descInflightBytes, float64(st.InflightBytes))
	packets(ch, descPacketsReceived, &st.PacketsReceived, fromClients)
	packets(ch, descPacketsSent, &st.PacketsSent, fromServer)
	counter(descBytesReceived, st.BytesReceived)
	counter(descBytesSent, st.BytesSent)
	counter(descPayloadReceived, st.PublishBytesReceived)
	counter(descPayloadSent, st.PublishBytesSent)
	for r, n := range st.Dropped {
		counter(descDropped, n, server.DropReason(r).String())
	}
	gauge(descStart, float64(st.Start.UnixNano())/1e9)
}

// packets sends the counts of the types in always, and of any other type
// counted.
func packets(ch chan<- prometheus.Metric, d *prometheus.Desc, counts *[16]uint64, always []packet.Type) {
	var sent [16]bool
	for _, t := range always {
		sent[t] = true
	}
	for t, n := range counts {
		if sent[t] || n != 0 {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(n), packet.Type(t).String())
		}
	}
}

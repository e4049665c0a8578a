package conformance_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/conformance"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
	"github.com/mqttx/mqttx/mqtt/server/auth"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
)

// The in-process broker's profile: what the hooks below refuse, and the
// behaviours mqttx chose where the specifications leave a choice.
const inProcessProfile = `
name: mqttx (in-process)
badUsername: mqttcheck-bad
badPassword: wrong
deniedTopic: mqttcheck-denied/topic
scram:
  username: mqttcheck-scram
  password: scram-secret
behaviour:
  willOnTakeover: true
  queueQoS0Offline: false
  overlappingCopies: single
`

// scramUser and scramPassword are the profile's SCRAM-SHA-256 user, whom
// the in-process broker's SCRAM method knows.
const scramUser, scramPassword = "mqttcheck-scram", "scram-secret"

// scramMethod is the in-process broker's SCRAM-SHA-256 method, with the
// profile's SCRAM user.
func scramMethod() (*auth.SCRAM, error) {
	cred, err := auth.HashSCRAM(scramPassword, 0)
	if err != nil {
		return nil, err
	}
	return auth.NewSCRAM(strings.NewReader(scramUser+":"+cred+"\n"), "in-process SCRAM credentials")
}

// refuser refuses the profile's bad user name and denies every topic under
// mqttcheck-denied/.
type refuser struct{}

func (refuser) Authenticate(_ context.Context, _ *server.Client, c *packet.Connect, _ *packet.Connack) mqtt.ReasonCode {
	if c.Username == "mqttcheck-bad" {
		return mqtt.BadUserNameOrPassword
	}
	return mqtt.Success
}

func (refuser) Authorize(_ *server.Client, _ server.Access, topic string) bool {
	return !strings.HasPrefix(topic, "mqttcheck-denied/")
}

// TestConformance runs the suite against the broker named by
// MQTTCHECK_BROKER, or by default against an mqttx server.Server on a
// loopback port, shut down when the suite ends.
func TestConformance(t *testing.T) {
	cfg, err := conformance.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Broker == "" {
		if err := yamlProfile(&cfg); err != nil {
			t.Fatal(err)
		}
		scram, err := scramMethod()
		if err != nil {
			t.Fatal(err)
		}
		srv := &server.Server{Hooks: []server.Hook{refuser{}, scram}, Logger: logger()}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
			if err := <-done; !errors.Is(err, server.ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		}()
		cfg.Broker = "tcp://" + ln.Addr().String()
		// The same broker over WebSocket, for the WebSocket checks.
		wln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/mqtt", srv.WebSocketHandler())
		hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(wln)
		defer hs.Close()
		cfg.WebSocket = "ws://" + wln.Addr().String() + "/mqtt"
	}
	if err := conformance.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "MQTT conformance")
}

func yamlProfile(cfg *conformance.Config) error {
	f, err := os.CreateTemp("", "mqttcheck-profile-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	f.WriteString(inProcessProfile)
	f.Close()
	p, err := conformance.LoadProfile(f.Name())
	if err != nil {
		return err
	}
	cfg.Profile = p
	return nil
}

func logger() *slog.Logger {
	if os.Getenv("MQTTX_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

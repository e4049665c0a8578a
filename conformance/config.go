package conformance

import (
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config says which broker the suite checks and how. The test binary fills
// it from the environment (see ConfigFromEnv); mqttcheck fills it from its
// flags. It is set once, with Configure, before the suite runs.
type Config struct {
	// Broker is the broker's URL: tcp://, mqtt://, ssl://, tls://,
	// mqtts://, ws:// or wss://, with host and port.
	Broker string
	// WebSocket is a ws:// or wss:// URL of the same broker for the
	// WebSocket checks when Broker is another transport; when Broker is
	// itself ws:// or wss://, those checks use it.
	WebSocket string
	// CAFile is a PEM file of certificate authorities trusted for ssl://,
	// tls:// and wss:// brokers; the system roots when empty.
	CAFile string
	// Insecure skips the verification of the broker's certificate.
	Insecure bool
	// Profile declares what the broker needs and does where the
	// specifications leave a choice.
	Profile Profile
	// Wait bounds every wait for something that must happen (a CONNACK,
	// a delivery); it is a failure bound, never a measure. Default 5s.
	Wait time.Duration
	// Silence is how long a check watches for something that must not
	// happen (a message that must not be delivered). Default 400ms.
	Silence time.Duration
}

// Profile is the broker profile file (YAML). Everything in it is optional.
type Profile struct {
	// Name names the broker in reports.
	Name string `yaml:"name"`
	// Username and Password are sent on every CONNECT of the suite.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// BadUsername and BadPassword are credentials the broker refuses;
	// the checks of refused connections are skipped without them.
	BadUsername string `yaml:"badUsername"`
	BadPassword string `yaml:"badPassword"`
	// DeniedTopic is a topic the suite's client may neither publish nor
	// subscribe to; the authorization checks are skipped without it.
	DeniedTopic string `yaml:"deniedTopic"`
	// SCRAM is a user of the broker's SCRAM-SHA-256 enhanced
	// authentication (MQTT 5); the enhanced authentication checks are
	// skipped without it.
	SCRAM SCRAMCredentials `yaml:"scram"`
	// Behaviour records choices the specifications leave to the broker.
	Behaviour Behaviour `yaml:"behaviour"`
	// Disable lists capabilities to treat as absent whatever discovery
	// finds (by capability name, as --list prints them).
	Disable []string `yaml:"disable"`
	// Silence and Wait override Config.Silence and Config.Wait
	// ("300ms", "5s").
	Silence string `yaml:"silence"`
	Wait    string `yaml:"wait"`
}

// SCRAMCredentials are a user name and password the broker accepts
// through the SCRAM-SHA-256 Authentication Method.
type SCRAMCredentials struct {
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// Behaviour records what a broker does where the specifications allow
// more than one answer. An unset field skips the checks that depend on it.
type Behaviour struct {
	// WillOnTakeover: is the will of a connection taken over by a new one
	// with the same client identifier published (will delay 0)?
	WillOnTakeover *bool `yaml:"willOnTakeover"`
	// QueueQoS0Offline: are QoS 0 messages queued for an offline
	// persistent session?
	QueueQoS0Offline *bool `yaml:"queueQoS0Offline"`
	// OverlappingCopies: "single" when a client with overlapping
	// subscriptions gets one copy of a message, "multiple" when one per
	// subscription; either one value or one per version
	// ({v5: multiple, v3.1.1: single}).
	OverlappingCopies PerVersion `yaml:"overlappingCopies"`
}

// PerVersion is a profile value that may differ by protocol version: a
// YAML scalar for every version, or a map from "v5" and "v3.1.1".
type PerVersion map[string]string

// UnmarshalYAML accepts a scalar or a map.
func (p *PerVersion) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*p = PerVersion{"v5": n.Value, "v3.1.1": n.Value}
		return nil
	}
	m := map[string]string{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	*p = m
	return nil
}

// LoadProfile reads a profile file.
func LoadProfile(path string) (Profile, error) {
	var p Profile
	b, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	if err := yaml.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("profile %s: %w", path, err)
	}
	for v, c := range p.Behaviour.OverlappingCopies {
		if (v != "v5" && v != "v3.1.1") || (c != "single" && c != "multiple") {
			return p, fmt.Errorf("profile %s: overlappingCopies %s: %s, want v5 or v3.1.1: single or multiple", path, v, c)
		}
	}
	return p, nil
}

// ConfigFromEnv builds the configuration of a `go test` run:
// MQTTCHECK_BROKER (the broker URL; empty for the in-process mqttx),
// MQTTCHECK_WEBSOCKET (a ws:// URL of the same broker), MQTTCHECK_PROFILE
// (a profile file), MQTTCHECK_CA_FILE, MQTTCHECK_SILENCE
// and MQTTCHECK_WAIT (durations).
func ConfigFromEnv() (Config, error) {
	c := Config{Broker: os.Getenv("MQTTCHECK_BROKER"), WebSocket: os.Getenv("MQTTCHECK_WEBSOCKET"), CAFile: os.Getenv("MQTTCHECK_CA_FILE")}
	if f := os.Getenv("MQTTCHECK_PROFILE"); f != "" {
		p, err := LoadProfile(f)
		if err != nil {
			return c, err
		}
		c.Profile = p
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{"MQTTCHECK_SILENCE", &c.Silence}, {"MQTTCHECK_WAIT", &c.Wait}} {
		if s := os.Getenv(d.env); s != "" {
			v, err := time.ParseDuration(s)
			if err != nil {
				return c, fmt.Errorf("%s: %w", d.env, err)
			}
			*d.to = v
		}
	}
	return c, nil
}

func (c *Config) normalize() error {
	for _, d := range []struct {
		s  string
		to *time.Duration
	}{{c.Profile.Silence, &c.Silence}, {c.Profile.Wait, &c.Wait}} {
		if d.s == "" || *d.to != 0 {
			continue
		}
		v, err := time.ParseDuration(d.s)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		*d.to = v
	}
	if c.Wait <= 0 {
		c.Wait = 5 * time.Second
	}
	if c.Silence <= 0 {
		c.Silence = 400 * time.Millisecond
	}
	return nil
}

package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

var (
	configured *Config
	lastReport *types.Report
	// discovered is the environment after BeforeSuite, kept for reports.
	discovered *env
)

// Configure sets the broker and options for the next run of the suite. It
// must be called before Ginkgo's RunSpecs.
func Configure(c Config) error {
	if err := c.normalize(); err != nil {
		return err
	}
	if _, err := newDialer(&c); err != nil {
		return err
	}
	configured = &c
	return nil
}

// LastReport is the Ginkgo report of the last run, nil before one ended.
func LastReport() *types.Report { return lastReport }

// Discovered is what discovery found in the last run, nil before one.
func Discovered() *Capabilities {
	if discovered == nil {
		return nil
	}
	return &discovered.caps
}

func newEnv(c Config) (*env, error) {
	d, err := newDialer(&c)
	if err != nil {
		return nil, err
	}
	e := &env{cfg: c, dialer: d}
	if d.ws {
		e.wsDialer = d
	} else if c.WebSocket != "" {
		wc := c
		wc.Broker = c.WebSocket
		if e.wsDialer, err = newDialer(&wc); err != nil {
			return nil, err
		}
		if !e.wsDialer.ws {
			return nil, fmt.Errorf("WebSocket URL %q is not ws:// or wss://", c.WebSocket)
		}
	}
	var b [3]byte
	rand.Read(b[:])
	e.run = hex.EncodeToString(b[:])
	return e, nil
}

var _ = ginkgo.BeforeSuite(func() {
	if configured == nil {
		ginkgo.Fail("conformance: Configure was not called before the suite ran")
	}
	e, err := newEnv(*configured)
	if err != nil {
		ginkgo.Fail(err.Error())
	}
	e.discover()
	fmt.Fprint(ginkgo.GinkgoWriter, e.caps.Summary())
	current, discovered = e, e
})

var _ = ginkgo.AfterSuite(func() {
	current = nil
})

var _ = ginkgo.ReportAfterSuite("mqttcheck results", func(r types.Report) {
	lastReport = &r
})

package main

import (
	"context"
	"log/slog"
	"net"
	"os"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
)

func init() { servers["mochi"] = serveMochi }

// serveMochi runs mochi-mqtt v2 with its default options and the allow-all
// auth hook, logging errors only. -mochi-writes-pending raises the per
// client queue of outgoing packets (default 8192), past which mochi drops
// messages.
func serveMochi(ctx context.Context, ln net.Listener, o serveOptions) error {
	opts := &mochi.Options{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	}
	if o.mochiWritesPending > 0 {
		caps := mochi.NewDefaultServerCapabilities()
		caps.MaximumClientWritesPending = int32(o.mochiWritesPending)
		opts.Capabilities = caps
	}
	s := mochi.New(opts)
	if err := s.AddHook(new(auth.AllowHook), nil); err != nil {
		return err
	}
	if err := s.AddListener(listeners.NewNet("load", ln)); err != nil {
		return err
	}
	if err := s.Serve(); err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}

package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"

	"github.com/mqttx/mqttx/mqtt/server"
)

func init() { servers["mqttx"] = serveMqttx }

// serveMqttx runs the zero-value mqttx server (every setting at its
// default) with its logger at error level.
func serveMqttx(ctx context.Context, ln net.Listener, _ serveOptions) error {
	srv := &server.Server{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	srv.Close()
	if err := <-errc; !errors.Is(err, server.ErrServerClosed) {
		return err
	}
	return nil
}

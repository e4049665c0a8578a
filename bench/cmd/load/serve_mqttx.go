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

// serveMqttx runs the mqttx server with every setting at its default but
// the connection limits, which are off as Mosquitto's are in its
// configuration here (every client of a load run comes from 127.0.0.1),
// with its logger at error level.
func serveMqttx(ctx context.Context, ln net.Listener, _ serveOptions) error {
	srv := &server.Server{
		Logger:           slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		MaxConnections:   -1,
		ConnectRate:      -1,
		ConnectRatePerIP: -1,
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

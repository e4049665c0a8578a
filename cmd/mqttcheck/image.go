package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// image is a broker started from a container image for one run.
type image struct {
	c      testcontainers.Container
	broker string // tcp://127.0.0.1:PORT
}

// startImage starts the container image name, which serves MQTT on the
// container port port ("1883/tcp"), publishes that port on 127.0.0.1 only,
// and waits until it accepts connections. cmd, when not empty, replaces the
// image's command.
func startImage(ctx context.Context, name, port string, cmd []string, timeout time.Duration, log io.Writer) (*image, error) {
	if !strings.Contains(port, "/") {
		port += "/tcp"
	}
	cport, err := network.ParsePort(port)
	if err != nil {
		return nil, fmt.Errorf("--image-port %q: %w", port, err)
	}
	req := testcontainers.ContainerRequest{
		Image:        name,
		ExposedPorts: []string{port},
		Cmd:          cmd,
		HostConfigModifier: func(hc *container.HostConfig) {
			// Published on the loopback address only, on a free port.
			hc.PortBindings = network.PortMap{cport: {{HostIP: netip.MustParseAddr("127.0.0.1")}}}
		},
	}
	fmt.Fprintf(log, "mqttcheck: starting %s\n", name)
	c, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{ContainerRequest: req, Started: true})
	if err != nil {
		if c != nil {
			c.Terminate(context.Background())
		}
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	im := &image{c: c}
	mp, err := c.MappedPort(ctx, port)
	if err != nil {
		im.stop()
		return nil, fmt.Errorf("%s: mapped port: %w", name, err)
	}
	// Wait from the outside until the broker answers a CONNECT: the port is
	// bound on 127.0.0.1 whatever host the Docker client resolves; Docker's
	// proxy accepts connections before the broker does, so a connection
	// alone proves nothing; and a broker image built FROM scratch has no
	// shell for a check inside.
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(int(mp.Num())))
	deadline := time.Now().Add(timeout)
	for {
		err := probe(addr)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			im.stop()
			return nil, fmt.Errorf("%s: nothing accepts connections on %s after %v: %w", name, addr, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	im.broker = "tcp://" + addr
	return im, nil
}

// probe sends an MQTT 3.1.1 CONNECT to addr and reads the answer: any
// CONNACK, accepting or not, shows a broker serving.
func probe(addr string) error {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(2 * time.Second))
	if err := packet.Write(nc, &packet.Connect{Version: mqtt.V311, CleanStart: true, ClientID: "mqttcheck-probe"}, mqtt.V311); err != nil {
		return err
	}
	r := packet.NewReader(nc)
	r.Version = mqtt.V311
	p, err := r.ReadPacket()
	if err != nil {
		return err
	}
	if _, ok := p.(*packet.Connack); !ok {
		return fmt.Errorf("answered CONNECT with %v", p.Type())
	}
	packet.Write(nc, &packet.Disconnect{}, mqtt.V311)
	return nil
}

// stop stops and removes the container.
func (im *image) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return im.c.Terminate(ctx)
}

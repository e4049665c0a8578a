package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// buildImage builds the repository's Dockerfile (the static mqttx binary
// on an empty base) as a uniquely named image, removed when the test ends.
// Without Docker it fails under CI (which must check --image) and skips
// elsewhere.
func buildImage(t *testing.T) string {
	t.Helper()
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("docker is not usable (%v); the --image test needs it", err)
		}
		t.Skipf("docker is not usable: %v", err)
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "mqttx"), "../mqttx")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building mqttx: %v\n%s", err, out)
	}
	for _, f := range []string{"Dockerfile", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	var id [4]byte
	rand.Read(id[:])
	name := "mqttx-test:" + hex.EncodeToString(id[:])
	if out, err := exec.Command("docker", "build", "-q", "-t", name, dir).CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", name).Run() })
	return name
}

// --image starts the image with its port on 127.0.0.1 only, waits until
// the broker accepts connections, and removes the container afterwards.
func TestStartImage(t *testing.T) {
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true") // no reaper image can be pulled here
	name := buildImage(t)
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	im, err := startImage(ctx, name, "1883", nil, time.Minute, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			im.stop()
		}
	})
	id := im.c.GetContainerID()
	u, err := url.Parse(im.broker)
	if err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("broker %q, want tcp://127.0.0.1:PORT", im.broker)
	}
	nc, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := packet.Write(nc, &packet.Connect{Version: mqtt.V5, ClientID: "image", CleanStart: true}, mqtt.V5); err != nil {
		t.Fatal(err)
	}
	r := packet.NewReader(nc)
	r.Version = mqtt.V5
	p, err := r.ReadPacket()
	if ack, ok := p.(*packet.Connack); err != nil || !ok || ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK from the container: %v %v", p, err)
	}
	nc.Close()

	stopped = true
	if err := im.stop(); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("docker", "ps", "-a", "-q", "--no-trunc").Output()
	if strings.Contains(string(out), id) {
		t.Errorf("container %s still exists after stop", id)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Every broker runs in a process of its own, started afresh for each
// scenario, so that its memory and CPU time are read from /proc alone and a
// broker left in a bad state by one scenario cannot spoil the next.
// Mosquitto is its Debian binary; the Go brokers are this program run again
// with a hidden serve-<name> subcommand.

// serveFunc runs an embedded broker on ln until ctx ends.
type serveFunc func(ctx context.Context, ln net.Listener, o serveOptions) error

type serveOptions struct {
	mochiWritesPending int
}

// servers holds the brokers this binary can embed; each registers itself
// from its own file (serve_mochi.go, serve_mqttx.go).
var servers = map[string]serveFunc{}

// childEnv marks a process started to serve a broker, for the test binary,
// which cannot take a subcommand.
const childEnv = "MQTTX_LOAD_CHILD"

// serveMain is the serve-<name> subcommand.
func serveMain(args []string) int {
	name := strings.TrimPrefix(args[0], "serve-")
	serve, ok := servers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "load: no embedded broker %q\n", name)
		return 2
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	var o serveOptions
	fs.IntVar(&o.mochiWritesPending, "mochi-writes-pending", 0, "mochi Capabilities.MaximumClientWritesPending (0: its default)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, ln, o); err != nil {
		fmt.Fprintf(os.Stderr, "load: serve-%s: %v\n", name, err)
		return 1
	}
	return 0
}

// brokerProc is a running broker.
type brokerProc struct {
	name string
	addr string
	cmd  *exec.Cmd
	out  *tailBuffer
	dir  string // temporary files, removed by stop

	done    chan struct{} // closed when the process has exited
	waitErr error

	stopOnce sync.Once
	stopped  atomic.Bool // stop was called: an exit is no failure
}

// mosquittoConf is the configuration every Mosquitto run gets; see
// bench/README.md for why each line is there.
const mosquittoConf = `listener %d 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_connections -1
max_inflight_messages 1000
max_queued_messages 1000000
max_queued_bytes 0
persistence false
log_dest stderr
log_type error
log_type warning
connection_messages false
`

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// mochiDefaultWritesPending is mochi's default
// Capabilities.MaximumClientWritesPending.
const mochiDefaultWritesPending = 8192

// startBroker starts a fresh broker process and waits until it answers a
// CONNECT. queue is the most messages one subscriber can be sent in the
// scenario to be run.
func startBroker(cfg *config, name string, queue int) (*brokerProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b := &brokerProc{name: name, addr: fmt.Sprintf("127.0.0.1:%d", port), out: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	switch name {
	case "mosquitto":
		if cfg.mosquitto == "" {
			return nil, errors.New("mosquitto binary not found")
		}
		b.dir, err = os.MkdirTemp("", "load-mosquitto-")
		if err != nil {
			return nil, err
		}
		conf := filepath.Join(b.dir, "mosquitto.conf")
		if err := os.WriteFile(conf, fmt.Appendf(nil, mosquittoConf, port), 0o644); err != nil {
			os.RemoveAll(b.dir)
			return nil, err
		}
		b.cmd = exec.Command(cfg.mosquitto, "-c", conf)
	default:
		if _, ok := servers[name]; !ok {
			return nil, fmt.Errorf("broker %q is not built into this binary", name)
		}
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		args := []string{"serve-" + name, "-addr", b.addr}
		if name == "mochi" {
			if n := mochiWritesPending(cfg, queue); n > 0 {
				args = append(args, "-mochi-writes-pending", strconv.Itoa(n))
			}
		}
		b.cmd = exec.Command(exe, args...)
		b.cmd.Env = append(os.Environ(), childEnv+"=1")
	}
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	// The broker dies with the harness, however the harness ends.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(b.dir)
		return nil, err
	}
	go func() {
		b.waitErr = b.cmd.Wait()
		close(b.done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := connect(context.Background(), b.addr, "load-ready", false, time.Second)
		if err == nil {
			c.disconnect()
			return b, nil
		}
		select {
		case <-b.done:
			b.stop()
			return nil, fmt.Errorf("%s exited at start (%v): %s", name, b.waitErr, b.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			b.stop()
			return nil, fmt.Errorf("%s not answering on %s after 10s: %v", name, b.addr, err)
		}
	}
}

// mochiWritesPending is the queue length mochi gets, 0 for its default.
func mochiWritesPending(cfg *config, queue int) int {
	if cfg.mochiWritesPending >= 0 {
		return cfg.mochiWritesPending
	}
	if queue > mochiDefaultWritesPending {
		return queue
	}
	return 0
}

func (b *brokerProc) pid() int { return b.cmd.Process.Pid }

// exited reports whether the broker process has ended, and how.
func (b *brokerProc) exited() (bool, string) {
	if b.stopped.Load() {
		return false, ""
	}
	select {
	case <-b.done:
		return true, fmt.Sprintf("%v; output: %s", b.waitErr, strings.TrimSpace(b.out.String()))
	default:
		return false, ""
	}
}

// stop ends the broker: SIGTERM, then SIGKILL after two seconds.
func (b *brokerProc) stop() {
	b.stopped.Store(true)
	b.stopOnce.Do(func() {
		b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.done:
		case <-time.After(2 * time.Second):
			b.cmd.Process.Kill()
			<-b.done
		}
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	})
}

// procStat is what /proc tells about a process.
type procStat struct {
	rssKiB, hwmKiB int64
	cpu            time.Duration // user + system
}

// clockTick is USER_HZ, 100 on every Linux the harness is meant for.
const clockTick = 10 * time.Millisecond

func readProc(pid int) (procStat, error) {
	var s procStat
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.Lines(string(status)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &s.rssKiB
		case "VmHWM":
			dst = &s.hwmKiB
		default:
			continue
		}
		f := strings.Fields(v)
		if len(f) > 0 {
			*dst, _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name may hold spaces and parentheses; fields resume
	// after the last ')'. utime and stime are fields 14 and 15.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return s, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = time.Duration(ut+st) * clockTick
	return s, nil
}

func (b *brokerProc) stat() procStat {
	s, _ := readProc(b.pid())
	return s
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// raiseNofile lifts the open-file limit of this process, and so of the
// brokers it starts, for the idle-connection scenarios: as root the hard
// limit too. Setting it explicitly also stops the Go runtime from restoring
// the original soft limit in the children.
func raiseNofile(want uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur >= want {
		return lim.Cur, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Max < want {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}); err == nil {
			return want, nil
		}
	}
	lim.Cur = min(want, lim.Max)
	return lim.Cur, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

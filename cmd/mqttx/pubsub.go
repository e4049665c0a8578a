package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// pub is "mqttx pub": publish one message (or one per line of standard
// input with -l) and wait for its acknowledgement.
func pub(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	topicName := fs.String("t", "", "topic to publish to (required)")
	message := fs.String("m", "", "message payload")
	file := fs.String("f", "", "send the contents of this file as the payload")
	fromStdin := fs.Bool("s", false, "send all of standard input as the payload")
	lines := fs.Bool("l", false, "send each line of standard input as a message")
	null := fs.Bool("n", false, "send an empty payload")
	qos := fs.Int("q", 0, "QoS: 0, 1 or 2")
	retain := fs.Bool("r", false, "retain the message")
	expiry := fs.Uint("e", 0, "MQTT 5 message expiry interval, seconds")
	contentType := fs.String("content-type", "", "MQTT 5 content type")
	responseTopic := fs.String("response-topic", "", "MQTT 5 response topic")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mqttx pub -t TOPIC (-m MESSAGE | -f FILE | -s | -l | -n) [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	sources := 0
	for _, set := range []bool{*message != "", *file != "", *fromStdin, *lines, *null} {
		if set {
			sources++
		}
	}
	switch {
	case *topicName == "":
		fmt.Fprintln(stderr, "mqttx pub: -t TOPIC is required")
		return 2
	case sources != 1:
		fmt.Fprintln(stderr, "mqttx pub: give exactly one of -m, -f, -s, -l, -n")
		return 2
	case *qos < 0 || *qos > 2:
		fmt.Fprintln(stderr, "mqttx pub: -q must be 0, 1 or 2")
		return 2
	}
	ups, err := cf.userProperties()
	if err != nil {
		fmt.Fprintln(stderr, "mqttx pub:", err)
		return 2
	}
	var payload []byte
	switch {
	case *message != "":
		payload = []byte(*message)
	case *file != "":
		if payload, err = os.ReadFile(*file); err != nil {
			fmt.Fprintln(stderr, "mqttx pub:", err)
			return 1
		}
	case *fromStdin:
		if payload, err = io.ReadAll(stdin); err != nil {
			fmt.Fprintln(stderr, "mqttx pub:", err)
			return 1
		}
	}
	c, _, err := dialClient(&cf, nil)
	if err != nil {
		fmt.Fprintln(stderr, "mqttx pub:", err)
		return 1
	}
	defer c.disconnect()
	msg := func(b []byte) *packet.Publish {
		m := &packet.Publish{Topic: *topicName, QoS: mqtt.QoS(*qos), Retain: *retain, Payload: b}
		if c.v == mqtt.V5 {
			m.Properties.User = ups
			m.Properties.MessageExpiry = uint32(*expiry)
			m.Properties.ContentType = *contentType
			m.Properties.ResponseTopic = *responseTopic
		}
		return m
	}
	if !*lines {
		if err := c.publish(msg(payload)); err != nil {
			fmt.Fprintln(stderr, "mqttx pub:", err)
			return 1
		}
		return 0
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "mqttx pub:", err)
		return 1
	}
	for line := range strings.Lines(string(data)) {
		if err := c.publish(msg([]byte(strings.TrimRight(line, "\r\n")))); err != nil {
			fmt.Fprintln(stderr, "mqttx pub:", err)
			return 1
		}
	}
	return 0
}

// sub is "mqttx sub": subscribe and print messages until interrupted, -C
// messages have arrived, or -W seconds have passed without one.
func sub(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cf clientFlags
	cf.register(fs)
	var filters multiFlag
	fs.Var(&filters, "t", "topic filter to subscribe to (repeatable, at least one)")
	qos := fs.Int("q", 0, "maximum QoS requested: 0, 1 or 2")
	verbose := fs.Bool("v", false, "print the topic before each payload")
	count := fs.Int("C", 0, "exit after this many messages (0: never)")
	wait := fs.Duration("W", 0, "exit with status 1 after this long without a message (0: never)")
	noLocal := fs.Bool("no-local", false, "MQTT 5: do not receive this client's own messages")
	rap := fs.Bool("retain-as-published", false, "MQTT 5: keep the RETAIN flag as published")
	noRetained := fs.Bool("R", false, "do not print messages that arrive with the RETAIN flag (stale retained messages)")
	showProps := fs.Bool("F", false, "MQTT 5: also print each message's user properties")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mqttx sub -t FILTER [-t FILTER ...] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(filters) == 0 {
		fmt.Fprintln(stderr, "mqttx sub: at least one -t FILTER is required")
		return 2
	}
	if *qos < 0 || *qos > 2 {
		fmt.Fprintln(stderr, "mqttx sub: -q must be 0, 1 or 2")
		return 2
	}
	ups, err := cf.userProperties()
	if err != nil {
		fmt.Fprintln(stderr, "mqttx sub:", err)
		return 2
	}
	c, _, err := dialClient(&cf, nil)
	if err != nil {
		fmt.Fprintln(stderr, "mqttx sub:", err)
		return 1
	}
	defer c.disconnect()
	s := &packet.Subscribe{PacketID: c.id()}
	for _, f := range filters {
		s.Subscriptions = append(s.Subscriptions, packet.Subscription{Filter: f, QoS: mqtt.QoS(*qos), NoLocal: *noLocal, RetainAsPublished: *rap})
	}
	if c.v == mqtt.V5 {
		s.Properties.User = ups
	}
	if err := c.send(s); err != nil {
		fmt.Fprintln(stderr, "mqttx sub:", err)
		return 1
	}
	got := 0
	for {
		type result struct {
			p   packet.Packet
			err error
		}
		rc := make(chan result, 1)
		go func() { p, err := c.next(*wait); rc <- result{p, err} }()
		var r result
		select {
		case <-ctx.Done():
			return 0
		case r = <-rc:
		}
		if errors.Is(r.err, errTimeout) {
			fmt.Fprintf(stderr, "mqttx sub: no message within %v\n", *wait)
			return 1
		}
		if r.err != nil {
			fmt.Fprintln(stderr, "mqttx sub:", r.err)
			return 1
		}
		switch p := r.p.(type) {
		case *packet.Suback:
			for i, code := range p.ReasonCodes {
				if code.IsError() && i < len(filters) {
					fmt.Fprintf(stderr, "mqttx sub: subscription to %q refused: %v\n", filters[i], code)
					return 1
				}
			}
		case *packet.Publish:
			if err := c.ackIncoming(p); err != nil {
				fmt.Fprintln(stderr, "mqttx sub:", err)
				return 1
			}
			if *noRetained && p.Retain {
				continue
			}
			if *verbose {
				fmt.Fprintf(stdout, "%s ", p.Topic)
			}
			if *showProps {
				for _, up := range p.Properties.User {
					fmt.Fprintf(stdout, "[%s=%s] ", up.Key, up.Value)
				}
			}
			fmt.Fprintf(stdout, "%s\n", p.Payload)
			if got++; *count > 0 && got >= *count {
				return 0
			}
		case *packet.Pubrel:
			if err := c.answerPubrel(p); err != nil {
				fmt.Fprintln(stderr, "mqttx sub:", err)
				return 1
			}
		}
	}
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

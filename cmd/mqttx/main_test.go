package main

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		output []string // lines that must appear
	}{
		{
			name: "connect then publish, version from CONNECT",
			args: []string{"decode", "101000044d5154540402003c0004746573743209", "0003612f6200016869"},
			code: 0,
			output: []string{
				"@0: CONNECT (18 bytes, MQTT 3.1.1)", `ClientID: "test"`, "KeepAlive: 60",
				"@18: PUBLISH (11 bytes, MQTT 3.1.1)", `Topic: "a/b"`, `Payload: "hi"`,
			},
		},
		{
			name:   "hex from standard input with separators",
			args:   []string{"decode", "--version", "5"},
			stdin:  "0xe0 0x01\n0x8e\n",
			code:   0,
			output: []string{"@0: DISCONNECT (3 bytes, MQTT 5.0)", "ReasonCode: session taken over"},
		},
		{
			name:   "reserved flags are rejected with the statement id",
			args:   []string{"decode", "--version", "3.1.1", "6002 0001"},
			code:   1,
			output: []string{"rejected", "MQTT-3.6.1-1", "reason code 0x81"},
		},
		{
			name:   "non-CONNECT first packet without a version",
			args:   []string{"decode", "c000"},
			code:   1,
			output: []string{"expected CONNECT, got PINGREQ", "MQTT-3.1.0-1"},
		},
		{
			name:   "incomplete input",
			args:   []string{"decode", "--version", "5", "3011"},
			code:   1,
			output: []string{"incomplete packet"},
		},
		{name: "not hex", args: []string{"decode", "zz"}, code: 2},
		{name: "bad version", args: []string{"decode", "--version", "6", "c000"}, code: 2},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2},
		{name: "no command", args: nil, code: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &out, &errOut)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d; stdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errOut.String())
			}
			for _, want := range tt.output {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q; got:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"version"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.HasPrefix(out, "mqttx ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version printed %q", out)
	}
}

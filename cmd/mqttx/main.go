// Command mqttx is the mqttx toolkit's command line.
//
//	mqttx decode [--version 3.1|3.1.1|5] [HEX ...]
//	mqttx serve [--config FILE] [--listen URL ...] [flags]
//	mqttx config check FILE ...
//	mqttx config print [FILE] [flags]
//	mqttx pub -t TOPIC -m MESSAGE [flags]
//	mqttx sub -t FILTER [flags]
//	mqttx passwd [--scram] [-c] [-D] [-b] FILE USER [PASSWORD]
//	mqttx version
//
// decode reads MQTT packets given as hexadecimal (from the arguments, or
// from standard input when there are none) and prints each packet's fields,
// or the protocol error a broker would answer it with. With no --version
// the first packet must be a CONNECT, whose version is then used.
//
// serve runs an MQTT broker ([server.Server]) on each --listen URL
// (tcp://host:port, tls://host:port, ws://host:port/path,
// wss://host:port/path or unix:///path; tcp://127.0.0.1:1883 by default)
// until SIGINT or SIGTERM, then shuts it down gracefully; a second signal
// closes every connection at once. Each setting (TLS certificates and
// identities, password and ACL files, the server's limits and protections,
// MQTT 5 features, logging) is a flag, an environment variable (MQTTX_…)
// and a key of a YAML configuration file (--config or MQTTX_CONFIG); flags
// override the environment, which overrides the file. "mqttx serve --help"
// and docs/configuration.md list them, made from the table in config.go.
//
// config check reports every problem of a configuration file, each as
// FILE:LINE:COL: message, with those of the password and ACL files it
// names; config print prints the configuration serve would run with.
//
// pub and sub are MQTT clients in the manner of mosquitto_pub and
// mosquitto_sub (-h, -p, -V, -q, -r, -u, -P, -D user properties, TLS with
// --cafile, --cert and --key, --auth-method SCRAM-SHA-256), built on this
// module's codec. passwd writes password files in Mosquitto's format, read
// by mqttx and Mosquitto alike, and with --scram SCRAM-SHA-256 credentials
// files for serve --scram-file.
package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: mqttx <command> [arguments]

commands:
  decode [--version 3.1|3.1.1|5] [HEX ...]   print the MQTT packets in HEX (or standard input)
  serve [--config FILE] [flags]              run an MQTT broker (tcp://127.0.0.1:1883 by default);
                                             "mqttx serve --help" lists the flags
  config check FILE ...                      report every problem of serve's configuration FILE
  config print [FILE] [flags]                print the configuration serve would run with
  pub -t TOPIC -m MESSAGE [flags]            publish a message ("mqttx pub --help")
  sub -t FILTER [flags]                      print the messages of a subscription ("mqttx sub --help")
  passwd [--scram] [-c] [-D] [-b] FILE USER [PASSWORD]
                                             create or update a password file
                                             (--scram: a SCRAM-SHA-256 credentials file)
  version                                    print the version and the commit it was built from
`)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "decode":
		return decode(args[1:], stdin, stdout, stderr)
	case "serve":
		return serve(args[1:], stderr)
	case "config":
		return configCmd(args[1:], stdout, stderr)
	case "pub":
		return pub(args[1:], stdin, stdout, stderr)
	case "sub":
		ctx, stop := signalContext()
		defer stop()
		return sub(ctx, args[1:], stdout, stderr)
	case "passwd":
		return passwd(args[1:], stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "mqttx: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func parseVersion(s string) (mqtt.Version, error) {
	switch s {
	case "":
		return 0, nil
	case "3.1", "3":
		return mqtt.V31, nil
	case "3.1.1", "4":
		return mqtt.V311, nil
	case "5", "5.0":
		return mqtt.V5, nil
	}
	return 0, fmt.Errorf("unknown protocol version %q (want 3.1, 3.1.1 or 5)", s)
}

func decode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vflag := fs.String("version", "", "protocol version of the packets (default: taken from the first CONNECT)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	v, err := parseVersion(*vflag)
	if err != nil {
		fmt.Fprintln(stderr, "mqttx decode:", err)
		return 2
	}
	var text string
	if fs.NArg() > 0 {
		text = strings.Join(fs.Args(), "")
	} else {
		b, err := io.ReadAll(bufio.NewReader(stdin))
		if err != nil {
			fmt.Fprintln(stderr, "mqttx decode:", err)
			return 1
		}
		text = string(b)
	}
	text = strings.Map(func(r rune) rune {
		if strings.ContainsRune(" \t\r\n:,", r) {
			return -1
		}
		return r
	}, text)
	text = strings.ReplaceAll(strings.ReplaceAll(text, "0x", ""), "0X", "")
	data, err := hex.DecodeString(text)
	if err != nil {
		fmt.Fprintln(stderr, "mqttx decode: input is not hexadecimal:", err)
		return 2
	}
	d := packet.Decoder{Version: v, MaxPacketSize: packet.MaxVarint + 5}
	for off := 0; off < len(data); {
		p, n, err := d.Decode(data[off:])
		if err != nil {
			var perr *mqtt.Error
			switch {
			case errors.Is(err, io.ErrUnexpectedEOF):
				fmt.Fprintf(stdout, "@%d: incomplete packet (%d bytes left)\n", off, len(data)-off)
			case errors.As(err, &perr):
				fmt.Fprintf(stdout, "@%d: rejected: %v (reason code 0x%02x)\n", off, err, byte(perr.Code))
			default:
				fmt.Fprintf(stdout, "@%d: %v\n", off, err)
			}
			return 1
		}
		fmt.Fprintf(stdout, "@%d: %s (%d bytes, MQTT %s)\n", off, p.Type(), n, d.Version)
		describe(stdout, p)
		off += n
	}
	return 0
}

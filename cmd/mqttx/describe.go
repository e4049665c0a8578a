package main

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/mqttx/mqttx/mqtt/packet"
)

// describe prints the fields of p that are set, one per line, properties
// included.
func describe(w io.Writer, p packet.Packet) {
	fields(w, "  ", reflect.ValueOf(p).Elem())
}

func fields(w io.Writer, indent string, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		if fv.IsZero() || (fv.Kind() == reflect.Slice && fv.Len() == 0) {
			continue
		}
		switch x := fv.Interface().(type) {
		case packet.Properties:
			if !x.Empty() {
				fmt.Fprintf(w, "%sProperties:\n", indent)
				fields(w, indent+"  ", fv)
			}
			continue
		case *packet.Will:
			fmt.Fprintf(w, "%sWill:\n", indent)
			fields(w, indent+"  ", fv.Elem())
			continue
		case []byte:
			fmt.Fprintf(w, "%s%s: %s\n", indent, f.Name, showBytes(x))
			continue
		case string:
			fmt.Fprintf(w, "%s%s: %q\n", indent, f.Name, x)
			continue
		}
		fmt.Fprintf(w, "%s%s: %v\n", indent, f.Name, fv.Interface())
	}
}

func showBytes(b []byte) string {
	if utf8.Valid(b) && len(b) <= 256 {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%d bytes % x", len(b), b[:min(len(b), 32)])
}

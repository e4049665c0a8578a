package fuzz

import (
	"fmt"
	"reflect"

	"github.com/mqttx/mqttx/mqtt/packet"
)

// equalPackets compares two packets field by field after deep copies,
// treating nil and empty slices alike.
func equalPackets(a, b packet.Packet) bool {
	ca, cb := packet.Clone(a), packet.Clone(b)
	normalize(reflect.ValueOf(ca))
	normalize(reflect.ValueOf(cb))
	return reflect.DeepEqual(ca, cb)
}

// normalize sets every empty slice reachable through exported fields to
// nil.
func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normalize(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() {
				normalize(f)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		for i := range v.Len() {
			normalize(v.Index(i))
		}
	}
}

// dump prints a packet with its will, if any.
func dump(p packet.Packet) string {
	if c, ok := p.(*packet.Connect); ok && c.Will != nil {
		return fmt.Sprintf("%+v Will=%+v", *c, *c.Will)
	}
	return fmt.Sprintf("%+v", p)
}

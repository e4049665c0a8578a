package packet

import (
	"bytes"
	"reflect"
	"testing"
)

func TestClone(t *testing.T) {
	for _, g := range goldens {
		p, _, err := Decode(bytes.Clone(g.b), g.v) // scribbled over below
		if err != nil {
			t.Fatal(err)
		}
		c := Clone(p)
		if !reflect.DeepEqual(c, p) {
			t.Errorf("%s: Clone differs: %s", g.name, show(c))
		}
		// Scribbling over the input and the original leaves the clone as
		// it was.
		want := canon(c)
		in := p
		scribble(reflect.ValueOf(in).Elem())
		if !reflect.DeepEqual(canon(c), want) {
			t.Errorf("%s: Clone shares memory with the original", g.name)
		}
	}
	if Clone(nil) != nil {
		t.Errorf("Clone(nil) != nil")
	}
}

// scribble overwrites every byte slice, string slice and reason code slice
// reachable from v in place.
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scribble(v.Field(i))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			switch e.Kind() {
			case reflect.Uint8, reflect.Uint32:
				e.SetUint(e.Uint() ^ 0x55)
			case reflect.String:
				e.SetString("scribbled")
			default:
				scribble(e)
			}
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString("scribbled")
		}
	}
}

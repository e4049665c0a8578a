package topic

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
)

type kv struct {
	k string
	v int
}

func (p *kv) key() string { return p.k }

// TestTable checks the persistent table against a map under random puts
// and deletes, with hash functions that force deep sharing and full
// collisions.
func TestTable(t *testing.T) {
	seed := maphash.MakeSeed()
	hashes := []struct {
		name string
		hf   hashFn
	}{
		{"maphash", func(s string) uint64 { return maphash.String(seed, s) }},
		{"constant", func(string) uint64 { return 42 }}, // every key collides
		{"4 values", func(s string) uint64 { return maphash.String(seed, s) & 3 << 50 }},
		{"low bits", func(s string) uint64 { return maphash.String(seed, s) & 0xff }},
	}
	for _, h := range hashes {
		t.Run(h.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var tab table[*kv]
			want := map[string]int{}
			var snapshots []table[*kv]
			var snapWant []map[string]int
			for step := range 3000 {
				k := fmt.Sprint(rng.IntN(200))
				if rng.IntN(3) == 0 {
					var ok bool
					tab, ok = tab.del(k, h.hf)
					_, had := want[k]
					if ok != had {
						t.Fatalf("step %d: del(%s): got %v, want %v", step, k, ok, had)
					}
					delete(want, k)
				} else {
					var replaced bool
					tab, replaced = tab.put(&kv{k, step}, h.hf)
					_, had := want[k]
					if replaced != had {
						t.Fatalf("step %d: put(%s): got replaced %v, want %v", step, k, replaced, had)
					}
					want[k] = step
				}
				if step%97 == 0 {
					snapshots = append(snapshots, tab)
					snapWant = append(snapWant, clone2(want))
				}
				if step%13 == 0 {
					checkTable(t, &tab, want, h.hf)
				}
			}
			checkTable(t, &tab, want, h.hf)
			// Earlier versions are unchanged by later changes.
			for i := range snapshots {
				checkTable(t, &snapshots[i], snapWant[i], h.hf)
			}
			for k := range want {
				tab, _ = tab.del(k, h.hf)
			}
			if tab.n != 0 || len(tab.e) != 0 {
				t.Errorf("after deleting all: got n %d, %d slots, want 0, 0", tab.n, len(tab.e))
			}
		})
	}
}

func clone2(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func checkTable(t *testing.T, tab *table[*kv], want map[string]int, hf hashFn) {
	t.Helper()
	if int(tab.n) != len(want) {
		t.Fatalf("n: got %d, want %d", tab.n, len(want))
	}
	seen := 0
	tab.each(func(p *kv) bool {
		seen++
		if w, ok := want[p.k]; !ok || w != p.v {
			t.Fatalf("each: got %s=%d, want %d (present %v)", p.k, p.v, w, ok)
		}
		return true
	})
	if seen != len(want) {
		t.Fatalf("each visited %d, want %d", seen, len(want))
	}
	for i := range 220 {
		k := fmt.Sprint(i)
		p, ok := tab.get(k, hf(k))
		w, wok := want[k]
		if ok != wok || (ok && p.v != w) {
			t.Fatalf("get(%s): got %v %v, want %v %v", k, p, ok, w, wok)
		}
	}
}
